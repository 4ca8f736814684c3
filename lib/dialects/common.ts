import { z } from "zod";
import { authenticate, authenticateCached, type AuthOutcome } from "../auth/authenticate";
import type { Principal } from "../auth/principal";
import { BodyError, type ApiRequest, type ApiResult } from "../http/api";

/** A handler behind a dialect's authentication: it only runs for an authenticated principal. */
export type AuthedHandler = (req: ApiRequest, principal: Principal) => Promise<ApiResult>;

/** An error a handler throws to answer in its dialect's envelope (never a 500 with a stack). */
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

export interface DialectErrors {
  /** Authentication failed (no, bad, expired credential, or a disabled owner). */
  unauthenticated(failure: Failure, req: ApiRequest): ApiResult;
  /** Authenticated but not allowed. */
  forbidden(req: ApiRequest): ApiResult;
  /** Any other error, in the dialect's envelope. */
  error(status: number, message: string, fields?: Record<string, string[]>): ApiResult;
}

/**
 * BENCHMARK ONLY (bench/auth-overhead.mjs): with FLEETDECK_BENCH_SKIP_AUTH=1, API requests that
 * carry `X-Fleetdeck-Bench-Skip-Auth: 1` are answered as a synthetic administrator, so the cost
 * of authentication can be measured against the same route, in the same process, without it.
 * Read once at start; never set it on a panel anyone can reach.
 */
const BENCH_SKIP_AUTH = process.env.FLEETDECK_BENCH_SKIP_AUTH === "1";
const BENCH_PRINCIPAL: Principal = {
  userId: 0,
  username: "bench",
  role: "admin",
  via: "token",
  perms: { canListAgents: true, canSendCmd: true, canManageWinupdates: true, clients: [], sites: [] },
};
if (BENCH_SKIP_AUTH) console.warn("fleetdeck: FLEETDECK_BENCH_SKIP_AUTH=1: API requests with X-Fleetdeck-Bench-Skip-Auth skip authentication (benchmarks only)");

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
export const CSRF_MESSAGE = "CSRF Failed: a signed-in browser session must send the X-Requested-With header to change anything";

/**
 * The one wrapper behind withNezha / withMcsm / withTrmm: authenticate, check the role, run the
 * handler, and turn whatever goes wrong into the dialect's own error envelope.
 *
 * Cookie sessions must send `X-Requested-With` on anything but GET/HEAD/OPTIONS, on every route of
 * every dialect: a cross-site form cannot set that header without a CORS preflight, so a page on
 * another site cannot make a signed-in browser send a command. Tokens are not sent by browsers on
 * their own and need no such rule. (MCSManager asks it of every cookie request: see mcsm.ts.)
 */
export function guarded(
  errors: DialectErrors,
  handler: AuthedHandler,
  opts: {
    admin?: boolean;
    /** Extra check after authentication (cookie rules, permissions); return an error to refuse. */
    check?: (req: ApiRequest, principal: Principal, outcome: AuthOutcome & { ok: true }) => ApiResult | null;
  } = {},
) {
  return async (req: ApiRequest): Promise<ApiResult> => {
    try {
      if (BENCH_SKIP_AUTH && req.header("x-fleetdeck-bench-skip-auth") === "1") return await handler(req, BENCH_PRINCIPAL);
      const outcome = authenticateCached(req) ?? (await authenticate(req));
      if (!outcome.ok) return errors.unauthenticated(outcome, req);
      const refused = opts.check?.(req, outcome.principal, outcome);
      if (refused) return refused;
      if (outcome.carrier === "cookie" && !SAFE_METHODS.has(req.method) && !req.header("x-requested-with")) {
        return errors.error(403, CSRF_MESSAGE);
      }
      if (opts.admin && outcome.principal.role !== "admin") return errors.forbidden(req);
      return await handler(req, outcome.principal);
    } catch (e) {
      return toErrorResult(errors, e);
    }
  };
}

export function toErrorResult(errors: DialectErrors, e: unknown): ApiResult {
  if (e instanceof ApiError) return errors.error(e.status, e.message, e.fields);
  if (e instanceof BodyError) return errors.error(e.tooLarge ? 413 : 400, e.message);
  if (e instanceof z.ZodError) return errors.error(400, describeZodError(e), fieldErrors(e));
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
