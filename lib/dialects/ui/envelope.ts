import type { ApiRequest, ApiResult } from "../../http/api";
import { guarded, toErrorResult, type AuthedHandler, type DialectErrors } from "../guard";
import { can, type Permission } from "../../fleet/policy";

/** The panel UI's own JSON API (/api/ui/*): `{error}` bodies, a cookie session or a token. */
export const uiErrors: DialectErrors = {
  unauthenticated: () => ({ status: 401, body: { error: "Sign in first" } }),
  forbidden: () => ({ status: 403, body: { error: "This needs an administrator" } }),
  error: (status, message, fields) => ({ status, body: { error: message, ...(fields ? { fields } : {}) } }),
};

export const uiOk = (body: unknown, status = 200): ApiResult => ({ status, body });

const MISSING_GRANT = { status: 403, body: { error: "You do not have permission to perform this action." } };

/**
 * A UI route: authenticated (cookie mutations need X-Requested-With: see `guarded`), optionally
 * admin-only or needing a grant of the access policy, declared here where the route is defined.
 */
export function withUi(handler: AuthedHandler, opts: { admin?: boolean; permission?: Permission } = {}) {
  const { permission } = opts;
  return guarded(uiErrors, handler, {
    admin: opts.admin,
    check: permission ? (_req, p) => (can(p, permission) ? null : MISSING_GRANT) : undefined,
  });
}

/** A UI route open to anonymous visitors (the first-run setup). */
export function publicUi(handler: (req: ApiRequest) => Promise<ApiResult>) {
  return async (req: ApiRequest): Promise<ApiResult> => {
    try {
      return await handler(req);
    } catch (e) {
      return toErrorResult(uiErrors, e, req);
    }
  };
}

export const uiNotFound = async (req: ApiRequest): Promise<ApiResult> => uiErrors.error(404, `Not found: ${req.method} ${req.path}`);
export const uiMethodNotAllowed = async (req: ApiRequest): Promise<ApiResult> => uiErrors.error(405, `Method not allowed: ${req.method} ${req.path}`);

/** One id parser for every UI path: digits only ("abc", "-1", "1.5" and "01x" name nothing). */
export function idParam(raw: string | undefined): number | null {
  if (!raw || !/^[1-9]\d{0,14}$/.test(raw)) return null;
  const n = Number(raw);
  return Number.isSafeInteger(n) ? n : null;
}

/** The JSON body, or `{}` when empty. */
export async function bodyOf(req: ApiRequest): Promise<unknown> {
  return (await req.json()) ?? {};
}
