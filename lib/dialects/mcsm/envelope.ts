import type { ApiRequest, ApiResult } from "../../http/api";
import { guarded, type AuthedHandler, type DialectErrors } from "../guard";

/** MCSManager's envelope: `{status, data, time}`, the HTTP status equal to `status`. */
export function mcsmResult(status: number, data: unknown): ApiResult {
  return { status, body: { status, data, time: Date.now() } };
}

export const mcsmOk = (data: unknown) => mcsmResult(200, data);

export const MCSM_MESSAGES = {
  noKey: "Insufficient Permissions",
  badKey: "Incorrect key",
  csrf: "Unable to find the request header: x-requested-with: xmlhttprequest",
};

export const mcsmErrors: DialectErrors = {
  unauthenticated: (failure) => mcsmResult(403, failure.reason === "missing" ? MCSM_MESSAGES.noKey : MCSM_MESSAGES.badKey),
  // MCSManager answers a non-admin key on an admin route exactly like a wrong key.
  forbidden: () => mcsmResult(403, MCSM_MESSAGES.badKey),
  error: (status, message) => mcsmResult(status, message),
};

/**
 * MCSManager's CSRF defence: a cookie session must send `X-Requested-With: XMLHttpRequest`;
 * key requests need not (the real panel does not check it on the key path).
 */
function requireXhrForCookies(req: ApiRequest, _p: unknown, outcome: { carrier: string }): ApiResult | null {
  if (outcome.carrier !== "cookie") return null;
  return (req.header("x-requested-with") ?? "").toLowerCase() === "xmlhttprequest" ? null : mcsmResult(403, MCSM_MESSAGES.csrf);
}

export function withMcsm(handler: AuthedHandler, opts: { admin?: boolean } = {}) {
  return guarded(mcsmErrors, handler, { ...opts, check: requireXhrForCookies });
}

export const mcsmNotFound = async (req: ApiRequest) => mcsmResult(404, `Not found: ${req.method} ${req.path}`);
export const mcsmMethodNotAllowed = async (req: ApiRequest) => mcsmResult(405, `Method not allowed: ${req.method} ${req.path}`);
