import { guarded, type AuthedHandler, type DialectErrors } from "../dialects/common";
import { fromWeb, toWeb, type ApiRequest, type ApiResult } from "./api";
import { UserError } from "../users";
import { ApiError } from "../dialects/common";
import { ServerError } from "../fleet/servers";

/** The panel UI's own JSON API (/api/ui/*): `{error}` bodies, a cookie session or a token. */
export const uiErrors: DialectErrors = {
  unauthenticated: () => ({ status: 401, body: { error: "Sign in first" } }),
  forbidden: () => ({ status: 403, body: { error: "This needs an administrator" } }),
  error: (status, message, fields) => ({ status, body: { error: message, ...(fields ? { fields } : {}) } }),
};

export const uiOk = (body: unknown, status = 200): ApiResult => ({ status, body });

/** Turns domain errors (UserError…) into API errors the wrapper knows how to answer. */
function domainErrors(handler: AuthedHandler): AuthedHandler {
  return async (req, p) => {
    try {
      return await handler(req, p);
    } catch (e) {
      if (e instanceof UserError) throw new ApiError(e.status, e.message);
      if (e instanceof ServerError) throw new ApiError(e.status, e.message);
      throw e;
    }
  };
}

/** A Next route export for the UI API (cookie mutations need X-Requested-With: see `guarded`). */
export function uiRoute(handler: AuthedHandler, opts: { admin?: boolean } = {}) {
  const run = guarded(uiErrors, domainErrors(handler), { admin: opts.admin });
  return async (req: Request, ctx: { params: Promise<Record<string, string>> }) => toWeb(await run(fromWeb(req, (await ctx?.params) ?? {})));
}

/** A UI route open to anonymous visitors (setup). */
export function publicUiRoute(handler: (req: ApiRequest) => Promise<ApiResult>) {
  return async (req: Request) => {
    try {
      return toWeb(await handler(fromWeb(req)));
    } catch (e) {
      if (e instanceof UserError) return toWeb(uiErrors.error(e.status, e.message));
      if (e instanceof ApiError) return toWeb(uiErrors.error(e.status, e.message));
      console.error("fleetdeck: UI route failed:", e);
      return toWeb(uiErrors.error(500, "Internal error"));
    }
  };
}
