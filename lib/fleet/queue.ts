/**
 * Work for machines that are offline: a command someone asked to queue, or an update scan (which
 * Tactical RMM promises will run). Queued work lives in the database (QueuedJob), so it survives
 * a restart or a SIGKILL of the panel, runs when the machine's agent connects, and runs once:
 * each job is claimed with a conditional update (queued → running) that only one caller can win,
 * whichever panel process, and however quickly the agent reconnects. A job not run within
 * FLEETDECK_QUEUE_EXPIRY_HOURS expires. Queueing, cancelling and expiring are audited; a queued
 * command's result lands in the command history under the user who queued it.
 */
import { z } from "zod";
import { audit } from "../audit";
import type { Principal } from "../auth/principal";
import { db } from "../db";
import { config } from "../env";
import { singleton } from "../global";
import type { Actor } from "./actor";
import { isAgentConnected } from "./agents";
import { nodeId } from "./cluster";
import { conflict, forbidden, notFound } from "./errors";
import { live, type LiveEntry } from "./live";
import { can, canList, requirePermission, visibleServers } from "./policy";

export type JobKind = "cmd" | "scan";
export type JobStatus = "queued" | "running" | "done" | "failed" | "cancelled" | "expired";


/** A queued command's payload as stored (read back by queue-runner.ts). */
export const commandPayload = z.object({
  shell: z.string(),
  cmd: z.string(),
  timeout: z.number().int(),
  customShell: z.string().optional(),
});

/** What is queued: a command (commands.ts's input, as stored) or an update scan. */
export type JobInput = { kind: "cmd"; command: z.input<typeof commandPayload> } | { kind: "scan" };

/** A job as the UI and the dialects show it. */
export interface QueuedJobView {
  id: number;
  serverId: number;
  agentId: string;
  hostname: string;
  kind: JobKind;
  status: JobStatus;
  /** The command (shell, cmd, timeout) of a cmd job; null for a scan, or for callers who may not send commands. */
  command: { shell: string; cmd: string; timeout: number } | null;
  username: string;
  createdAt: string;
  expiresAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  commandRunId: number | null;
  error: string;
}

export type JobRow = Awaited<ReturnType<typeof db.queuedJob.findFirstOrThrow>>;

const hostnameOf = (e: LiveEntry | undefined, fallback = "") => e?.host?.hostname || e?.meta.name || fallback;

function viewOf(row: JobRow, showCommand: boolean): QueuedJobView {
  const entry = live.get(row.serverId);
  let command: QueuedJobView["command"] = null;
  if (row.kind === "cmd" && showCommand) {
    const parsed = commandPayload.safeParse(safeJson(row.payload));
    if (parsed.success) command = { shell: parsed.data.shell, cmd: parsed.data.cmd, timeout: parsed.data.timeout };
  }
  return {
    id: row.id,
    serverId: row.serverId,
    agentId: entry?.meta.agentId ?? "",
    hostname: hostnameOf(entry),
    kind: row.kind === "scan" ? "scan" : "cmd",
    status: row.status as JobStatus,
    command,
    username: row.username,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt.toISOString(),
    startedAt: row.startedAt?.toISOString() ?? null,
    finishedAt: row.finishedAt?.toISOString() ?? null,
    commandRunId: row.commandRunId,
    error: row.error,
  };
}

export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

const grantFor = (kind: string): "canManageWinupdates" | "canSendCmd" => (kind === "scan" ? "canManageWinupdates" : "canSendCmd");

function expiryHours(): number {
  return config().FLEETDECK_QUEUE_EXPIRY_HOURS;
}

// ---- queueing --------------------------------------------------------------------------------------

/**
 * What runs a machine's queue (queue-runner.ts, set by wiring.ts): this module stays below the
 * commands and scans it queues. A process-wide singleton, as Next's bundles load modules apart.
 */
const runner = singleton("queueRunner", () => ({ run: (_serverId: number): Promise<void> => Promise.resolve() }));
export function setQueueRunner(run: (serverId: number) => Promise<void>): void {
  runner.run = run;
}

/**
 * Queues work for a machine. A scan already queued for it is answered instead of a second one
 * (one scan gives the same result); commands are queued each time they are asked.
 */
export async function queueJob(p: Principal, actor: Actor, entry: LiveEntry, input: JobInput): Promise<QueuedJobView> {
  requirePermission(p, grantFor(input.kind));
  const serverId = entry.meta.id;
  if (input.kind === "scan") {
    const existing = await db.queuedJob.findFirst({ where: { serverId, kind: "scan", status: "queued", expiresAt: { gt: new Date() } }, orderBy: { id: "asc" } });
    if (existing) return viewOf(existing, true);
  }
  const payload = input.kind === "cmd" ? JSON.stringify(commandPayload.parse(input.command)) : "{}";
  const row = await db.queuedJob.create({
    data: {
      serverId, kind: input.kind, payload, status: "queued",
      userId: actor.id, username: actor.name, ip: actor.ip ?? "",
      expiresAt: new Date(Date.now() + expiryHours() * 3_600_000),
    },
  });
  const what = input.kind === "cmd" ? `${input.command.shell}: ${input.command.cmd.slice(0, 200)}` : "update scan";
  await audit({ action: "queue.add", actorId: actor.id, actorName: actor.name, target: entry.meta.name, detail: `job #${row.id} server #${serverId} ${what}`, ip: actor.ip });
  // The agent may have connected between the caller's check and now: then run it at once.
  if (isAgentConnected(serverId)) void runner.run(serverId);
  return viewOf(row, true);
}

// ---- reading and cancelling ------------------------------------------------------------------------

export const queueFilterSchema = z.object({
  status: z.enum(["queued", "running", "done", "failed", "cancelled", "expired", ""]).optional(),
});

/**
 * Jobs of the machines the principal may list, newest first (at most 200). Commands are shown
 * to those who may send commands; the others see that a command is queued, not what it is.
 */
export async function listJobs(p: Principal, filter: { serverId?: number; status?: string } = {}): Promise<QueuedJobView[]> {
  // A list never shows as queued what is past its time (the timer may not have run yet).
  await expireJobs();
  const visible = filter.serverId !== undefined ? [filter.serverId] : (await visibleServers(p)).map((e) => e.meta.id);
  const rows = await db.queuedJob.findMany({
    where: { serverId: { in: visible }, ...(filter.status ? { status: filter.status } : {}) },
    orderBy: { id: "desc" },
    take: 200,
  });
  const showCommand = can(p, "canSendCmd");
  return rows.map((r) => viewOf(r, showCommand));
}

async function jobFor(p: Principal, id: number): Promise<JobRow> {
  await live.ready();
  const row = await db.queuedJob.findUnique({ where: { id } });
  const entry = row ? live.get(row.serverId) : undefined;
  if (!row || !entry || !canList(p, entry.meta)) throw notFound("job", "No such queued job");
  return row;
}

export async function getJob(p: Principal, id: number): Promise<QueuedJobView> {
  return viewOf(await jobFor(p, id), can(p, "canSendCmd"));
}

/** Cancels a job that has not started (a conditional update: it cannot race its own run). */
export async function cancelJob(p: Principal, actor: Actor, id: number): Promise<QueuedJobView> {
  const row = await jobFor(p, id);
  if (!can(p, grantFor(row.kind))) throw forbidden();
  const { count } = await db.queuedJob.updateMany({ where: { id, status: "queued" }, data: { status: "cancelled", finishedAt: new Date() } });
  if (count === 0) {
    const now = await db.queuedJob.findUniqueOrThrow({ where: { id } });
    throw conflict(`The job is ${now.status}: only queued jobs can be cancelled`, "not_queued");
  }
  await audit({ action: "queue.cancel", actorId: actor.id, actorName: actor.name, target: live.get(row.serverId)?.meta.name ?? `#${row.serverId}`, detail: `job #${id} (${row.kind}) queued by ${row.username}`, ip: actor.ip });
  return viewOf(await db.queuedJob.findUniqueOrThrow({ where: { id } }), can(p, "canSendCmd"));
}

// ---- expiry and start-up -------------------------------------------------------------------------

/**
 * Expires queued jobs past their time. The update is conditional, so with several panels on one
 * database each job expires once, whichever runs it first; the audit entry counts the jobs.
 */
export async function expireJobs(now = new Date()): Promise<number> {
  const { count } = await db.queuedJob.updateMany({ where: { status: "queued", expiresAt: { lte: now } }, data: { status: "expired", finishedAt: now, error: "Expired before the agent connected" } });
  if (count > 0) await audit({ action: "queue.expire", actorId: null, actorName: "system", target: "queue", detail: `${count} job(s) expired` });
  return count;
}

/**
 * Several panel processes: the jobs a process that is gone was running are failed, never rerun
 * (see settleInterruptedJobs), by each survivor that notices (the update is conditional).
 */
export async function failJobsOf(node: string): Promise<number> {
  const { count } = await db.queuedJob.updateMany({
    where: { status: "running", carrier: node },
    data: { status: "failed", finishedAt: new Date(), error: `Interrupted: the panel process running it (${node}) stopped while the job ran` },
  });
  return count;
}

/** At start while other processes run: the running jobs of processes not among `liveNodes`. */
export async function failOrphanedJobs(liveNodes: string[]): Promise<number> {
  const rows = await db.queuedJob.findMany({
    where: { status: "running", carrier: { not: null, notIn: liveNodes } },
    select: { carrier: true },
    distinct: ["carrier"],
  });
  let count = 0;
  for (const { carrier } of rows) if (carrier) count += await failJobsOf(carrier);
  return count;
}

/**
 * At start: jobs left "running" by a panel that stopped (even SIGKILLed) are marked failed, never
 * rerun — the agent may have run them already, and a job runs at most once.
 */
export async function settleInterruptedJobs(startedBefore = new Date()): Promise<number> {
  const { count } = await db.queuedJob.updateMany({
    where: { status: "running", startedAt: { lt: startedBefore } },
    data: { status: "failed", finishedAt: new Date(), error: "Interrupted: the panel stopped while the job ran" },
  });
  return count;
}
