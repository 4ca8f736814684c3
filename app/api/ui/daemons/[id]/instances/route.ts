import { uiOk, uiRoute } from "@/lib/http/ui";
import { createDaemonInstance } from "@/lib/mcsm/control";
import { actorOf, daemonFromParams, instanceBody } from "@/lib/mcsm/ui";

/** Defines an instance on the daemon (the panel syncs it to the agent). */
export const POST = uiRoute(
  async (req, me) => {
    const daemon = await daemonFromParams(req);
    const body = instanceBody.parse((await req.json()) ?? {});
    const row = await createDaemonInstance(daemon.meta.id, body, actorOf(req, me));
    return uiOk({ uuid: row.uuid }, 201);
  },
  { admin: true },
);
