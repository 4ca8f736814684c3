import type { Principal } from "../auth/principal";
import type { ApiRequest, ApiResult } from "../http/api";
import { ApiError, guarded, type AuthedHandler, type DialectErrors } from "./common";

/** Tactical RMM (Django REST framework): `{detail}` errors, 401 for credentials, 403 for rights. */
export const TRMM_MESSAGES = {
  missing: "Authentication credentials were not provided.",
  invalid: "Invalid token.",
  expired: "The token has expired.",
  disabled: "User inactive or deleted.",
  forbidden: "You do not have permission to perform this action.",
  noAgent: "No Agent matches the given query.",
};

export const trmmErrors: DialectErrors = {
  unauthenticated: (failure) => ({ status: 401, body: { detail: TRMM_MESSAGES[failure.reason] } }),
  forbidden: () => ({ status: 403, body: { detail: TRMM_MESSAGES.forbidden } }),
  // DRF answers a bad body with the field errors themselves; other errors with {detail}.
  error: (status, message, fields) => ({ status, body: status === 400 && fields ? fields : { detail: message } }),
};

export type TrmmPermission = "canListAgents" | "canSendCmd" | "canManageWinupdates";

export function withTrmm(handler: AuthedHandler, opts: { admin?: boolean; permission?: TrmmPermission } = {}) {
  const { permission } = opts;
  return guarded(trmmErrors, handler, {
    admin: opts.admin,
    check: permission ? (req, p) => (hasPermission(p, permission) ? null : trmmErrors.forbidden(req)) : undefined,
  });
}

export function hasPermission(p: Principal, permission: TrmmPermission): boolean {
  return p.role === "admin" || p.perms[permission];
}

export function forbidden(): never {
  throw new ApiError(403, TRMM_MESSAGES.forbidden);
}

export const trmmNotFound = async () => ({ status: 404, body: { detail: "Not found." } });
export const trmmMethodNotAllowed = async (req: ApiRequest) => ({ status: 405, body: { detail: `Method "${req.method}" not allowed.` } });
