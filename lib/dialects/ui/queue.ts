/** Work queued for offline machines: what is waiting, what ran, and cancelling what has not started. */
import { cancelJob, getJob, listJobs, queueFilterSchema } from "../../fleet/queue";
import { notFound } from "../../fleet/errors";
import { serverFor } from "../../fleet/policy";
import { idParam, uiOk, withUi } from "./envelope";

const filterOf = (query: URLSearchParams) => queueFilterSchema.parse({ status: query.get("status") ?? undefined });

/** Every job of the machines the caller may list (`?status=queued` for the waiting ones). */
export const listQueue = withUi(async (req, me) => uiOk({ jobs: await listJobs(me, { status: filterOf(req.query).status || undefined }) }), { permission: "canListAgents" });

/** One agent's jobs, for its page. */
export const agentQueue = withUi(
  async (req, me) => {
    const entry = await serverFor(me, { agentId: req.params.agentId ?? "" });
    return uiOk({ jobs: await listJobs(me, { serverId: entry.meta.id, status: filterOf(req.query).status || undefined }) });
  },
  { permission: "canListAgents" },
);

function jobId(raw: string | undefined): number {
  const id = idParam(raw);
  if (id === null) throw notFound("job", "No such queued job");
  return id;
}

export const getQueuedJob = withUi(async (req, me) => uiOk(await getJob(me, jobId(req.params.id))), { permission: "canListAgents" });

/** Cancels a job that has not started (commands need can_send_cmd, scans can_manage_winupdates). */
export const cancelQueuedJob = withUi(async (req, me, actor) => uiOk(await cancelJob(me, actor, jobId(req.params.id))), { permission: "canListAgents" });
