import type { Dialect } from "../http/router";
import { mcsmMethodNotAllowed, mcsmNotFound } from "./mcsm";

export const mcsmDialect: Dialect = {
  name: "mcsm",
  prefixes: ["/api/service", "/api/instance", "/api/protected_instance", "/api/overview"],
  routes: [],
  notFound: mcsmNotFound,
  methodNotAllowed: mcsmMethodNotAllowed,
};
