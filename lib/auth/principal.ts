import { db } from "../db";
import { elapsedClock } from "../clock";
import { authCache } from "./cache";
import { hotAuth } from "./hot";
import type { TokenScope } from "./scope";

export type Role = "admin" | "user";

/** What a request may do: its user's rights, whichever credential carried it. */
export interface Principal {
  userId: number;
  username: string;
  role: Role;
  via: "cookie" | "token";
  tokenId?: number;
  /** The token's limits (read-only, APIs, addresses), when the token has any. */
  scope?: TokenScope;
  perms: Grants;
}

/**
 * A user's grants, read by the access policy (lib/fleet/policy.ts). Admins have every grant;
 * for the "user" role these are Tactical RMM's permission booleans, its client/site limits, and
 * MCSManager's assigned instances.
 */
export interface Grants {
  canListAgents: boolean;
  canSendCmd: boolean;
  canManageWinupdates: boolean;
  canListClients: boolean;
  canManageClients: boolean;
  canListSites: boolean;
  canManageSites: boolean;
  /** Add, edit and delete monitors and alert rules over the machines this user may list (channels stay admin-only). */
  canManageMonitoring: boolean;
  /** Client names this user is limited to; empty (with `sites` empty) = every client. */
  clients: string[];
  sites: string[];
  /** Uuids of the instances assigned to this user. */
  instances: string[];
}

export const ALL_GRANTS: Grants = {
  canListAgents: true, canSendCmd: true, canManageWinupdates: true, canListClients: true, canManageClients: true,
  canListSites: true, canManageSites: true, canManageMonitoring: true, clients: [], sites: [], instances: [],
};

export interface UserSnapshot {
  id: number;
  username: string;
  role: Role;
  disabled: boolean;
  sessionVersion: number;
  perms: Principal["perms"];
}

const USER_TTL_MS = 5_000;

/**
 * Users by id, cached a few seconds so that authenticating a request costs no query. Every
 * mutation of a user forgets it here; one that takes access away also bumps the revocation epoch
 * (lib/auth/revocation.ts), which every other process polls; the TTL is the last resort.
 */
const userCache = authCache<number, { at: number; user: UserSnapshot | null }>("users", { max: 20_000, maxBytes: 32 * 1024 * 1024, valueBytes: 1_000 });

const splitList = (s: string) => s.split(",").map((x) => x.trim()).filter(Boolean);

/** The cached user, or undefined when it must be read (the hot path stays synchronous). */
export function cachedUser(id: number): UserSnapshot | null | undefined {
  const hit = userCache.get(id);
  return hit && elapsedClock() - hit.at < USER_TTL_MS ? hit.user : undefined;
}

export async function loadUser(id: number): Promise<UserSnapshot | null> {
  const hit = cachedUser(id);
  if (hit !== undefined) return hit;
  const row = await db.user.findUnique({ where: { id }, include: { assignments: { select: { instance: { select: { uuid: true } } } } } });
  const user: UserSnapshot | null = row && {
    id: row.id,
    username: row.username,
    role: row.role === "admin" ? "admin" : "user",
    disabled: row.disabled,
    sessionVersion: row.sessionVersion,
    perms: {
      canListAgents: row.canListAgents,
      canSendCmd: row.canSendCmd,
      canManageWinupdates: row.canManageWinupdates,
      canListClients: row.canListClients,
      canManageClients: row.canManageClients,
      canListSites: row.canListSites,
      canManageSites: row.canManageSites,
      canManageMonitoring: row.canManageMonitoring,
      clients: splitList(row.allowedClients),
      sites: splitList(row.allowedSites),
      instances: row.assignments.map((a) => a.instance.uuid),
    },
  };
  userCache.set(id, { at: elapsedClock(), user });
  return user;
}

/** Forget a user in this process (a change that takes nothing away: other processes may lag by the TTL). */
export function forgetUser(id: number): void {
  userCache.delete(id);
  hotAuth.clear();
}

export function principalOf(user: UserSnapshot, via: Principal["via"], tokenId?: number, scope?: TokenScope): Principal {
  return { userId: user.id, username: user.username, role: user.role, via, tokenId, ...(scope ? { scope } : {}), perms: user.perms };
}

export const isAdmin = (p: Principal) => p.role === "admin";

/** After a change that touches many users at once (an instance deleted drops its assignments). */
export function forgetAllUsers(): void {
  userCache.clear();
  hotAuth.clear();
}
