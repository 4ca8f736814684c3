/**
 * Running a machine's queued work (queue.ts) when its agent connects: the one place that both
 * reads the queue and runs commands and update scans, so the queue itself stays below them
 * (commands.ts and updates.ts queue work for offline machines through queue.ts).
 */
import { db } from "../db";
import { isAgentConnected } from "./agents";
import { nodeId } from "./cluster";
import { executeCommand, SHELLS, type CommandInput, type Shell } from "./commands";
import { live } from "./live";
import { commandPayload, expireJobs, safeJson, type JobRow, type JobStatus } from "./queue";
import { runUpdateScan } from "./updates";

const isShell = (s: string): s is Shell => (SHELLS as readonly string[]).includes(s);

/** Servers whose queue is being worked through by this process (one pass at a time per server). */
const passes = new Map<number, Promise<void>>();

/**
 * Runs a machine's queued jobs, oldest first, once its agent is connected (called on every
 * connect). Each job is claimed before it runs; a job another pass or another panel claimed is
 * skipped, so nothing runs twice.
 */
export function runQueuedJobs(serverId: number): Promise<void> {
  const current = passes.get(serverId);
  if (current) return current.then(() => runQueuedJobs(serverId));
  const pass = (async () => {
    await expireJobs();
    const jobs = await db.queuedJob.findMany({ where: { serverId, status: "queued" }, orderBy: { id: "asc" } });
    for (const job of jobs) {
      if (!isAgentConnected(serverId)) return;
      // The claim names this process: should it die, the survivors settle the job (failJobsOf).
      const claimed = await db.queuedJob.updateMany({
        where: { id: job.id, status: "queued", expiresAt: { gt: new Date() } },
        data: { status: "running", startedAt: new Date(), carrier: nodeId() },
      });
      if (claimed.count !== 1) continue;
      await runJob(job);
    }
  })()
    .catch((e: unknown) => console.error(`fleetdeck: running the queue of server #${serverId} failed:`, e))
    .finally(() => passes.delete(serverId));
  passes.set(serverId, pass);
  return pass;
}

async function runJob(job: JobRow): Promise<void> {
  const entry = live.get(job.serverId);
  const finish = (status: JobStatus, data: { error?: string; commandRunId?: number } = {}) =>
    db.queuedJob.update({ where: { id: job.id }, data: { status, finishedAt: new Date(), error: "", ...data } });
  if (!entry) return void (await finish("failed", { error: "The server no longer exists" }));
  if (job.kind === "scan") {
    const r = await runUpdateScan(job.serverId).catch((e: unknown) => ({ state: "failed" as const, error: e instanceof Error ? e.message : String(e) }));
    await finish(r.state === "done" ? "done" : "failed", { error: r.state === "done" ? "" : (r.error ?? "") });
    return;
  }
  const parsed = commandPayload.safeParse(safeJson(job.payload));
  if (!parsed.success || !isShell(parsed.data.shell)) return void (await finish("failed", { error: "The queued command could not be read" }));
  const input: CommandInput = { shell: parsed.data.shell, cmd: parsed.data.cmd, timeout: parsed.data.timeout, ...(parsed.data.customShell ? { customShell: parsed.data.customShell } : {}) };
  let runId: number | undefined;
  try {
    await executeCommand(entry, input, { userId: job.userId, username: job.username, ip: job.ip, jobId: job.id, onRecorded: (id) => (runId = id) });
    await finish("done", { commandRunId: runId });
  } catch (e) {
    // A failed run is in the history too (executeCommand records it).
    await finish("failed", { error: e instanceof Error ? e.message : String(e), ...(runId !== undefined ? { commandRunId: runId } : {}) });
  }
}
