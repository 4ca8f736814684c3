import { ApiRouter, type Dialect } from "./router";

/**
 * What the guard asks of a request's route (which API, does it act) for scoped tokens, answered
 * from the dialects that registered here. Each dialect's route module registers its own table when
 * it loads, so the guard never imports the tables (they import it): in server.ts every dialect is
 * loaded; in one of Next's route bundles, the dialect whose route is being served is.
 */
const dialects: Dialect[] = [];
let router: ApiRouter | undefined;

export function registerDialect(dialect: Dialect): void {
  if (dialects.includes(dialect)) return;
  dialects.push(dialect);
  router = undefined;
}

export function describeRoute(method: string, path: string): { api: string; acts: boolean } | null {
  if (!router) {
    router = new ApiRouter();
    for (const d of dialects) router.add(d);
  }
  return router.describe(method, path);
}
