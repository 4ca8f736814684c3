import { decode } from "next-auth/jwt";
import { config } from "../env";
import { elapsedClock } from "../clock";
import { db } from "../db";
import { auditAuthFailure } from "../audit";
import type { ApiRequest } from "../http/api";
import { queryValue } from "../http/query";
import { cachedUser, loadUser, principalOf, type Principal, type UserSnapshot } from "./principal";
import { cachedToken, findToken, touchToken, type TokenRecord } from "./tokens";
import { hotAuth, type HotEntry } from "./hot";
import { authCache } from "./cache";

/** As long as a user snapshot is trusted (principal.ts): the bound on staleness across processes. */
const HOT_TTL_MS = 5_000;

/** Where a credential came from: dialects word some errors by it (MCSManager's CSRF rule). */
export type Carrier = "authorization" | "x-api-key" | "apikey" | "x-request-api-key" | "cookie";

export type AuthOutcome =
  | { ok: true; principal: Principal; carrier: Carrier }
  /** missing: no credential at all; invalid: unknown/forged; expired: past its expiry; disabled: owner disabled. */
  | { ok: false; reason: "missing" | "invalid" | "expired" | "disabled"; carrier?: Carrier };

export const SESSION_COOKIES = ["__Secure-next-auth.session-token", "next-auth.session-token"];

/** The credential a request carries: a token (by precedence) or the session cookie. */
export function credentialOf(req: ApiRequest): { carrier: Carrier; value: string } | null {
  const apiKey = req.header("x-api-key");
  if (apiKey) return { carrier: "x-api-key", value: apiKey.trim() };
  const authorization = req.header("authorization");
  if (authorization) return { carrier: "authorization", value: authorization.trim().replace(/^(Bearer|Token)\s+/i, "") };
  const mcsmHeader = req.header("x-request-api-key");
  if (mcsmHeader) return { carrier: "x-request-api-key", value: mcsmHeader.trim() };
  const apikey = req.search !== undefined ? queryValue(req.search, "apikey") : req.query.get("apikey");
  if (apikey) return { carrier: "apikey", value: apikey };
  const cookie = sessionCookie(req.header("cookie"));
  if (cookie) return { carrier: "cookie", value: cookie };
  return null;
}

export function sessionCookie(header: string | undefined): string | null {
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    const name = part.slice(0, eq).trim();
    if (SESSION_COOKIES.includes(name)) {
      const raw = part.slice(eq + 1).trim();
      // A malformed escape (`%E0%A4%A`) is a bad cookie, refused like any forged one (401), never a throw.
      try {
        return decodeURIComponent(raw);
      } catch {
        return raw;
      }
    }
  }
  return null;
}

interface SessionClaims {
  userId: number;
  sessionVersion: number;
  /** The Session row this sign-in recorded (signing out revokes it on the server). */
  sid: string;
  exp: number;
}

const SESSION_CACHE_MS = 30_000;
/** A session cookie is a few hundred bytes; anything much longer is not one of ours. */
const MAX_COOKIE_LENGTH = 8_192;
/**
 * Decrypting a session cookie costs more than the rest of a request: remember recent ones,
 * bounded by count and by bytes (the keys are whatever clients send).
 */
const sessionCache = authCache<string, { until: number; claims: SessionClaims | null }>("sessionCookies", {
  max: 20_000,
  maxBytes: 16 * 1024 * 1024,
  valueBytes: 200,
});

/** Whether each recent session id is still signed in (not revoked, not expired). */
const sessionState = authCache<string, { until: number; live: boolean }>("sessionIds", { max: 20_000, maxBytes: 4 * 1024 * 1024, valueBytes: 80 });

/** The cached claims of a session cookie, or undefined when it must be decrypted. */
function cachedSession(cookie: string): SessionClaims | null | undefined {
  if (cookie.length > MAX_COOKIE_LENGTH) return null;
  const hit = sessionCache.get(cookie);
  return hit && elapsedClock() < hit.until ? hit.claims : undefined;
}

function cachedSessionLive(sid: string): boolean | undefined {
  const hit = sessionState.get(sid);
  return hit && elapsedClock() < hit.until ? hit.live : undefined;
}

async function sessionLive(sid: string): Promise<boolean> {
  const hit = cachedSessionLive(sid);
  if (hit !== undefined) return hit;
  const row = await db.session.findUnique({ where: { id: sid }, select: { revokedAt: true, expiresAt: true } });
  const live = !!row && !row.revokedAt && row.expiresAt.getTime() > Date.now();
  sessionState.set(sid, { until: elapsedClock() + SESSION_CACHE_MS, live });
  return live;
}

/** The user a next-auth session cookie stands for, or null when forged, foreign or expired. */
export async function decodeSession(cookie: string): Promise<SessionClaims | null> {
  const hit = cachedSession(cookie);
  if (hit !== undefined) return hit;
  const now = Date.now();
  let claims: SessionClaims | null = null;
  try {
    const jwt = await decode({ token: cookie, secret: config().NEXTAUTH_SECRET });
    const userId = Number(jwt?.sub);
    // A cookie without a session id predates server-side sessions: it cannot be signed out, so it is refused.
    if (jwt && Number.isInteger(userId) && typeof jwt.exp === "number" && jwt.exp * 1000 > now && typeof jwt.sid === "string" && jwt.sid) {
      claims = { userId, sessionVersion: Number(jwt.sv ?? 0), sid: jwt.sid, exp: jwt.exp };
    }
  } catch {
    claims = null;
  }
  // Kept until the cache's TTL or the session's own expiry, whichever comes first.
  const ttl = Math.min(SESSION_CACHE_MS, claims ? claims.exp * 1000 - now : SESSION_CACHE_MS);
  sessionCache.set(cookie, { until: elapsedClock() + ttl, claims });
  return claims;
}

/**
 * A session's user, if it is still valid: exists, enabled, not signed out everywhere by a version
 * bump, and its session not ended on the server (signed out).
 */
export async function sessionPrincipal(cookie: string): Promise<Principal | null> {
  if (cookie.length > MAX_COOKIE_LENGTH) return null;
  const claims = await decodeSession(cookie);
  if (!claims || !(await sessionLive(claims.sid))) return null;
  return sessionUser(claims, await loadUser(claims.userId), true);
}

function sessionUser(claims: SessionClaims, user: UserSnapshot | null, live: boolean): Principal | null {
  if (!live || !user || user.disabled || user.sessionVersion !== claims.sessionVersion) return null;
  return principalOf(user, "cookie");
}

/**
 * The one authentication of every API route: a token in any of the three dialects' carriers,
 * or the cookie session of a signed-in user. A token has exactly its owner's rights and bypasses
 * two-factor (as Tactical RMM's keys do).
 */
export async function authenticate(req: ApiRequest): Promise<AuthOutcome> {
  return authenticateCached(req) ?? finish(req, await resolve(credentialOf(req)));
}

/**
 * The same answer without a promise when everything it needs is cached (the usual case: a
 * script calling again with its token), or undefined when something must be read. Every await
 * costs far more than the lookups here, so this keeps a token's cost small beside the route's.
 */
export function authenticateCached(req: ApiRequest): AuthOutcome | undefined {
  const cred = credentialOf(req);
  if (!cred) return { ok: false, reason: "missing" };
  let outcome: AuthOutcome | undefined;
  if (cred.carrier === "cookie") {
    const claims = cachedSession(cred.value);
    if (claims === null) outcome = { ok: false, reason: "invalid", carrier: "cookie" };
    else if (claims) {
      const user = cachedUser(claims.userId);
      const live = cachedSessionLive(claims.sid);
      if (user !== undefined && live !== undefined) outcome = cookieOutcome(sessionUser(claims, user, live));
    }
  } else {
    const hot = hotAuth.get(cred.value) as HotEntry<AuthOutcome> | undefined;
    const known = hot && elapsedClock() < hot.until ? hot.byCarrier[cred.carrier] : undefined;
    if (known) {
      touchToken(hot!.tokenId);
      return known;
    }
    const token = cachedToken(cred.value);
    if (token === null) outcome = tokenOutcome(cred.carrier, null, null);
    else if (token) {
      const user = cachedUser(token.userId);
      if (user !== undefined) outcome = remember(cred.value, token, tokenOutcome(cred.carrier, token, user));
    }
  }
  return outcome && finish(req, outcome, cred.carrier);
}

function finish(req: ApiRequest, outcome: AuthOutcome, carrier = outcome.carrier): AuthOutcome {
  if (!outcome.ok && outcome.reason !== "missing") auditAuthFailure(req.ip, carrier!, outcome.reason);
  return outcome;
}

async function resolve(cred: { carrier: Carrier; value: string } | null): Promise<AuthOutcome> {
  if (!cred) return { ok: false, reason: "missing" };
  if (cred.carrier === "cookie") return cookieOutcome(await sessionPrincipal(cred.value));
  const token = await findToken(cred.value);
  const outcome = tokenOutcome(cred.carrier, token, token && (await loadUser(token.userId)));
  return token ? remember(cred.value, token, outcome) : outcome;
}

/** Keeps a token's successful outcome for its next requests (see hot.ts); never past its expiry. */
function remember(secret: string, token: TokenRecord, outcome: AuthOutcome): AuthOutcome {
  if (!outcome.ok) return outcome;
  const now = elapsedClock();
  const ttl = Math.min(HOT_TTL_MS, token.expiresAt ? token.expiresAt.getTime() - Date.now() : HOT_TTL_MS);
  if (ttl <= 0) return outcome;
  let entry = hotAuth.get(secret) as HotEntry<AuthOutcome> | undefined;
  if (!entry || entry.until <= now) {
    entry = { until: now + ttl, tokenId: token.id, byCarrier: {} };
    hotAuth.set(secret, entry);
  }
  entry.byCarrier[outcome.carrier] = outcome;
  return outcome;
}

const cookieOutcome = (principal: Principal | null): AuthOutcome =>
  principal ? { ok: true, principal, carrier: "cookie" } : { ok: false, reason: "invalid", carrier: "cookie" };

function tokenOutcome(carrier: Carrier, token: TokenRecord | null, user: UserSnapshot | null): AuthOutcome {
  if (!token) return { ok: false, reason: "invalid", carrier };
  if (token.expiresAt && token.expiresAt.getTime() <= Date.now()) return { ok: false, reason: "expired", carrier };
  if (!user) return { ok: false, reason: "invalid", carrier };
  if (user.disabled) return { ok: false, reason: "disabled", carrier };
  touchToken(token.id);
  return { ok: true, principal: principalOf(user, "token", token.id, token.scope), carrier };
}
