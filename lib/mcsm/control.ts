import type { InstanceState } from "../../agent/protocol";
import { ApiError } from "../dialects/common";
import { askAgent, AgentRequestError } from "../fleet/agents";
import {
  controlInstance,
  createInstance,
  deleteInstance,
  findInstance,
  instanceState,
  syncInstances,
  updateInstance,
  type InstanceAction,
  type InstanceInput,
} from "../fleet/instances";
import { ServerError } from "../fleet/servers";
import type { Actor } from "../users";
import { definitionsChanged } from "./daemons";

/**
 * Instance control as both the MCSManager routes and the panel UI use it: the domain's functions
 * (lib/fleet/instances.ts) with timeouts short enough that every answer comes well within a
 * client's 5 s, and the agent's failures turned into clear HTTP errors (never a 500).
 */

/** Longest wait for an agent's answer (API clients commonly give up at 5 s). */
export const AGENT_TIMEOUT_MS = 3_500;

/**
 * The agent's failure, if `e` is one. Not `instanceof`: the hub is a process-wide singleton made by
 * server.ts's copy of lib/fleet/hub.ts, while Next's bundle has its own copy of the class, so an
 * error thrown by the hub fails `instanceof` in the UI routes. The name and code are what count.
 */
export function agentFailure(e: unknown): AgentRequestError | null {
  if (e instanceof AgentRequestError) return e;
  if (e instanceof Error && e.name === "AgentRequestError" && typeof (e as { code?: unknown }).code === "string") return e as AgentRequestError;
  return null;
}

/** Converts what the domain and the agent throw into ApiError (the dialects' error envelope). */
export function toApiError(err: unknown, what: string): unknown {
  if (err instanceof ServerError) return new ApiError(err.status, err.message);
  const e = agentFailure(err);
  if (!e) return err;
  switch (e.code) {
    case "offline":
      return new ApiError(503, `The daemon is offline: cannot ${what}`);
    case "timeout":
      return new ApiError(503, `The daemon did not answer within ${AGENT_TIMEOUT_MS / 1000} s: cannot ${what}`);
    case "unknown_instance":
      return new ApiError(404, "The daemon does not know this instance yet; try again in a moment");
    case "instance_running":
      return new ApiError(400, "The instance is already running");
    case "instance_not_running":
      return new ApiError(400, "The instance is not running");
    case "start_failed":
      return new ApiError(400, `The instance failed to start: ${e.message}`);
    default:
      return new ApiError(400, `The daemon refused to ${what}: ${e.message}`);
  }
}

/** An instance definition that must belong to the given server (else 404, whatever exists elsewhere). */
export async function instanceOn(serverId: number, uuid: string) {
  const row = uuid ? await findInstance(uuid) : null;
  if (!row || row.serverId !== serverId) throw new ApiError(404, `Instance not found: ${uuid}`);
  return row;
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

/**
 * Starts, stops, restarts or kills an instance. Stop, restart and kill may legitimately take
 * longer than a client waits (a stop command, then SIGKILL after 10 s): when the agent is
 * connected but has not finished in time, the action is under way and the answer is its state
 * as last reported (MCSManager's own stop answers as soon as the command is sent).
 */
export async function runInstanceAction(serverId: number, uuid: string, action: InstanceAction): Promise<InstanceState> {
  await instanceOn(serverId, uuid);
  try {
    const { state } = await withResync(serverId, () => controlInstance(uuid, action, AGENT_TIMEOUT_MS));
    return state;
  } catch (e) {
    if (agentFailure(e)?.code === "timeout" && action !== "start") return instanceState(serverId, uuid);
    throw toApiError(e, `${action} the instance`);
  }
}

/** Writes one line to the instance's standard input. */
export async function sendInstanceInput(serverId: number, uuid: string, line: string): Promise<void> {
  await instanceOn(serverId, uuid);
  try {
    await withResync(serverId, () => askAgent(serverId, "instance.input", { uuid, line }, AGENT_TIMEOUT_MS));
  } catch (e) {
    throw toApiError(e, "send the command");
  }
}

/** The instance's recent console output (bounded by the agent's ring buffer). */
export async function readInstanceOutput(serverId: number, uuid: string): Promise<string> {
  await instanceOn(serverId, uuid);
  try {
    return (await withResync(serverId, () => askAgent(serverId, "instance.output", { uuid }, AGENT_TIMEOUT_MS))).output;
  } catch (e) {
    throw toApiError(e, "read the output");
  }
}

// ---- definitions -------------------------------------------------------------------------------

export async function createDaemonInstance(serverId: number, input: InstanceInput, actor: Actor) {
  try {
    const row = await createInstance(serverId, input, actor);
    await definitionsChanged();
    return row;
  } catch (e) {
    throw toApiError(e, "create the instance");
  }
}

export async function updateDaemonInstance(serverId: number, uuid: string, patch: Partial<InstanceInput>, actor: Actor) {
  await instanceOn(serverId, uuid);
  try {
    return await updateInstance(uuid, patch, actor);
  } catch (e) {
    throw toApiError(e, "update the instance");
  }
}

export async function deleteDaemonInstances(serverId: number, uuids: string[], actor: Actor): Promise<string[]> {
  // All or nothing: every uuid must name an instance of this daemon before any is deleted.
  for (const uuid of uuids) await instanceOn(serverId, uuid);
  const deleted: string[] = [];
  try {
    for (const uuid of uuids) {
      await deleteInstance(uuid, actor);
      deleted.push(uuid);
    }
  } catch (e) {
    throw toApiError(e, "delete the instance");
  } finally {
    await definitionsChanged();
  }
  return deleted;
}
