import { uiOk, uiRoute } from "@/lib/http/ui";
import { deleteDaemonInstances, updateDaemonInstance } from "@/lib/mcsm/control";
import { actorOf, daemonFromParams, instancePatchBody } from "@/lib/mcsm/ui";

export const PATCH = uiRoute(
  async (req, me) => {
    const daemon = await daemonFromParams(req);
    const body = instancePatchBody.parse((await req.json()) ?? {});
    const row = await updateDaemonInstance(daemon.meta.id, req.params.uuid ?? "", body, actorOf(req, me));
    return uiOk({ uuid: row.uuid });
  },
  { admin: true },
);

/** Deletes the definition; the agent stops the instance if it runs. */
export const DELETE = uiRoute(
  async (req, me) => {
    const daemon = await daemonFromParams(req);
    await deleteDaemonInstances(daemon.meta.id, [req.params.uuid ?? ""], actorOf(req, me));
    return uiOk({ ok: true });
  },
  { admin: true },
);
