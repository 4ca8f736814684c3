import type { ApiRequest, ApiResult } from "../../http/api";
import { guarded, type AuthedHandler, type DialectErrors } from "../guard";

/**
 * Nezha v0's envelope: `{code, message, result}`. Nezha answers auth failures with HTTP 200 and
 * `code: 403`; we keep the body but send HTTP 403 too, so `raise_for_status()` clients fail loudly.
 */
export function nezhaOk(result: unknown): ApiResult {
  return { status: 200, body: { code: 0, message: "success", result } };
}

export const nezhaErrors: DialectErrors = {
  unauthenticated: (failure) => ({
    status: 403,
    body: {
      code: 403,
      message:
        failure.reason === "missing"
          ? "Unauthorized: send an API token in the Authorization header"
          : failure.reason === "expired"
            ? "Unauthorized: the token has expired"
            : "Unauthorized: invalid token",
    },
  }),
  forbidden: () => ({ status: 403, body: { code: 403, message: "Forbidden: this needs an administrator" } }),
  error: (status, message) => ({ status, body: { code: status, message } }),
};

export function withNezha(handler: AuthedHandler, opts: { admin?: boolean; anonymous?: () => Promise<boolean> } = {}) {
  return guarded(nezhaErrors, handler, opts);
}

export const nezhaNotFound = async (req: ApiRequest) => nezhaErrors.error(404, `Not found: ${req.method} ${req.path}`);
export const nezhaMethodNotAllowed = async (req: ApiRequest) => nezhaErrors.error(405, `Method not allowed: ${req.method} ${req.path}`);
