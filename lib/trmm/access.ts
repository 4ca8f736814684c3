import type { Principal } from "../auth/principal";
import { ApiError } from "../dialects/common";
import { hasPermission, TRMM_MESSAGES, type TrmmPermission } from "../dialects/trmm";
import { live, type LiveEntry, type ServerMeta } from "../fleet/live";

/**
 * Who may see which agent, after Tactical RMM: a user restricted to clients and/or sites sees the
 * agents of any of them (TRMM unions the two lists); with no restriction, every agent. Admins see all.
 */
export function canSeeAgent(p: Principal, meta: Pick<ServerMeta, "client" | "site">): boolean {
  if (p.role === "admin") return true;
  const { clients, sites } = p.perms;
  if (clients.length === 0 && sites.length === 0) return true;
  return clients.includes(meta.client) || sites.includes(meta.site);
}

/** Refuses (403) a principal without a Tactical RMM grant; for callers outside withTrmm (the UI API). */
export function requirePermission(p: Principal, permission: TrmmPermission): void {
  if (!hasPermission(p, permission)) throw new ApiError(403, TRMM_MESSAGES.forbidden);
}

/**
 * The agent an action is about. Order as in Tactical RMM: unknown → 404, known but outside the
 * caller's clients/sites → 403 (a list simply leaves such agents out).
 */
export async function agentFor(p: Principal, agentId: string): Promise<LiveEntry> {
  await live.ready();
  const entry = live.byAgentId(agentId);
  if (!entry) throw new ApiError(404, TRMM_MESSAGES.noAgent);
  if (!canSeeAgent(p, entry.meta)) throw new ApiError(403, TRMM_MESSAGES.forbidden);
  return entry;
}

export interface AgentFilter {
  monitoringType?: string;
  client?: string;
  site?: string;
}

/** The agents a principal may see, in display order, narrowed by the list filters. */
export async function visibleAgents(p: Principal, filter: AgentFilter = {}): Promise<LiveEntry[]> {
  await live.ready();
  return live
    .all()
    .filter(
      (e) =>
        canSeeAgent(p, e.meta) &&
        (!filter.monitoringType || e.meta.monitoringType === filter.monitoringType) &&
        (!filter.client || e.meta.client === filter.client) &&
        (!filter.site || e.meta.site === filter.site),
    );
}

/** What the caller may do with agents (the UI shows only the actions it can use). */
export function agentRights(p: Principal) {
  return {
    admin: p.role === "admin",
    canListAgents: hasPermission(p, "canListAgents"),
    canSendCmd: hasPermission(p, "canSendCmd"),
    canManageWinupdates: hasPermission(p, "canManageWinupdates"),
  };
}
