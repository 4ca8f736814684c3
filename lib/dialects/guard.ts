import { z } from "zod";
import { authenticate, authenticateCached, type AuthOutcome } from "../auth/authenticate";
import { ALL_GRANTS, type Principal } from "../auth/principal";
import { SCOPE_MESSAGES, scopeRefusal } from "../auth/scope";
import { describeRoute } from "../http/route-registry";
import { auditAuthFailure } from "../audit";
import { config } from "../env";
import { isDatabaseUnreachable } from "../db";
import { actorOf, type Actor } from "../fleet/actor";
import { GUEST } from "../fleet/policy";
import { asDomainError, type DomainError, type DomainErrorKind } from "../fleet/errors";
import { BodyError, type ApiRequest, type ApiResult } from "../http/api";

/**
 * A handler behind a dialect's authentication: it only runs for an authenticated principal, and
 * gets the actor (who, from which address, with which token) ready for the audit log.
 */
export type AuthedHandler = (req: ApiRequest, principal: Principal, actor: Actor) => Promise<ApiResult>;

/**
 * An answer a dialect's own code decides (its wording, its status): thrown by dialect code only.
 * The domain throws DomainError (lib/fleet/errors.ts) and never knows a status.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Extra fields some dialects put in the body (Tactical RMM's field errors). */
    readonly fields?: Record<string, string[]>,
  ) {
    super(message);
  }
}

export type Failure = Exclude<AuthOutcome, { ok: true }>;

/** The HTTP status of each domain error kind, unless a dialect words it otherwise. */
export const DOMAIN_STATUS: Record<DomainErrorKind, number> = {
  invalid: 400,
  not_found: 404,
  conflict: 409,
  forbidden: 403,
  unavailable: 503,
  too_large: 413,
};

export interface DialectErrors {
  /** Authentication failed (no, bad, expired credential, or a disabled owner). */
  unauthenticated(failure: Failure, req: ApiRequest): ApiResult;
  /** Authenticated but not allowed (an admin-only route, a missing grant). */
  forbidden(req: ApiRequest): ApiResult;
  /** Any other error, in the dialect's envelope. */
  error(status: number, message: string, fields?: Record<string, string[]>): ApiResult;
  /** A domain error in this dialect's words; default: DOMAIN_STATUS and the domain's message. */
  domain?(e: DomainError, req: ApiRequest): ApiResult;
}

/**
 * BENCHMARK ONLY (bench/auth-overhead.mjs): with FLEETDECK_BENCH_SKIP_AUTH=1, API requests that
 * carry `X-Fleetdeck-Bench-Skip-Auth: 1` are answered as a synthetic administrator, so the cost
 * of authentication can be measured against the same route, in the same process, without it.
 * The panel refuses to start with it unless it listens on loopback only (lib/env.ts).
 */
const BENCH_PRINCIPAL: Principal = { userId: 0, username: "bench", role: "admin", via: "token", perms: ALL_GRANTS };

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
export const CSRF_MESSAGE = "CSRF Failed: a signed-in browser session must send the X-Requested-With header to change anything";

export interface GuardOptions {
  admin?: boolean;
  /**
   * Read routes of the public status view: while this says yes, a request with no credential at
   * all runs as the guest (lib/fleet/policy.ts GUEST); a wrong credential is still refused.
   */
  anonymous?: () => Promise<boolean>;
  /** Extra check after authentication (cookie rules, permissions); return an error to refuse. */
  check?: (req: ApiRequest, principal: Principal, outcome: AuthOutcome & { ok: true }) => ApiResult | null;
}

/**
 * The one wrapper behind withNezha / withMcsm / withTrmm / the UI's routes: authenticate, check
 * the role, run the handler, and turn whatever goes wrong into the dialect's own error envelope.
 *
 * Cookie sessions must send `X-Requested-With` on anything but GET/HEAD/OPTIONS, on every route of
 * every dialect: a cross-site form cannot set that header without a CORS preflight, so a page on
 * another site cannot make a signed-in browser send a command. Tokens are not sent by browsers on
 * their own and need no such rule. (MCSManager asks it of every cookie request: see its envelope.)
 */
export function guarded(errors: DialectErrors, handler: AuthedHandler, opts: GuardOptions = {}) {
  const benchSkip = config().FLEETDECK_BENCH_SKIP_AUTH;
  return async (req: ApiRequest): Promise<ApiResult> => {
    try {
      if (benchSkip && req.header("x-fleetdeck-bench-skip-auth") === "1") return await handler(req, BENCH_PRINCIPAL, actorOf(BENCH_PRINCIPAL, req.ip));
      const outcome = authenticateCached(req) ?? (await authenticate(req));
      if (!outcome.ok) {
        if (outcome.reason === "missing" && opts.anonymous && (await opts.anonymous())) return await handler(req, GUEST, actorOf(GUEST, req.ip));
        return errors.unauthenticated(outcome, req);
      }
      const scope = outcome.principal.scope;
      if (scope) {
        // A limited token: from one of its addresses (else it is no credential at all here), for one
        // of its APIs, and, if read-only, for a route that only reads — as the route table declares.
        const refusal = scopeRefusal(scope, describeRoute(req.method, req.path) ?? { api: "", acts: true }, req.ip);
        if (refusal === "address") {
          // Recorded like any refused credential (throttled per address, token and reason).
          auditAuthFailure(req.ip, outcome.carrier, `token_address token=${outcome.principal.tokenId ?? "?"} user=${outcome.principal.username}`);
          return errors.unauthenticated({ ok: false, reason: "invalid", carrier: outcome.carrier }, req);
        }
        if (refusal) return errors.error(403, SCOPE_MESSAGES[refusal]);
      }
      const refused = opts.check?.(req, outcome.principal, outcome);
      if (refused) return refused;
      if (outcome.carrier === "cookie" && !SAFE_METHODS.has(req.method) && !req.header("x-requested-with")) {
        return errors.error(403, CSRF_MESSAGE);
      }
      if (opts.admin && outcome.principal.role !== "admin") return errors.forbidden(req);
      return await handler(req, outcome.principal, actorOf(outcome.principal, req.ip));
    } catch (e) {
      return toErrorResult(errors, e, req);
    }
  };
}

/** Everything a handler may throw, answered once, here, in the dialect's envelope. */
export function toErrorResult(errors: DialectErrors, e: unknown, req: ApiRequest): ApiResult {
  if (e instanceof ApiError) return errors.error(e.status, e.message, e.fields);
  const domain = asDomainError(e);
  if (domain) {
    if (errors.domain) return errors.domain(domain, req);
    return errors.error(DOMAIN_STATUS[domain.kind], domain.message, domain.fields);
  }
  if (e instanceof BodyError) return errors.error(e.tooLarge ? 413 : 400, e.message);
  if (e instanceof z.ZodError) return errors.error(400, describeZodError(e), fieldErrors(e));
  // PostgreSQL stopped or restarting: a 503 the client may retry, in the dialect's envelope (not
  // the dialect's wording of "unavailable", which is about agents: Tactical RMM's is a 400).
  if (isDatabaseUnreachable(e)) return errors.error(503, "The database is unreachable; try again shortly");
  console.error("fleetdeck: unexpected error in an API handler:", e);
  return errors.error(500, "Internal error: the panel could not complete this request");
}

export function describeZodError(e: z.ZodError): string {
  return e.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; ");
}

export function fieldErrors(e: z.ZodError): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const issue of e.issues) {
    const key = issue.path.length ? issue.path.join(".") : "non_field_errors";
    (out[key] ??= []).push(issue.message);
  }
  return out;
}

/** Parses with zod and throws the domain's "invalid" with field errors. */
export function parseWith<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const r = schema.safeParse(input);
  if (!r.success) throw r.error;
  return r.data;
}
