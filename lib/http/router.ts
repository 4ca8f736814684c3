import type { z } from "zod";
import type { ApiHandler } from "./api";

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/**
 * What the OpenAPI document says of one operation. The schemas are the same zod objects the
 * handler validates with, so the document cannot drift from the code.
 */
export interface OperationDoc {
  summary: string;
  description?: string;
  /** Admin-only (documented as such). */
  admin?: boolean;
  /**
   * The route changes something or runs something (on the panel or a machine), by what it means,
   * not by its HTTP method: MCSManager's `GET /api/protected_instance/open` starts an instance and
   * acts; a search sent as POST would only read. A read-only token may call only routes without it.
   */
  acts?: boolean;
  query?: z.ZodObject;
  body?: z.ZodType;
  response?: z.ZodType;
  /** Extra documented statuses → description. */
  errors?: Record<number, string>;
}

export interface RouteDef {
  /** e.g. "/agents/:agentId/cmd" (matched with or without a trailing slash). */
  pattern: string;
  methods: Partial<Record<Method, ApiHandler>>;
  docs?: Partial<Record<Method, OperationDoc>>;
}

export interface Dialect {
  /** Name used for OpenAPI tags and security schemes: "nezha" | "mcsm" | "trmm". */
  name: string;
  /** Paths under these prefixes are this dialect's, known or not (an unknown one is its 404). */
  prefixes: string[];
  /** The panel's own API: served and checked like the others, left out of the public OpenAPI document. */
  internal?: boolean;
  routes: RouteDef[];
  notFound: ApiHandler;
  methodNotAllowed: ApiHandler;
}

interface Compiled {
  segments: string[];
  route: RouteDef;
  dialect: Dialect;
}

export type Match =
  | { kind: "route"; handler: ApiHandler; params: Record<string, string> }
  | { kind: "none" };

function split(path: string): string[] {
  return path.split("/").filter(Boolean);
}

/**
 * The table of documented API paths. server.ts answers these before Next's router; each is also
 * an app/<path>/route.ts for `next start`.
 */
export class ApiRouter {
  private exact = new Map<string, Compiled>();
  private patterns: Compiled[] = [];
  readonly dialects: Dialect[] = [];

  add(dialect: Dialect): this {
    this.dialects.push(dialect);
    for (const route of dialect.routes) {
      const segments = split(route.pattern);
      const entry = { segments, route, dialect };
      if (segments.some((s) => s.startsWith(":"))) this.patterns.push(entry);
      else this.exact.set("/" + segments.join("/"), entry);
    }
    return this;
  }

  /**
   * Which API a request is for and whether its route acts (from its docs): what a scoped token is
   * checked against. An undocumented operation counts as acting (a read-only token is refused).
   */
  describe(method: string, path: string): { api: string; acts: boolean } | null {
    const key = method + " " + path;
    let known = this.described.get(key);
    if (known === undefined) {
      // Paths are whatever clients send: bounded, cleared when full.
      if (this.described.size >= 4_096) this.described.clear();
      known = this.describeUncached(method, path);
      this.described.set(key, known);
    }
    return known;
  }

  private described = new Map<string, { api: string; acts: boolean } | null>();

  private describeUncached(method: string, path: string): { api: string; acts: boolean } | null {
    const segments = split(path);
    let found: Compiled | undefined = this.exact.get("/" + segments.join("/"));
    if (!found) found = this.patterns.find((entry) => matchSegments(entry.segments, segments));
    if (found) {
      const doc = found.route.docs?.[method.toUpperCase() as Method];
      return { api: found.dialect.name, acts: doc ? doc.acts === true : true };
    }
    const owner = this.dialects.find((d) => d.prefixes.some((prefix) => path === prefix || path.startsWith(prefix + "/")));
    return owner ? { api: owner.name, acts: true } : null;
  }

  match(method: string, path: string): Match {
    const segments = split(path);
    let found: Compiled | undefined = this.exact.get("/" + segments.join("/"));
    let params: Record<string, string> = {};
    if (!found) {
      for (const entry of this.patterns) {
        const p = matchSegments(entry.segments, segments);
        if (p) {
          found = entry;
          params = p;
          break;
        }
      }
    }
    if (found) {
      const handler = found.route.methods[method.toUpperCase() as Method];
      return { kind: "route", handler: handler ?? found.dialect.methodNotAllowed, params };
    }
    const owner = this.dialects.find((d) => d.prefixes.some((prefix) => path === prefix || path.startsWith(prefix + "/")));
    return owner ? { kind: "route", handler: owner.notFound, params } : { kind: "none" };
  }
}

function matchSegments(pattern: string[], actual: string[]): Record<string, string> | null {
  if (pattern.length !== actual.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i].startsWith(":")) {
      try {
        params[pattern[i].slice(1)] = decodeURIComponent(actual[i]);
      } catch {
        return null;
      }
    } else if (pattern[i] !== actual[i]) return null;
  }
  return params;
}
