import { ApiRouter } from "./router";
import { nezhaDialect } from "../dialects/nezha/routes";
import { mcsmDialect } from "../dialects/mcsm/routes";
import { trmmDialect } from "../dialects/trmm/routes";
import { uiDialect } from "../dialects/ui/routes";

/**
 * Every API path the panel answers: the three documented dialects and the panel UI's own API.
 * server.ts answers these before Next's router; each is also an app/<path>/route.ts for `next start`.
 * A new dialect is one folder under lib/dialects/ and one line here.
 */
export function buildApiRouter(): ApiRouter {
  return new ApiRouter().add(nezhaDialect).add(mcsmDialect).add(trmmDialect).add(uiDialect);
}
