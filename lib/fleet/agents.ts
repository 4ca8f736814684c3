import type { RequestMap, RequestMethod } from "../../agent/protocol";
import { getSingleton } from "../global";
import { AgentRequestError, type AgentHub } from "./hub";
import type { UploadSink } from "./file-streams";
import { askRemote, remoteHolder } from "./cluster";
import { remoteDownload, remoteUpload } from "./cluster-streams";
import { requestWithOutput } from "./live-output";

export { AgentRequestError };
export type { UploadSink };

/** The hub the running panel attached (lib/fleet/wiring.ts); shared by the server and Next's bundles. */
function hub(): AgentHub | undefined {
  return getSingleton<AgentHub>("agentHub");
}

/**
 * The agent's failure, if `e` is one. Not only `instanceof`: the hub is a process-wide singleton
 * made by server.ts's copy of hub.ts, while Next's bundle has its own copy of the class. The
 * name and code are what count.
 */
export function agentFailure(e: unknown): AgentRequestError | null {
  if (e instanceof AgentRequestError) return e;
  if (e instanceof Error && e.name === "AgentRequestError" && typeof (e as { code?: unknown }).code === "string") return e as AgentRequestError;
  return null;
}

/** Connected to this process, or to another panel process of the fleet (lib/fleet/cluster.ts). */
export function isAgentConnected(serverId: number): boolean {
  return (hub()?.isConnected(serverId) ?? false) || remoteHolder(serverId) !== undefined;
}

/**
 * Asks a server's agent to do something over its open WebSocket and waits for the answer.
 * `outputKeys`: the live-output topics (lib/fleet/live-output.ts) the output it streams meanwhile
 * is published under, on the process holding the agent.
 */
export function askAgent<M extends RequestMethod>(
  serverId: number,
  method: M,
  params: RequestMap[M]["params"],
  timeoutMs: number,
  opts: { outputKeys?: string[] } = {},
): Promise<RequestMap[M]["result"]> {
  const h = hub();
  if (!h) return Promise.reject(new AgentRequestError("offline", "The agent hub is not running"));
  // Held by another panel process: asked through it, over signed HTTP; its answer or error comes back.
  const asked = !h.isConnected(serverId) && remoteHolder(serverId)
    ? (askRemote(serverId, method, params, timeoutMs, opts.outputKeys) as Promise<RequestMap[M]["result"]>)
    : requestWithOutput(h, serverId, method, params, timeoutMs, opts.outputKeys);
  return asked.catch((e: unknown) => {
    // The hub was made by server.ts's copy of hub.ts; Next's bundle has its own copy of the error
    // class, so re-make the error here for `instanceof AgentRequestError` to hold in every caller.
    const code = (e as { code?: unknown })?.code;
    if (e instanceof Error && e.name === "AgentRequestError" && typeof code === "string") {
      throw new AgentRequestError(code as AgentRequestError["code"], e.message);
    }
    throw e;
  });
}

/** The hub's error re-made in this bundle's class (see askAgent). */
function remade(e: unknown): never {
  const code = (e as { code?: unknown })?.code;
  if (e instanceof Error && e.name === "AgentRequestError" && typeof code === "string") throw new AgentRequestError(code as AgentRequestError["code"], e.message);
  throw e;
}

/**
 * Opens an instance's file on its agent as a stream paced by the reader (lib/fleet/file-streams.ts);
 * through the holding process, over HTTP, when another panel process holds the agent
 * (lib/fleet/cluster-streams.ts).
 */
export function openDownload(serverId: number, params: { uuid: string; target: string }) {
  const h = hub();
  if (!h) return Promise.reject(new AgentRequestError("offline", "The agent hub is not running"));
  const opened = !h.isConnected(serverId) && remoteHolder(serverId) ? remoteDownload(serverId, params) : h.openDownload(serverId, params);
  return opened.catch(remade);
}

/** Opens an upload into an instance's folder on its agent (here or through its holder); nothing appears under the name before finish(). */
export function openUpload(serverId: number, params: { uuid: string; dir: string; name: string; size: number | null }): Promise<UploadSink> {
  const h = hub();
  if (!h) return Promise.reject(new AgentRequestError("offline", "The agent hub is not running"));
  const opened = !h.isConnected(serverId) && remoteHolder(serverId) ? remoteUpload(serverId, params) : h.openUpload(serverId, params);
  return opened.catch(remade);
}
