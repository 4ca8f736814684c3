/**
 * The OpenAPI 3 document of every documented API route, built from the router's own tables
 * (lib/dialects/index.ts): a route another engineer adds to a dialect is in the document without
 * anyone touching this file, and its schemas are the zod objects its handler validates with.
 * Served at /api/schema/ (YAML, or JSON with ?format=json) and read by Swagger UI.
 */
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { OpenAPIRegistry, OpenApiGeneratorV3, type RouteConfig } from "@asteasolutions/zod-to-openapi";
import { stringify } from "yaml";
import { buildApiRouter } from "./index";
import type { ApiRouter, Method, OperationDoc } from "../http/router";

/** The credential carriers (DESIGN.md: one token, three carriers, plus the browser session). */
const SECURITY_SCHEMES = {
  XApiKey: { type: "apiKey", in: "header", name: "X-API-KEY", description: "A Fleetdeck token (Tactical RMM's carrier)" },
  AuthorizationToken: {
    type: "apiKey",
    in: "header",
    name: "Authorization",
    description: "A Fleetdeck token as the bare value (Nezha's carrier); `Bearer <token>` works too",
  },
  ApiKeyQuery: { type: "apiKey", in: "query", name: "apikey", description: "A Fleetdeck token in the query string (MCSManager's carrier)" },
  RequestApiKey: { type: "apiKey", in: "header", name: "X-Request-Api-Key", description: "A Fleetdeck token (MCSManager's header carrier)" },
  SessionCookie: {
    type: "apiKey",
    in: "cookie",
    name: "next-auth.session-token",
    description: "The panel's sign-in session (what the browser sends; MCSManager routes also need X-Requested-With: XMLHttpRequest)",
  },
} as const;
type Scheme = keyof typeof SECURITY_SCHEMES;

/** How each dialect looks in the document: its tag, its native carrier first, its error body. */
interface DialectStyle {
  tag: string;
  carriers: Scheme[];
  errorBody: z.ZodType;
  /** Tactical RMM's paths end in "/" (both forms are served). */
  trailingSlash: boolean;
  /** Statuses every route of the dialect may answer when credentials are missing or refused. */
  authErrors: Record<number, string>;
}

const ALL: Scheme[] = ["XApiKey", "AuthorizationToken", "ApiKeyQuery", "RequestApiKey", "SessionCookie"];
const nativeFirst = (...first: Scheme[]): Scheme[] => [...first, ...ALL.filter((s) => !first.includes(s))];

const STYLES: Record<string, DialectStyle> = {
  nezha: {
    tag: "Nezha v0",
    carriers: nativeFirst("AuthorizationToken"),
    errorBody: z.object({ code: z.number().int(), message: z.string() }),
    trailingSlash: false,
    authErrors: { 403: "No, bad or expired token, or not allowed" },
  },
  mcsm: {
    tag: "MCSManager",
    carriers: nativeFirst("ApiKeyQuery", "RequestApiKey"),
    errorBody: z.object({ status: z.number().int(), data: z.unknown(), time: z.number().int() }),
    trailingSlash: false,
    authErrors: { 403: '"Insufficient Permissions" (no key) or "Incorrect key" (bad key, or not an admin)' },
  },
  trmm: {
    tag: "Tactical RMM",
    carriers: nativeFirst("XApiKey"),
    errorBody: z.object({ detail: z.string() }).describe("Or, for a bad body, {field: [messages]}"),
    trailingSlash: true,
    authErrors: { 401: "Authentication credentials were not provided / Invalid token. / The token has expired.", 403: "You do not have permission to perform this action." },
  },
};

function styleOf(name: string): DialectStyle {
  return (
    STYLES[name] ?? { tag: name, carriers: ALL, errorBody: z.unknown(), trailingSlash: false, authErrors: { 401: "Not authenticated", 403: "Not allowed" } }
  );
}

/** "/agents/:agentId/cmd" → "/agents/{agentId}/cmd" and its path parameters. */
function openApiPath(pattern: string, trailingSlash: boolean): { path: string; params: string[] } {
  const params: string[] = [];
  const segments = pattern
    .split("/")
    .filter(Boolean)
    .map((s) => {
      if (!s.startsWith(":")) return s;
      params.push(s.slice(1));
      return `{${s.slice(1)}}`;
    });
  return { path: "/" + segments.join("/") + (trailingSlash && segments.length ? "/" : ""), params };
}

const json = (schema: z.ZodType) => ({ "application/json": { schema } });

function operation(dialect: string, method: Method, pattern: string, doc: OperationDoc): RouteConfig {
  const style = styleOf(dialect);
  const { path: p, params } = openApiPath(pattern, style.trailingSlash);
  const errors: Record<number, string> = { ...style.authErrors, ...doc.errors };
  if (doc.admin) errors[403] = `${errors[403] ? errors[403] + "; " : ""}admin only`;
  const responses: RouteConfig["responses"] = {
    200: { description: "OK", ...(doc.response ? { content: json(doc.response) } : {}) },
  };
  for (const [status, description] of Object.entries(errors)) responses[status] = { description, content: json(style.errorBody) };
  return {
    method: method.toLowerCase() as RouteConfig["method"],
    path: p,
    operationId: `${dialect}_${method.toLowerCase()}_${pattern.replace(/[^A-Za-z0-9]+/g, "_").replace(/^_|_$/g, "")}`,
    tags: [style.tag],
    summary: doc.summary,
    ...(doc.description || doc.admin ? { description: [doc.description, doc.admin ? "Administrators only." : ""].filter(Boolean).join(" ") } : {}),
    security: style.carriers.map((s) => ({ [s]: [] })),
    request: {
      ...(params.length ? { params: z.object(Object.fromEntries(params.map((name) => [name, z.string()]))) } : {}),
      ...(doc.query ? { query: doc.query } : {}),
      ...(doc.body ? { body: { required: true, content: json(doc.body) } } : {}),
    },
    responses,
  };
}

/** Every route and method of the router with no OperationDoc: must stay empty (tests/api/openapi.test.ts). */
export function undocumentedOperations(router: ApiRouter = buildApiRouter()): string[] {
  const missing: string[] = [];
  for (const d of router.dialects) {
    for (const r of d.routes) {
      for (const m of Object.keys(r.methods) as Method[]) if (!r.docs?.[m]) missing.push(`${d.name} ${m} ${r.pattern}`);
    }
  }
  return missing;
}

function panelVersion(): string {
  try {
    const pkg: unknown = JSON.parse(fs.readFileSync(path.join(process.cwd(), "package.json"), "utf8"));
    return typeof pkg === "object" && pkg && "version" in pkg && typeof pkg.version === "string" ? pkg.version : "0.0.0";
  } catch {
    return "0.0.0";
  }
}

export function buildOpenApiDocument(router: ApiRouter = buildApiRouter()) {
  const registry = new OpenAPIRegistry();
  for (const [name, scheme] of Object.entries(SECURITY_SCHEMES)) registry.registerComponent("securitySchemes", name, { ...scheme });
  const published = router.dialects.filter((d) => !d.internal);
  for (const d of published) {
    for (const r of d.routes) {
      for (const m of Object.keys(r.methods) as Method[]) {
        const doc: OperationDoc = r.docs?.[m] ?? { summary: "(undocumented)" };
        registry.registerPath(operation(d.name, m, r.pattern, doc));
      }
    }
  }
  return new OpenApiGeneratorV3(registry.definitions).generateDocument({
    openapi: "3.0.3",
    info: {
      title: "Fleetdeck API",
      version: panelVersion(),
      description:
        "The Nezha v0, MCSManager and Tactical RMM compatible APIs of Fleetdeck. One token works in every carrier: " +
        "`X-API-KEY`, `Authorization` (bare or Bearer), `?apikey=` and `X-Request-Api-Key`. It has exactly its owner's rights.",
    },
    tags: published.map((d) => ({ name: styleOf(d.name).tag })),
  });
}

/** The document, serialized once per process (the router's tables do not change while it runs). */
let cached: { json: string; yaml: string } | null = null;
export function openApiDocument(): { json: string; yaml: string } {
  if (!cached) {
    const doc = buildOpenApiDocument();
    cached = { json: JSON.stringify(doc), yaml: stringify(doc, { aliasDuplicateObjects: false }) };
  }
  return cached;
}
