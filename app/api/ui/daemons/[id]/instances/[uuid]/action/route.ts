import { uiOk, uiRoute } from "@/lib/http/ui";
import { runInstanceAction } from "@/lib/mcsm/control";
import { actionBody, daemonFromParams } from "@/lib/mcsm/ui";

/** start | stop | restart | kill; answers the instance's state afterwards. */
export const POST = uiRoute(
  async (req) => {
    const daemon = await daemonFromParams(req);
    const { action } = actionBody.parse((await req.json()) ?? {});
    return uiOk(await runInstanceAction(daemon.meta.id, req.params.uuid ?? "", action));
  },
  { admin: true },
);
