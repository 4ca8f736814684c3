import { decode } from "next-auth/jwt";
import { config } from "../env";
import { elapsedClock } from "../clock";
import { singleton } from "../global";
import { auditAuthFailure } from "../audit";
import type { ApiRequest } from "../http/api";
import { queryValue } from "../http/query";
import { cachedUser, loadUser, principalOf, type Principal, type UserSnapshot } from "./principal";
import { cachedToken, findToken, touchToken, type TokenRecord } from "./tokens";
import { HOT_AUTH_MAX, hotAuth, type HotEntry } from "./hot";

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
    if (SESSION_COOKIES.includes(name)) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return null;
}

interface SessionClaims {
  userId: number;
  sessionVersion: number;
  exp: number;
}

const SESSION_CACHE_MS = 30_000;
/** Decrypting a session cookie costs more than the rest of a request: remember recent ones. */
const sessionCache = singleton("sessionCache", () => new Map<string, { until: number; claims: SessionClaims | null }>());

/** The cached claims of a session cookie, or undefined when it must be decrypted. */
function cachedSession(cookie: string): SessionClaims | null | undefined {
  const hit = sessionCache.get(cookie);
  return hit && elapsedClock() < hit.until ? hit.claims : undefined;
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
    if (jwt && Number.isInteger(userId) && typeof jwt.exp === "number" && jwt.exp * 1000 > now) {
      claims = { userId, sessionVersion: Number(jwt.sv ?? 0), exp: jwt.exp };
    }
  } catch {
    claims = null;
  }
  if (sessionCache.size > 20_000) sessionCache.clear();
  // Kept until the cache's TTL or the session's own expiry, whichever comes first.
  const ttl = Math.min(SESSION_CACHE_MS, claims ? claims.exp * 1000 - now : SESSION_CACHE_MS);
  sessionCache.set(cookie, { until: elapsedClock() + ttl, claims });
  return claims;
}

/** A session's user, if it is still valid: exists, enabled, and not signed out by a version bump. */
export async function sessionPrincipal(cookie: string): Promise<Principal | null> {
  const claims = await decodeSession(cookie);
  return claims && sessionUser(claims, await loadUser(claims.userId));
}

function sessionUser(claims: SessionClaims, user: UserSnapshot | null): Principal | null {
  if (!user || user.disabled || user.sessionVersion !== claims.sessionVersion) return null;
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
      if (user !== undefined) outcome = cookieOutcome(sessionUser(claims, user));
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
    if (hotAuth.size >= HOT_AUTH_MAX) hotAuth.clear();
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
  return { ok: true, principal: principalOf(user, "token", token.id), carrier };
}
