/** Agent lists and details in Tactical RMM's shapes, from live state (no history scan). */
import { z } from "zod";
import type { Principal } from "../../auth/principal";
import type { LiveEntry } from "../../fleet/live";
import { visibleServers } from "../../fleet/policy";
import { pendingCounts } from "../../fleet/updates";
import { agentBriefOf, agentDetailOf, agentRowOf } from "./shapes";

// An empty parameter (`?client=`) means no filter, as a form would send it.
const filterValue = () =>
  z
    .string()
    .max(200)
    .optional()
    .transform((v) => v || undefined);

export const agentListQuery = z.object({
  detail: z.string().max(10).optional().describe('"false": only {id, hostname, agent_id, client, site}; anything else: the full table fields'),
  monitoring_type: z
    .enum(["server", "workstation", ""], { error: 'Not a valid choice: use "server" or "workstation".' })
    .optional()
    .transform((v) => v || undefined)
    .describe("server or workstation"),
  client: filterValue().describe("Client name (exact)"),
  site: filterValue().describe("Site name (exact)"),
});

export function queryObject(query: URLSearchParams): Record<string, string> {
  return Object.fromEntries(query.entries());
}

export async function listAgents(p: Principal, query: URLSearchParams) {
  const q = agentListQuery.parse(queryObject(query));
  const entries = await visibleServers(p, { monitoringType: q.monitoring_type, client: q.client, site: q.site });
  if (q.detail === "false") return entries.map(agentBriefOf);
  const pending = await pendingCounts();
  const now = Date.now();
  return entries.map((e) => agentRowOf(e, pending.get(e.meta.id) ?? 0, now));
}

export async function agentDetail(entry: LiveEntry) {
  const pending = await pendingCounts();
  return agentDetailOf(entry, pending.get(entry.meta.id) ?? 0);
}

/** The panel UI's agent list: the detail shape (display name, connection, pending updates) per agent. */
export async function listAgentDetails(p: Principal) {
  const entries = await visibleServers(p);
  const pending = await pendingCounts();
  const now = Date.now();
  return entries.map((e) => agentDetailOf(e, pending.get(e.meta.id) ?? 0, now));
}
