import { uiOk, uiRoute } from "@/lib/http/ui";
import { sendInstanceInput } from "@/lib/mcsm/control";
import { commandBody, daemonFromParams } from "@/lib/mcsm/ui";

/** Writes one line to the instance's stdin. */
export const POST = uiRoute(
  async (req) => {
    const daemon = await daemonFromParams(req);
    const { command } = commandBody.parse((await req.json()) ?? {});
    await sendInstanceInput(daemon.meta.id, req.params.uuid ?? "", command);
    return uiOk({ ok: true });
  },
  { admin: true },
);
