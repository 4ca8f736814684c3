/**
 * Remote commands: record the run, hand it to the agent over its WebSocket, and keep its output
 * in the command history. Every command is audited with who sent it and from where; a command to
 * a machine whose agent is not connected is refused at once and recorded as failed, so the
 * history also shows attempts that never ran — unless the caller asked for it to be queued
 * (lib/fleet/queue.ts), in which case it runs when the agent connects again.
 */
import { z } from "zod";
import { MAX_OUTPUT_BYTES, STREAMING_PROTOCOL_VERSION } from "../../agent/protocol";
import { audit } from "../audit";
import type { Principal } from "../auth/principal";
import { db } from "../db";
import type { Actor } from "./actor";
import { agentFailure, askAgent, isAgentConnected } from "./agents";
import { DomainError, invalid, notFound, unavailable } from "./errors";
import { watchOutput, type OutputListener } from "./live-output";
import { capability, live, type LiveEntry } from "./live";
import { requirePermission } from "./policy";
import { queueJob, type QueuedJobView } from "./queue";
import { nodeId } from "./cluster";

/** Shell names Tactical RMM clients send, plus the short POSIX ones. */
export const SHELLS = ["bash", "/bin/bash", "sh", "/bin/sh", "cmd", "powershell", "custom"] as const;
export type Shell = (typeof SHELLS)[number];
export const MIN_TIMEOUT = 1;
export const MAX_TIMEOUT = 3600;
export const DEFAULT_TIMEOUT = 30;
export const MAX_COMMAND_CHARS = 64 * 1024;
/** Time on top of the command's own timeout for the agent to kill it and answer. */
const ANSWER_GRACE_MS = 5_000;

export const COMMANDS_DISABLED = "Commands are disabled on this agent: it runs commands only when started with --allow-commands";

export interface CommandInput {
  shell: Shell;
  cmd: string;
  timeout: number;
  customShell?: string;
  /**
   * A key the browser chose to watch this run's output live before it starts (lib/fleet/live-output.ts
   * topic `k:<userId>:<key>`); every run can also be watched by its id (`r:<runId>`).
   */
  liveKey?: string;
}

/** What a browser may choose as a live key: hard to guess, harmless in a topic name. */
export const LIVE_KEY_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;

/** The panel UI's command form (the Tactical RMM dialect has its own, DRF-worded parser). */
export const commandRequestSchema = z
  .object({
    shell: z.enum(SHELLS, { error: `The shell must be one of ${SHELLS.join(", ")}` }),
    cmd: z.string({ error: "The command is required" }).min(1, "The command is empty").max(MAX_COMMAND_CHARS, `The command must be at most ${MAX_COMMAND_CHARS} characters`),
    timeout: z
      .number({ error: "The timeout must be a number of seconds" })
      .int("The timeout must be a whole number of seconds")
      .min(MIN_TIMEOUT, `The timeout must be greater than or equal to ${MIN_TIMEOUT} second`)
      .max(MAX_TIMEOUT, `The timeout must be less than or equal to ${MAX_TIMEOUT} seconds`)
      .default(DEFAULT_TIMEOUT),
    custom_shell: z.string().max(4096).optional(),
    /** Live output under this key while it runs (the panel's own command dialog). */
    live: z.string().regex(LIVE_KEY_PATTERN, "The live key must be 16 to 64 letters, digits, - or _").optional(),
  })
  .refine((b) => b.shell !== "custom" || !!b.custom_shell?.trim(), { message: "A custom shell needs its path", path: ["custom_shell"] })
  .transform((b): CommandInput => ({
    shell: b.shell,
    cmd: b.cmd,
    timeout: b.timeout,
    ...(b.shell === "custom" ? { customShell: b.custom_shell!.trim() } : {}),
    ...(b.live ? { liveKey: b.live } : {}),
  }));

export interface CommandOutcome {
  id: number;
  status: "done" | "timeout";
  exitCode: number | null;
  /** The output as stored and answered, with a note when it was cut or the command killed. */
  output: string;
}

function withNotes(output: string, r: { timedOut: boolean; truncated: boolean }, timeout: number): string {
  const notes: string[] = [];
  if (r.truncated) notes.push(`[Fleetdeck: the output was longer than ${MAX_OUTPUT_BYTES / 1024} KiB; only the first ${MAX_OUTPUT_BYTES / 1024} KiB are shown]`);
  if (r.timedOut) notes.push(`[Fleetdeck: the command did not finish within ${timeout} s and was killed]`);
  if (!notes.length) return output;
  return (output && !output.endsWith("\n") ? output + "\n" : output) + notes.join("\n");
}

/** A failed agent request in the domain's words. */
function commandError(e: unknown): DomainError {
  const failure = agentFailure(e);
  if (!failure) return unavailable(`Unable to contact the agent (${e instanceof Error ? e.message : String(e)})`, "offline");
  switch (failure.code) {
    case "commands_disabled":
      return new DomainError("invalid", COMMANDS_DISABLED, { reason: "capability" });
    case "bad_shell":
    case "bad_request":
      return invalid(`The agent cannot run this command: ${failure.message}`);
    case "offline":
    case "timeout":
    case "bad_response":
      return unavailable(`Unable to contact the agent (${failure.message})`, failure.code);
    case "too_large":
      return new DomainError("too_large", `The command is too large for the agent protocol: ${failure.message}`);
    default:
      return invalid(`The agent failed to run the command: ${failure.message}`);
  }
}

/** Who a command runs for: the sender, or the user who queued it. */
export interface CommandOwner {
  userId: number | null;
  username: string;
  ip?: string;
  /** Set when the command was queued: the audit entry names the job. */
  jobId?: number;
  /** Told the history entry's id as soon as it exists (a queued job links to it). */
  onRecorded?: (runId: number) => void;
}

/** A command accepted for later: it runs when the machine's agent connects again. */
export interface QueuedCommand {
  status: "queued";
  job: QueuedJobView;
}

/**
 * Runs a command on a machine and records it (who, when, which machine, command, exit code,
 * output). The caller must hold `canSendCmd` for this machine (checked here too). With
 * `queueIfOffline`, a machine whose agent is not connected gets the command queued instead of
 * refused.
 */
export async function runCommand(p: Principal, actor: Actor, entry: LiveEntry, input: CommandInput): Promise<CommandOutcome>;
export async function runCommand(p: Principal, actor: Actor, entry: LiveEntry, input: CommandInput, opts: { queueIfOffline: boolean }): Promise<CommandOutcome | QueuedCommand>;
export async function runCommand(p: Principal, actor: Actor, entry: LiveEntry, input: CommandInput, opts: { queueIfOffline?: boolean } = {}): Promise<CommandOutcome | QueuedCommand> {
  requirePermission(p, "canSendCmd");
  if (opts.queueIfOffline && !isAgentConnected(entry.meta.id)) {
    return { status: "queued", job: await queueJob(p, actor, entry, { kind: "cmd", command: input }) };
  }
  return executeCommand(entry, input, { userId: actor.id, username: actor.name, ip: actor.ip });
}

/**
 * Records a run and asks the agent (no permission check: the caller did it, now or when it
 * queued the command). Offline or failing agents leave a failed run in the history.
 */
export async function executeCommand(entry: LiveEntry, input: CommandInput, owner: CommandOwner): Promise<CommandOutcome> {
  const serverId = entry.meta.id;
  const run = await db.commandRun.create({
    // While it runs, its output names the panel process waiting for the answer (no API shows a
    // running command's output): if that process dies, the survivors know which runs were its.
    data: { serverId, userId: owner.userId, username: owner.username, shell: input.shell, command: input.cmd, timeout: input.timeout, status: "running", carrier: nodeId() },
  });
  owner.onRecorded?.(run.id);
  const queued = owner.jobId !== undefined ? ` (queued job #${owner.jobId})` : "";
  void audit({ action: "agent.cmd", actorId: owner.userId, actorName: owner.username, target: entry.meta.name, detail: `#${run.id} server #${serverId}${queued} ${input.shell}: ${input.cmd.slice(0, 200)}`, ip: owner.ip }).catch(() => undefined);
  try {
    if (!isAgentConnected(serverId)) throw unavailable("Unable to contact the agent: it is not connected", "offline");
    // Known from the connected agent's hello: refused at once rather than after a round trip (an
    // agent that did not say is asked, and refuses itself).
    if (capability(entry, "commands") === false) throw new DomainError("invalid", COMMANDS_DISABLED, { reason: "capability" });
    // Protocol 6: the output streams while it runs, watchable by the run's id (and the browser's
    // key) on the process holding the agent; the answer below still holds all of it.
    const stream = ((live.get(serverId) ?? entry).agent?.protocol ?? 0) >= STREAMING_PROTOCOL_VERSION;
    const r = await askAgent(
      serverId,
      "cmd.run",
      { shell: input.shell, cmd: input.cmd, timeout: input.timeout, ...(input.customShell ? { customShell: input.customShell } : {}), ...(stream ? { stream: true } : {}) },
      input.timeout * 1000 + ANSWER_GRACE_MS,
      stream ? { outputKeys: [runOutputKey(run.id), ...(input.liveKey && owner.userId !== null ? [liveOutputKey(owner.userId, input.liveKey)] : [])] } : {},
    );
    const output = withNotes(r.output, r, input.timeout);
    const status = r.timedOut ? "timeout" : "done";
    await db.commandRun.update({ where: { id: run.id }, data: { status, exitCode: r.exitCode, output, finishedAt: new Date() } });
    return { id: run.id, status, exitCode: r.exitCode, output };
  } catch (e) {
    const error = e instanceof DomainError ? e : commandError(e);
    await db.commandRun.update({ where: { id: run.id }, data: { status: "failed", output: error.message, finishedAt: new Date() } }).catch(() => undefined);
    throw error;
  }
}

/** The live-output topic of a run, by its id (lib/fleet/live-output.ts). */
export const runOutputKey = (runId: number) => `r:${runId}`;
/** The live-output topic of a run by the key its sender's browser chose: only that user reaches it. */
export const liveOutputKey = (userId: number, key: string) => `k:${userId}:${key}`;

/**
 * Listens to a command's output while it runs (lib/fleet/live-output.ts), for those who may send
 * commands to the machine: a run by its id (any run, whoever sent it: as its history shows), or
 * the run the caller is sending under a key of their own browser's choosing (listened to before
 * the run exists). A run that is over ends the listener at once: its output is in the history.
 */
export async function watchCommandOutput(p: Principal, entry: LiveEntry, ref: { run: number } | { key: string }, listener: OutputListener): Promise<() => void> {
  requirePermission(p, "canSendCmd");
  if ("key" in ref) {
    if (!LIVE_KEY_PATTERN.test(ref.key)) throw invalid("The live key must be 16 to 64 letters, digits, - or _");
    return watchOutput(entry.meta.id, liveOutputKey(p.userId, ref.key), listener);
  }
  const run = Number.isSafeInteger(ref.run) ? await db.commandRun.findUnique({ where: { id: ref.run }, select: { serverId: true, status: true } }) : null;
  if (!run || run.serverId !== entry.meta.id) throw notFound("job", "No such command run on this agent");
  if (run.status !== "running") {
    setImmediate(() => listener({ t: "end", reason: "done" }));
    return () => undefined;
  }
  const stop = watchOutput(entry.meta.id, runOutputKey(ref.run), listener);
  // It may have ended between the read above and the listening (or on a process that cannot
  // tell this one): the history says so.
  const check = setInterval(() => {
    void db.commandRun.findUnique({ where: { id: ref.run }, select: { status: true } }).then(
      (r) => {
        if (r?.status === "running") return;
        clearInterval(check);
        listener({ t: "end", reason: "done" });
      },
      () => undefined,
    );
  }, RUN_CHECK_MS);
  check.unref();
  return () => {
    clearInterval(check);
    stop();
  };
}

const RUN_CHECK_MS = 5_000;

/** Most recent first; the documented endpoints never page through more than this. */
export const HISTORY_LIMIT = 200;

export type CommandRunRow = Awaited<ReturnType<typeof commandHistory>>[number];

export async function commandHistory(p: Principal, entry: LiveEntry) {
  // The history holds commands' output: it is for those who may send commands.
  requirePermission(p, "canSendCmd");
  return db.commandRun.findMany({ where: { serverId: entry.meta.id }, orderBy: { id: "desc" }, take: HISTORY_LIMIT });
}

/** What a run left "running" by a panel that stopped (a crash, a kill, a power cut) says. */
export const INTERRUPTED_NOTE =
  "[Fleetdeck: the panel stopped while this command was running, so its outcome and output are unknown; it may have finished on the machine]";

/** What a run whose panel process died (several processes; the others go on) says. */
export function processGoneNote(node: string): string {
  return `[Fleetdeck: the panel process that sent this command (${node}) stopped while it was running, so its outcome and output are unknown; it may have finished on the machine]`;
}

/**
 * Several panel processes: another process is gone (lib/fleet/cluster.ts onPeerGone). The runs it
 * was waiting for will never be answered: they are marked failed with a note (each survivor is
 * told; the update is conditional, so they are marked once). A process that answers after all
 * (it was cut off, not dead) overwrites the note with the real outcome.
 */
export async function failRunsOf(node: string): Promise<number> {
  const { count } = await db.commandRun.updateMany({
    where: { status: "running", carrier: node },
    data: { status: "failed", output: processGoneNote(node), finishedAt: new Date() },
  });
  return count;
}

/**
 * At start while other processes run: the runs of processes that are not among them (gone before
 * this one started, their registry rows already tidied) are failed like failRunsOf's. Runs
 * without a carrier (an older version's) are left to a fleet restart.
 */
export async function failOrphanedRuns(liveNodes: string[]): Promise<number> {
  const orphans = await db.commandRun.findMany({
    where: { status: "running", carrier: { not: null, notIn: liveNodes } },
    select: { carrier: true },
    distinct: ["carrier"],
  });
  let count = 0;
  for (const { carrier } of orphans) if (carrier) count += await failRunsOf(carrier);
  return count;
}

/**
 * At start, before any agent connects: a run still "running" belongs to a panel process that is
 * gone (only the process that sent a command waits for its answer), so it is marked failed with
 * a note instead of showing "running" for ever. Returns how many were.
 */
export async function failInterruptedRuns(): Promise<number> {
  const { count } = await db.commandRun.updateMany({
    where: { status: "running" },
    data: { status: "failed", output: INTERRUPTED_NOTE, finishedAt: new Date() },
  });
  return count;
}
