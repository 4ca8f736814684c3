import { db } from "../db";
import { singleton } from "../global";
import { audit } from "../audit";
import { elapsedClock, wallTimeOf } from "../clock";
import { authCache } from "./cache";
import { revoked } from "./revocation";
import { scopeOf, type ScopeColumns, type TokenScope } from "./scope";
import { newSecret, sha256, TOKEN_PREFIX, TOKEN_SHOWN_LENGTH } from "./secrets";
import type { Principal } from "./principal";

export interface TokenRecord {
  id: number;
  userId: number;
  expiresAt: Date | null;
  /** Its limits, parsed; undefined when it has none. */
  scope?: TokenScope;
}

const TOKEN_SELECT = { id: true, userId: true, expiresAt: true, readOnly: true, apis: true, allowedCidrs: true } as const;

const TOKEN_TTL_MS = 30_000;
/** Token lookups by hash, misses included (a flood of garbage costs no queries). */
const tokenCache = authCache<string, { at: number; token: TokenRecord | null }>("tokens", { max: 50_000, maxBytes: 16 * 1024 * 1024, valueBytes: 300 });

const isTokenShaped = (secret: string) => secret.startsWith(TOKEN_PREFIX) && secret.length <= 200;

/** The cached answer of findToken, or undefined when it must be read (keeps the hot path synchronous). */
export function cachedToken(secret: string): TokenRecord | null | undefined {
  if (!isTokenShaped(secret)) return null;
  const hit = tokenCache.get(sha256(secret));
  return hit && elapsedClock() - hit.at < TOKEN_TTL_MS ? hit.token : undefined;
}

/** The token a secret stands for, or null. Expiry is left to the caller (it has its own error). */
export async function findToken(secret: string): Promise<TokenRecord | null> {
  const hit = cachedToken(secret);
  if (hit !== undefined) return hit;
  const hash = sha256(secret);
  const row = await db.apiToken.findUnique({ where: { hash }, select: TOKEN_SELECT });
  const token: TokenRecord | null = row && { id: row.id, userId: row.userId, expiresAt: row.expiresAt, scope: scopeOf(row) };
  tokenCache.set(hash, { at: elapsedClock(), token });
  return token;
}

/**
 * Last-used times are kept in memory and written at most every 30 s, so using a token costs no
 * database write.
 */
const lastUsed = singleton("tokenLastUsed", () => ({ pending: new Map<number, number>(), timer: null as NodeJS.Timeout | null }));

export function touchToken(id: number): void {
  lastUsed.pending.set(id, elapsedClock());
  lastUsed.timer ??= setTimeout(() => void flushTokenUse(), 30_000);
}

export async function flushTokenUse(): Promise<void> {
  if (lastUsed.timer) clearTimeout(lastUsed.timer);
  lastUsed.timer = null;
  const batch = [...lastUsed.pending];
  lastUsed.pending.clear();
  for (const [id, at] of batch) {
    await db.apiToken.updateMany({ where: { id }, data: { lastUsedAt: wallTimeOf(at) } }).catch(() => undefined);
  }
}

export interface CreatedToken {
  id: number;
  /** Shown once, never stored. */
  token: string;
  prefix: string;
}

export async function createToken(input: {
  userId: number;
  note: string;
  kind?: "token" | "key";
  expiresAt?: Date | null;
  /** Limits; none by default. */
  scope?: ScopeColumns;
  /** The token whose request made this one (revoked with it). */
  parentId?: number | null;
  actor: { id: number | null; name: string };
  ip?: string;
}): Promise<CreatedToken> {
  const token = newSecret(TOKEN_PREFIX);
  const prefix = token.slice(0, TOKEN_SHOWN_LENGTH);
  const row = await db.apiToken.create({
    data: {
      hash: sha256(token),
      prefix,
      note: input.note,
      kind: input.kind ?? "token",
      userId: input.userId,
      createdById: input.actor.id,
      expiresAt: input.expiresAt ?? null,
      parentId: input.parentId ?? null,
      ...(input.scope ?? {}),
    },
    include: { user: { select: { username: true } } },
  });
  tokenCache.delete(row.hash);
  await audit({
    action: `${row.kind}.create`,
    actorId: input.actor.id,
    actorName: input.actor.name,
    target: row.user.username,
    detail: `#${row.id} ${prefix}… "${input.note}"`,
    ip: input.ip,
  });
  return { id: row.id, token, prefix };
}

export async function deleteTokens(ids: number[], actor: { id: number | null; name: string }, ip?: string): Promise<number> {
  const rows = await db.apiToken.findMany({ where: { id: { in: ids } }, include: { user: { select: { username: true } } } });
  if (!rows.length) return 0;
  // Tokens made with these go too (ApiToken.parent cascades), whichever process cached them.
  await db.apiToken.deleteMany({ where: { id: { in: rows.map((r) => r.id) } } });
  await revoked();
  for (const r of rows) {
    await audit({ action: `${r.kind}.delete`, actorId: actor.id, actorName: actor.name, target: r.user.username, detail: `#${r.id} ${r.prefix}… "${r.note}"`, ip });
  }
  return rows.length;
}

/** The tokens a principal may see: its own, or everyone's for an admin. */
export function visibleTokens(p: Principal, kind?: "token" | "key") {
  return db.apiToken.findMany({
    where: { ...(p.role === "admin" ? {} : { userId: p.userId }), ...(kind ? { kind } : {}) },
    orderBy: { id: "asc" },
    include: { user: { select: { id: true, username: true } } },
  });
}

/** Forget every cached token (a token changed or a user was disabled / deleted), here and in every process. */
export async function forgetUserTokens(): Promise<void> {
  await revoked();
}
