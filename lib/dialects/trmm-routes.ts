import type { Dialect } from "../http/router";
import { trmmMethodNotAllowed, trmmNotFound } from "./trmm";

export const trmmDialect: Dialect = {
  name: "trmm",
  prefixes: ["/agents", "/winupdate", "/accounts"],
  routes: [],
  notFound: trmmNotFound,
  methodNotAllowed: trmmMethodNotAllowed,
};
