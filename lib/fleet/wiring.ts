import type http from "node:http";
import type { Env } from "../env";

/** Attaches the fleet (agents' WebSocket, live state, the local agent) to the panel's server. */
export async function wireFleet(_server: http.Server, _env: Env): Promise<{ stop(): Promise<void> }> {
  return { stop: async () => undefined };
}
