import { ApiRouter } from "../http/router";
import { nezhaDialect } from "./nezha/routes";
import { mcsmDialect } from "./mcsm/routes";
import { trmmDialect } from "./trmm/routes";
import { uiDialect } from "./ui/routes";

/**
 * Every API path the panel answers: the three documented dialects and the panel UI's own API.
 * server.ts answers these before Next's router; each is also an app/<path>/route.ts for `next start`.
 * A new dialect is one folder under lib/dialects/ and one line here.
 */
export function buildApiRouter(): ApiRouter {
  return new ApiRouter().add(nezhaDialect).add(mcsmDialect).add(trmmDialect).add(uiDialect);
}
