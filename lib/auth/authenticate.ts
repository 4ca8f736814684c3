import { decode } from "next-auth/jwt";
import { singleton } from "../global";
import { auditAuthFailure } from "../audit";
import type { ApiRequest } from "../http/api";
import { loadUser, principalOf, type Principal } from "./principal";
import { findToken, touchToken } from "./tokens";

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
  const apikey = req.query.get("apikey");
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
const sessionCache = singleton("sessionCache", () => new Map<string, { at: number; claims: SessionClaims | null }>());

/** The user a next-auth session cookie stands for, or null when forged, foreign or expired. */
export async function decodeSession(cookie: string): Promise<SessionClaims | null> {
  const hit = sessionCache.get(cookie);
  const now = Date.now();
  if (hit && now - hit.at < SESSION_CACHE_MS && (!hit.claims || hit.claims.exp * 1000 > now)) return hit.claims;
  let claims: SessionClaims | null = null;
  try {
    const jwt = await decode({ token: cookie, secret: process.env.NEXTAUTH_SECRET ?? "" });
    const userId = Number(jwt?.sub);
    if (jwt && Number.isInteger(userId) && typeof jwt.exp === "number" && jwt.exp * 1000 > now) {
      claims = { userId, sessionVersion: Number(jwt.sv ?? 0), exp: jwt.exp };
    }
  } catch {
    claims = null;
  }
  if (sessionCache.size > 20_000) sessionCache.clear();
  sessionCache.set(cookie, { at: now, claims });
  return claims;
}

/** A session's user, if it is still valid: exists, enabled, and not signed out by a version bump. */
export async function sessionPrincipal(cookie: string): Promise<Principal | null> {
  const claims = await decodeSession(cookie);
  if (!claims) return null;
  const user = await loadUser(claims.userId);
  if (!user || user.disabled || user.sessionVersion !== claims.sessionVersion) return null;
  return principalOf(user, "cookie");
}

/**
 * The one authentication of every API route: a token in any of the three dialects' carriers,
 * or the cookie session of a signed-in user. A token has exactly its owner's rights and bypasses
 * two-factor (as Tactical RMM's keys do).
 */
export async function authenticate(req: ApiRequest): Promise<AuthOutcome> {
  const cred = credentialOf(req);
  if (!cred) return { ok: false, reason: "missing" };
  const outcome = await resolve(cred);
  if (!outcome.ok) auditAuthFailure(req.ip, cred.carrier, outcome.reason);
  return outcome;
}

async function resolve(cred: { carrier: Carrier; value: string }): Promise<AuthOutcome> {
  const { carrier } = cred;
  if (carrier === "cookie") {
    const principal = await sessionPrincipal(cred.value);
    return principal ? { ok: true, principal, carrier } : { ok: false, reason: "invalid", carrier };
  }
  const token = await findToken(cred.value);
  if (!token) return { ok: false, reason: "invalid", carrier };
  if (token.expiresAt && token.expiresAt.getTime() <= Date.now()) return { ok: false, reason: "expired", carrier };
  const user = await loadUser(token.userId);
  if (!user) return { ok: false, reason: "invalid", carrier };
  if (user.disabled) return { ok: false, reason: "disabled", carrier };
  touchToken(token.id);
  return { ok: true, principal: principalOf(user, "token", token.id), carrier };
}
