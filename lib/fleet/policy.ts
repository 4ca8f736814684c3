/**
 * The access policy: what a principal may see and do with each server, instance, command and
 * token. Every API route and every UI route asks it, so a restricted user sees exactly the same
 * machines through every door (Nezha's list, Tactical RMM's agents, MCSManager's instances, the UI).
 *
 * Machines are limited Tactical RMM's way: permission booleans, and client/site limits (a user
 * limited to clients and/or sites reaches the machines of any of them; no limit = every machine).
 * Instances are limited MCSManager's way: a non-admin reaches exactly the instances assigned to
 * them, without seeing the rest of their daemon. Admins may do everything.
 */
import type { Grants, Principal } from "../auth/principal";
import { forbidden, notFound } from "./errors";
import { live, type LiveEntry, type ServerMeta } from "./live";

export const isAdmin = (p: Principal): boolean => p.role === "admin";

/**
 * An anonymous caller of the public status view (lib/fleet/public-status.ts), when an admin has
 * turned it on: lists the servers not hidden from guests, and may do nothing else. Recognised by
 * identity: only the guard hands it out.
 */
export const GUEST: Principal = Object.freeze({
  userId: 0,
  username: "guest",
  role: "user",
  via: "cookie",
  perms: Object.freeze({
    canListAgents: true, canSendCmd: false, canManageWinupdates: false, canListClients: false, canManageClients: false,
    canListSites: false, canManageSites: false, canManageMonitoring: false, clients: [], sites: [], instances: [],
  }),
}) as Principal;
export const isGuest = (p: Principal): boolean => p === GUEST;

/**
 * The grants a route may require, named after Tactical RMM's permissions; canManageMonitoring is
 * Fleetdeck's one grant for monitors and alert rules (Tactical RMM's can_manage_checks and
 * can_manage_alerts together).
 */
export type Permission = keyof Pick<
  Grants,
  "canListAgents" | "canSendCmd" | "canManageWinupdates" | "canListClients" | "canManageClients" | "canListSites" | "canManageSites" | "canManageMonitoring"
>;

export function can(p: Principal, permission: Permission): boolean {
  return isAdmin(p) || p.perms[permission] === true;
}

/** Refuses (forbidden) a principal without the grant. */
export function requirePermission(p: Principal, permission: Permission): void {
  if (!can(p, permission)) throw forbidden();
}

export function requireAdmin(p: Principal): void {
  if (!isAdmin(p)) throw forbidden("This needs an administrator");
}

/** Whether a machine is within the principal's client/site limits (not whether they may list it). */
export function inScope(p: Principal, meta: Pick<ServerMeta, "client" | "site"> & { hideForGuest?: boolean }): boolean {
  if (isAdmin(p)) return true;
  // Nezha's hide_for_guest: hidden from the anonymous status view, from nobody else.
  if (isGuest(p)) return meta.hideForGuest === false;
  const { clients, sites } = p.perms;
  if (clients.length === 0 && sites.length === 0) return true;
  return clients.includes(meta.client) || sites.includes(meta.site);
}

/** True when the principal sees every machine (the cached whole-fleet answers apply to them). */
export function seesWholeFleet(p: Principal): boolean {
  return isAdmin(p) || (!isGuest(p) && (p.perms.canListAgents && p.perms.clients.length === 0 && p.perms.sites.length === 0));
}

/**
 * A key naming the set of machines a principal may list, for caches of per-scope answers:
 * principals with the same key see the same machines.
 */
export function scopeKey(p: Principal): string {
  if (isGuest(p)) return "guest";
  if (seesWholeFleet(p)) return "*";
  if (!p.perms.canListAgents) return "-";
  return `c=${[...p.perms.clients].sort().join(",")};s=${[...p.perms.sites].sort().join(",")}`;
}

/** May the principal list this machine (Nezha's list, the agents list, the UI's servers)? */
export function canList(p: Principal, meta: Pick<ServerMeta, "client" | "site" | "hideForGuest">): boolean {
  return can(p, "canListAgents") && inScope(p, meta);
}

export interface ServerFilter {
  monitoringType?: string;
  client?: string;
  site?: string;
  tag?: string;
}

/** The machines a principal may list, in display order, narrowed by the filters. */
export async function visibleServers(p: Principal, filter: ServerFilter = {}): Promise<LiveEntry[]> {
  await live.ready();
  if (!can(p, "canListAgents")) return [];
  const whole = !isGuest(p) && inScope(p, { client: "\0", site: "\0" });
  return live
    .all()
    .filter(
      (e) =>
        (whole || inScope(p, e.meta)) &&
        (!filter.monitoringType || e.meta.monitoringType === filter.monitoringType) &&
        (!filter.client || e.meta.client === filter.client) &&
        (!filter.site || e.meta.site === filter.site) &&
        (filter.tag === undefined || filter.tag === "" || e.meta.tag === filter.tag),
    );
}

/**
 * The machine an action is about, as Tactical RMM decides it: unknown → not found; outside the
 * caller's clients/sites or without the grant → forbidden (a list simply leaves it out).
 */
export async function serverFor(p: Principal, ref: { id: number } | { agentId: string }, permission: Permission = "canListAgents"): Promise<LiveEntry> {
  await live.ready();
  const entry = "id" in ref ? live.get(ref.id) : live.byAgentId(ref.agentId);
  if (!entry) throw notFound("server", "No such server");
  if (!inScope(p, entry.meta) || !can(p, permission)) throw forbidden();
  return entry;
}

/** What a principal may do with machines (the UI shows only the actions it can use). */
export function rightsOf(p: Principal) {
  return {
    admin: isAdmin(p),
    canListAgents: can(p, "canListAgents"),
    canSendCmd: can(p, "canSendCmd"),
    canManageWinupdates: can(p, "canManageWinupdates"),
    canListClients: can(p, "canListClients"),
    canManageClients: can(p, "canManageClients"),
    canListSites: can(p, "canListSites"),
    canManageSites: can(p, "canManageSites"),
    canManageMonitoring: can(p, "canManageMonitoring"),
  };
}

// ---- monitors and alert rules ---------------------------------------------------------------------------

/**
 * Whether every one of these machines is one the principal may list (an unknown id counts as
 * not: a user cannot tell a machine outside their limits from one that does not exist).
 */
export function listsAll(p: Principal, serverIds: readonly number[]): boolean {
  if (isAdmin(p)) return true;
  return serverIds.every((id) => {
    const e = live.get(id);
    return !!e && canList(p, e.meta);
  });
}

// ---- instances (MCSManager's model) --------------------------------------------------------------

/** Whether the principal may see and control this instance (start/stop/input/output). */
export function canUseInstance(p: Principal, instanceUuid: string): boolean {
  return isAdmin(p) || p.perms.instances.includes(instanceUuid);
}

/** Refuses an instance the principal was not assigned. */
export function requireInstance(p: Principal, instanceUuid: string): void {
  if (!canUseInstance(p, instanceUuid)) throw forbidden("This instance is not assigned to you");
}

/** Defining, changing and deleting instances, and anything about daemons as a whole: admins. */
export const canManageInstances = isAdmin;

// ---- tokens ----------------------------------------------------------------------------------------

/** A token or key's row is visible to its owner and to admins; to anyone else it does not exist. */
export function canSeeToken(p: Principal, ownerId: number): boolean {
  return isAdmin(p) || ownerId === p.userId;
}
