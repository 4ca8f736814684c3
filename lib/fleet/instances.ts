/**
 * Instances: long-running processes (game servers, services) an agent runs for the panel,
 * MCSManager's model. The panel's database holds their definitions and is their source of truth;
 * the agent holds their processes and reports their state. Every action on one is checked
 * against the access policy and audited (who, from where, which server and instance).
 *
 * Answers come within a client's patience (MCSManager's clients commonly give up at 5 s): the
 * agent gets AGENT_TIMEOUT_MS, and its failures become clear domain errors (never a 500).
 */
import crypto from "node:crypto";
import { z } from "zod";
import { MAX_FRAME_BYTES, MAX_INSTANCES, type InstanceDefinition, type InstanceState, type PanelToAgent } from "../../agent/protocol";
import { audit } from "../audit";
import { forgetAllUsers, type Principal } from "../auth/principal";
import { db } from "../db";
import type { Actor } from "./actor";
import { agentFailure, askAgent, isAgentConnected } from "./agents";
import { DomainError, invalid, notFound, parseInput, unavailable } from "./errors";
import { definitionsChanged } from "./instance-counts";
import { capability, live, type LiveEntry } from "./live";
import { watchOutput, type OutputListener } from "./live-output";
import { requireAdmin, requireInstance } from "./policy";

/** Longest wait for an agent's answer (API clients commonly give up at 5 s). */
export const AGENT_TIMEOUT_MS = 3_500;

export const instanceInputSchema = z.object({
  name: z.string().trim().min(1, "Name is required").max(100),
  startCommand: z.string().trim().min(1, "A start command is required").max(4000),
  cwd: z.string().max(1000).default(""),
  stopCommand: z.string().max(1000).default(""),
  autoRestart: z.boolean().default(false),
  /** Start when the agent starts (MCSManager's eventTask.autoStart). */
  autoStart: z.boolean().default(false),
});
export type InstanceInput = z.input<typeof instanceInputSchema>;
export type InstanceRow = Awaited<ReturnType<typeof findInstance>> & {};
export type InstanceAction = "start" | "stop" | "restart" | "kill";

const definitionOf = (row: { uuid: string; name: string; startCommand: string; cwd: string; stopCommand: string; autoRestart: boolean; autoStart: boolean }): InstanceDefinition => ({
  uuid: row.uuid, name: row.name, startCommand: row.startCommand, cwd: row.cwd, stopCommand: row.stopCommand, autoRestart: row.autoRestart,
  autoStart: row.autoStart,
});

export const INSTANCES_DISABLED = "Instances are disabled on this daemon: its agent runs instances only when started with --allow-instances";

/**
 * Refuses at once when the daemon's connected agent said its owner did not allow instances (an
 * agent that did not say is asked, and refuses itself; an offline one is answered as offline —
 * it may come back with instances allowed).
 */
function requireInstances(serverId: number): void {
  const entry = live.get(serverId);
  if (entry && isAgentConnected(serverId) && capability(entry, "instances") === false) throw new DomainError("invalid", INSTANCES_DISABLED, { reason: "capability" });
}

/** Sends a server's instance definitions to its agent (on connect and after every change). */
export async function syncInstances(serverId: number): Promise<void> {
  if (!isAgentConnected(serverId)) return;
  const entry = live.get(serverId);
  if (entry && capability(entry, "instances") === false) return; // it would refuse them
  const rows = await db.instance.findMany({ where: { serverId }, orderBy: { id: "asc" } });
  await askAgent(serverId, "instance.sync", { instances: rows.map(definitionOf) }, 10_000);
}

/**
 * Refuses a change after which a server's instance definitions would no longer fit in the one
 * message that carries them to its agent: the agent would drop the connection at every sync,
 * reconnect, be sent the same message and drop it again, for ever.
 */
async function assertSyncFits(serverId: number, change: { add?: InstanceDefinition; replace?: InstanceDefinition }): Promise<void> {
  const rows = await db.instance.findMany({ where: { serverId }, orderBy: { id: "asc" } });
  const defs = rows.map((r) => (change.replace && r.uuid === change.replace.uuid ? change.replace : definitionOf(r)));
  if (change.add) defs.push(change.add);
  if (defs.length > MAX_INSTANCES) throw invalid(`A daemon holds at most ${MAX_INSTANCES} instances`);
  const frame: PanelToAgent = { type: "request", id: Number.MAX_SAFE_INTEGER, method: "instance.sync", params: { instances: defs } };
  const bytes = Buffer.byteLength(JSON.stringify(frame));
  if (bytes > MAX_FRAME_BYTES) {
    throw invalid(
      `The instances of this daemon would no longer fit in one message to its agent (${Math.ceil(bytes / 1024)} KiB, at most ${MAX_FRAME_BYTES / 1024} KiB): remove instances or shorten their commands`,
    );
  }
}

export function instancesOf(serverId: number) {
  return db.instance.findMany({ where: { serverId }, orderBy: { id: "asc" } });
}

export function findInstance(uuid: string) {
  return db.instance.findUnique({ where: { uuid } });
}

/** An instance's live state as its agent last reported it ("stopped" when unknown). */
export function instanceState(serverId: number, uuid: string): InstanceState {
  return live.get(serverId)?.instances.find((i) => i.uuid === uuid) ?? { uuid, status: "stopped", pid: null, exitCode: null, startedAt: null };
}

/** An instance definition that must belong to the given server (else not found, whatever exists elsewhere). */
export async function instanceOn(serverId: number, uuid: string) {
  const row = uuid ? await findInstance(uuid) : null;
  if (!row || row.serverId !== serverId) throw notFound("instance", `Instance not found: ${uuid}`);
  return row;
}

/**
 * The instance a principal names, if the policy lets them use it. As in MCSManager, a non-admin's
 * assignment is checked first: an instance that is not theirs is forbidden whether it exists or
 * not (so its existence is not revealed); then it must exist on that server.
 */
export async function instanceFor(p: Principal, serverId: number, uuid: string) {
  requireInstance(p, uuid);
  return instanceOn(serverId, uuid);
}

/** The instances assigned to a principal (every instance for an admin), with their servers. */
export async function instancesVisibleTo(p: Principal) {
  await live.ready();
  const rows = await db.instance.findMany({
    where: p.role === "admin" ? {} : { uuid: { in: p.perms.instances } },
    orderBy: { id: "asc" },
  });
  return rows.map((row) => ({ row, server: live.get(row.serverId) })).filter((x): x is { row: typeof x.row; server: LiveEntry } => !!x.server);
}

// ---- agent failures in the domain's words -----------------------------------------------------------

/** Converts what the agent or hub throws into a DomainError (other errors pass through). */
export function instanceError(err: unknown, what: string): unknown {
  const e = agentFailure(err);
  if (!e) return err;
  switch (e.code) {
    case "offline":
      return unavailable(`The daemon is offline: cannot ${what}`, "offline");
    case "timeout":
      return unavailable(`The daemon did not answer within ${AGENT_TIMEOUT_MS / 1000} s: cannot ${what}`, "timeout");
    case "unknown_instance":
      return notFound("instance", "The daemon does not know this instance yet; try again in a moment");
    case "instance_running":
      return invalid("The instance is already running");
    case "instance_not_running":
      return invalid("The instance is not running");
    case "start_failed":
      return invalid(`The instance failed to start: ${e.message}`);
    case "instances_disabled":
      return new DomainError("invalid", INSTANCES_DISABLED, { reason: "capability" });
    case "too_large":
      return new DomainError("too_large", `Cannot ${what}: ${e.message}`);
    default:
      return invalid(`The daemon refused to ${what}: ${e.message}`);
  }
}

/**
 * Asks the agent, and if it does not know the instance yet (created a moment ago, sync still on
 * its way), resends the definitions once and retries.
 */
async function withResync<T>(serverId: number, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (agentFailure(e)?.code !== "unknown_instance") throw e;
    await syncInstances(serverId);
    return run();
  }
}

function auditInstance(action: string, actor: Actor, serverId: number, row: { uuid: string; name: string }, detail = "") {
  const server = live.get(serverId)?.meta.name ?? `#${serverId}`;
  return audit({
    action: `instance.${action}`,
    actorId: actor.id,
    actorName: actor.name,
    target: `${server} / ${row.name}`,
    detail: `server #${serverId} instance ${row.uuid}${detail ? ` ${detail}` : ""}`,
    ip: actor.ip,
  });
}

// ---- control (the instance's assigned users and admins) -------------------------------------------

/**
 * Starts, stops, restarts or kills an instance. Stop, restart and kill may legitimately take
 * longer than a client waits (a stop command, then SIGKILL after 10 s): when the agent is
 * connected but has not finished in time, the action is under way and the answer is its state
 * as last reported (MCSManager's own stop answers as soon as the command is sent).
 */
export async function runInstanceAction(p: Principal, actor: Actor, serverId: number, uuid: string, action: InstanceAction): Promise<InstanceState> {
  const row = await instanceFor(p, serverId, uuid);
  requireInstances(serverId);
  await auditInstance(action, actor, serverId, row);
  try {
    return await withResync(serverId, () => askAgent(serverId, `instance.${action}`, { uuid }, AGENT_TIMEOUT_MS));
  } catch (e) {
    if (agentFailure(e)?.code === "timeout" && action !== "start") return instanceState(serverId, uuid);
    throw instanceError(e, `${action} the instance`);
  }
}

/** Writes one line to the instance's standard input (every line is audited). */
export async function sendInstanceInput(p: Principal, actor: Actor, serverId: number, uuid: string, line: string): Promise<void> {
  const row = await instanceFor(p, serverId, uuid);
  requireInstances(serverId);
  await auditInstance("input", actor, serverId, row, JSON.stringify(line.slice(0, 500)));
  try {
    await withResync(serverId, () => askAgent(serverId, "instance.input", { uuid, line }, AGENT_TIMEOUT_MS));
  } catch (e) {
    throw instanceError(e, "send the command");
  }
}

/** The instance's recent console output (bounded by the agent's ring buffer). */
export async function readInstanceOutput(p: Principal, serverId: number, uuid: string): Promise<string> {
  await instanceFor(p, serverId, uuid);
  requireInstances(serverId);
  try {
    return (await withResync(serverId, () => askAgent(serverId, "instance.output", { uuid }, AGENT_TIMEOUT_MS))).output;
  } catch (e) {
    throw instanceError(e, "read the output");
  }
}

/**
 * Listens to the instance's console as its agent writes it (lib/fleet/live-output.ts): the
 * scroll-back first, then each chunk. Allowed to whoever may read its output. An agent of
 * protocol 5 ends the listener at once ("unsupported"): its console is read with
 * readInstanceOutput, every moment, as before.
 */
export async function watchInstanceOutput(p: Principal, serverId: number, uuid: string, listener: OutputListener): Promise<() => void> {
  await instanceFor(p, serverId, uuid);
  requireInstances(serverId);
  return watchOutput(serverId, `i:${uuid}`, listener);
}

// ---- definitions (admins) ---------------------------------------------------------------------------

export async function createInstance(p: Principal, actor: Actor, serverId: number, input: InstanceInput) {
  requireAdmin(p);
  const data = parseInput(instanceInputSchema, input);
  await live.ready();
  if (!live.get(serverId)) throw notFound("server", "No such daemon");
  requireInstances(serverId);
  const uuid = crypto.randomUUID().replace(/-/g, "");
  await assertSyncFits(serverId, { add: definitionOf({ ...data, uuid }) });
  const row = await db.instance.create({ data: { ...data, serverId, uuid } });
  await auditInstance("create", actor, serverId, row, `start=${JSON.stringify(row.startCommand.slice(0, 300))}`);
  await definitionsChanged();
  await syncInstances(serverId).catch(() => undefined);
  return row;
}

export async function updateInstance(p: Principal, actor: Actor, serverId: number, uuid: string, patch: Partial<InstanceInput>) {
  requireAdmin(p);
  const current = await instanceOn(serverId, uuid);
  const data = parseInput(instanceInputSchema.partial(), patch);
  await assertSyncFits(serverId, { replace: definitionOf({ ...current, ...data }) });
  const row = await db.instance.update({ where: { uuid }, data });
  await auditInstance("update", actor, serverId, row, Object.keys(data).join(","));
  await syncInstances(row.serverId).catch(() => undefined);
  return row;
}

/** All or nothing: every uuid must name an instance of this server before any is deleted. */
export async function deleteInstances(p: Principal, actor: Actor, serverId: number, uuids: string[]): Promise<string[]> {
  requireAdmin(p);
  const rows = [];
  for (const uuid of uuids) rows.push(await instanceOn(serverId, uuid));
  const deleted: string[] = [];
  try {
    for (const row of rows) {
      await db.instance.delete({ where: { uuid: row.uuid } });
      deleted.push(row.uuid);
      await auditInstance("delete", actor, serverId, row);
    }
  } finally {
    // Assignments went with the instances: users' cached grants must be re-read.
    forgetAllUsers();
    await definitionsChanged();
    await syncInstances(serverId).catch(() => undefined);
  }
  return deleted;
}
