import { db } from "../db";
import { elapsedClock } from "../clock";
import { clearHotAuth } from "./hot";
import { singleton } from "../global";

export type Role = "admin" | "user";

/** What a request may do: its user's rights, whichever credential carried it. */
export interface Principal {
  userId: number;
  username: string;
  role: Role;
  via: "cookie" | "token";
  tokenId?: number;
  perms: {
    canListAgents: boolean;
    canSendCmd: boolean;
    canManageWinupdates: boolean;
    /** Empty = every client / site. */
    clients: string[];
    sites: string[];
  };
}

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
 * mutation of a user calls `forgetUser`, so in this process a change applies at the next request;
 * the TTL bounds staleness for other processes sharing the database.
 */
const userCache = singleton("userCache", () => new Map<number, { at: number; user: UserSnapshot | null }>());

const splitList = (s: string) => s.split(",").map((x) => x.trim()).filter(Boolean);

/** The cached user, or undefined when it must be read (the hot path stays synchronous). */
export function cachedUser(id: number): UserSnapshot | null | undefined {
  const hit = userCache.get(id);
  return hit && elapsedClock() - hit.at < USER_TTL_MS ? hit.user : undefined;
}

export async function loadUser(id: number): Promise<UserSnapshot | null> {
  const hit = cachedUser(id);
  if (hit !== undefined) return hit;
  const row = await db.user.findUnique({ where: { id } });
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
      clients: splitList(row.allowedClients),
      sites: splitList(row.allowedSites),
    },
  };
  userCache.set(id, { at: elapsedClock(), user });
  return user;
}

export function forgetUser(id: number): void {
  userCache.delete(id);
  clearHotAuth();
}

export function principalOf(user: UserSnapshot, via: Principal["via"], tokenId?: number): Principal {
  return { userId: user.id, username: user.username, role: user.role, via, tokenId, perms: user.perms };
}

export const isAdmin = (p: Principal) => p.role === "admin";
