import { ApiRouter } from "./router";
import { nezhaDialect } from "../dialects/nezha-routes";
import { mcsmDialect } from "../dialects/mcsm-routes";
import { trmmDialect } from "../dialects/trmm-routes";

/** Every documented API path of the three dialects, as server.ts serves them before Next. */
export function buildApiRouter(): ApiRouter {
  return new ApiRouter().add(nezhaDialect).add(mcsmDialect).add(trmmDialect);
}
