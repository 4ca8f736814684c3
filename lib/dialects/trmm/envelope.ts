import type { ApiRequest, ApiResult } from "../../http/api";
import { DOMAIN_STATUS, guarded, type AuthedHandler, type DialectErrors } from "../guard";
import type { DomainError } from "../../fleet/errors";
import { can, type Permission } from "../../fleet/policy";
import { UNABLE_TO_CONTACT } from "./commands";

/** Tactical RMM (Django REST framework): `{detail}` errors, 401 for credentials, 403 for rights. */
export const TRMM_MESSAGES = {
  missing: "Authentication credentials were not provided.",
  invalid: "Invalid token.",
  expired: "The token has expired.",
  disabled: "User inactive or deleted.",
  forbidden: "You do not have permission to perform this action.",
  noAgent: "No Agent matches the given query.",
};

/** The domain's not-found in Django's get_object_or_404 wording. */
const NOT_FOUND: Partial<Record<NonNullable<DomainError["subject"]>, string>> = {
  server: TRMM_MESSAGES.noAgent,
  key: "No APIKey matches the given query.",
  client: "No Client matches the given query.",
  site: "No Site matches the given query.",
  user: "No User matches the given query.",
};

/** Domain errors in Tactical RMM's words: an agent that cannot be reached is its 400 "Unable to contact the agent". */
function trmmDomain(e: DomainError): ApiResult {
  switch (e.kind) {
    case "unavailable":
      return { status: 400, body: { detail: UNABLE_TO_CONTACT } };
    case "not_found":
      return { status: 404, body: { detail: (e.subject && NOT_FOUND[e.subject]) || e.message } };
    case "forbidden":
      return { status: 403, body: { detail: TRMM_MESSAGES.forbidden } };
    case "invalid":
      return { status: 400, body: e.fields ? e.fields : { detail: e.message } };
    default:
      return { status: DOMAIN_STATUS[e.kind], body: { detail: e.message } };
  }
}

export const trmmErrors: DialectErrors = {
  unauthenticated: (failure) => ({ status: 401, body: { detail: TRMM_MESSAGES[failure.reason] } }),
  forbidden: () => ({ status: 403, body: { detail: TRMM_MESSAGES.forbidden } }),
  // DRF answers a bad body with the field errors themselves; other errors with {detail}.
  error: (status, message, fields) => ({ status, body: status === 400 && fields ? fields : { detail: message } }),
  domain: trmmDomain,
};

/** Tactical RMM's wrapper: a route may require one of its permissions (asked of the access policy). */
export function withTrmm(handler: AuthedHandler, opts: { admin?: boolean; permission?: Permission } = {}) {
  const { permission } = opts;
  return guarded(trmmErrors, handler, {
    admin: opts.admin,
    check: permission ? (req, p) => (can(p, permission) ? null : trmmErrors.forbidden(req)) : undefined,
  });
}

export const trmmNotFound = async () => ({ status: 404, body: { detail: "Not found." } });
export const trmmMethodNotAllowed = async (req: ApiRequest) => ({ status: 405, body: { detail: `Method "${req.method}" not allowed.` } });
