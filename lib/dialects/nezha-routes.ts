import type { Dialect } from "../http/router";
import { nezhaMethodNotAllowed, nezhaNotFound } from "./nezha";

export const nezhaDialect: Dialect = {
  name: "nezha",
  prefixes: ["/api/v1"],
  routes: [],
  notFound: nezhaNotFound,
  methodNotAllowed: nezhaMethodNotAllowed,
};
