/**
 * The OpenAPI document and Swagger UI. The document is built from the router's tables, so the
 * first test fails as soon as someone adds a route (or a method) without its OperationDoc.
 */
import fs from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiRouter, type Method } from "../../lib/http/router";
import { buildApiRouter } from "../../lib/dialects/index";
import { buildOpenApiDocument, undocumentedOperations } from "../../lib/dialects/openapi";
import { ROOT, startPanel, type RunningPanel } from "../helpers/panel";

const router = buildApiRouter();
const METHODS = ["get", "post", "put", "patch", "delete"] as const;

/** Every (OpenAPI path, method) the router serves: "/agents/:agentId/cmd" → "/agents/{agentId}/cmd/". */
function servedOperations(): string[] {
  const out: string[] = [];
  // The panel UI's own API (internal) is served and checked by the credential matrix, not published.
  for (const d of router.dialects.filter((x) => !x.internal)) {
    for (const r of d.routes) {
      const p = r.pattern.replace(/:([A-Za-z0-9_]+)/g, "{$1}").replace(/\/$/, "");
      for (const m of Object.keys(r.methods) as Method[]) out.push(`${m.toLowerCase()} ${d.name === "trmm" ? p + "/" : p}`);
    }
  }
  return out.sort();
}

const openApiDoc = z.object({
  openapi: z.string(),
  info: z.object({ title: z.string(), version: z.string() }),
  paths: z.record(
    z.string(),
    z.record(
      z.string(),
      z.object({
        operationId: z.string(),
        summary: z.string(),
        tags: z.array(z.string()).min(1),
        security: z.array(z.record(z.string(), z.array(z.string()))).min(1),
        parameters: z.array(z.object({ name: z.string(), in: z.string(), required: z.boolean().optional() })).optional(),
        requestBody: z.object({ content: z.record(z.string(), z.object({ schema: z.record(z.string(), z.unknown()) })) }).optional(),
        responses: z.record(z.string(), z.object({ description: z.string() })),
      }),
    ),
  ),
  components: z.object({ securitySchemes: z.record(z.string(), z.object({ type: z.literal("apiKey"), in: z.string(), name: z.string() })) }),
});
type Doc = z.infer<typeof openApiDoc>;

function operationsOf(doc: Doc): string[] {
  return Object.entries(doc.paths)
    .flatMap(([p, ops]) => Object.keys(ops).filter((m) => (METHODS as readonly string[]).includes(m)).map((m) => `${m} ${p}`))
    .sort();
}

describe("every API route is documented", () => {
  it("has an OperationDoc for every method of every route in the router", () => {
    expect(undocumentedOperations(router)).toEqual([]);
  });

  it("notices an undocumented route (the check above can fail)", () => {
    const handler = async () => ({ status: 200 });
    const bad = new ApiRouter().add({
      name: "probe",
      prefixes: ["/probe"],
      routes: [
        { pattern: "/probe/a", methods: { GET: handler, POST: handler }, docs: { GET: { summary: "documented" } } },
        { pattern: "/probe/b", methods: { DELETE: handler } },
      ],
      notFound: handler,
      methodNotAllowed: handler,
    });
    expect(undocumentedOperations(bad)).toEqual(["probe POST /probe/a", "probe DELETE /probe/b"]);
  });

  it("puts every served operation in the document, and nothing else", () => {
    const doc = openApiDoc.parse(buildOpenApiDocument(router));
    expect(operationsOf(doc)).toEqual(servedOperations());
    // The Tactical RMM routes of this issue are among them.
    expect(operationsOf(doc)).toEqual(
      expect.arrayContaining(["get /agents/", "get /agents/{agentId}/", "post /agents/{agentId}/cmd/", "get /agents/{agentId}/history/", "get /winupdate/{agentId}/", "post /winupdate/{agentId}/scan/"]),
    );
  });
});

describe("the document and Swagger UI over HTTP", () => {
  let panel: RunningPanel;
  beforeAll(async () => {
    panel = await startPanel({ FLEETDECK_LOCAL_AGENT: "0" });
  });
  afterAll(async () => {
    await panel?.stop();
  });

  const get = (p: string, headers: Record<string, string> = {}) => fetch(panel.url + p, { headers, redirect: "manual" });

  it("serves YAML at /api/schema/ and the same document as JSON with ?format=json, without a credential", async () => {
    const yamlRes = await get("/api/schema/");
    expect(yamlRes.status).toBe(200);
    expect(yamlRes.headers.get("content-type")).toMatch(/^application\/vnd\.oai\.openapi;/);
    const yamlText = await yamlRes.text();
    expect(yamlText.startsWith("openapi: 3.")).toBe(true);
    const fromYaml = openApiDoc.parse(parseYaml(yamlText));

    const jsonRes = await get("/api/schema/?format=json");
    expect(jsonRes.status).toBe(200);
    expect(jsonRes.headers.get("content-type")).toMatch(/json/);
    const fromJson: unknown = await jsonRes.json();
    expect(fromJson).toEqual(parseYaml(yamlText));

    expect(operationsOf(fromYaml)).toEqual(servedOperations());
    for (const p of ["/api/schema", "/api/schema?format=json"]) expect((await get(p)).status).toBe(200);
    expect(await (await get("/api/schema/", { accept: "application/json" })).text()).toBe(JSON.stringify(fromJson));
  });

  it("describes the command body from the zod schema that validates it, and every credential carrier", async () => {
    const doc = (await (await get("/api/schema/?format=json")).json()) as Doc & {
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties: Record<string, { enum?: string[] }>; required: string[] } }> } }>>;
    };
    const body = doc.paths["/agents/{agentId}/cmd/"].post.requestBody!.content["application/json"].schema;
    expect(body.required).toEqual(["shell"]);
    expect(Object.keys(body.properties).sort()).toEqual(["cmd", "command", "custom_shell", "queue_if_offline", "run_as_user", "shell", "timeout"]);
    expect(body.properties.shell.enum).toEqual(expect.arrayContaining(["/bin/bash", "cmd", "powershell", "custom"]));
    const params = openApiDoc.parse(doc).paths["/agents/{agentId}/cmd/"].post.parameters;
    expect(params).toEqual([expect.objectContaining({ name: "agentId", in: "path", required: true })]);
    const schemes = Object.values(doc.components.securitySchemes).map((s) => `${s.in}:${s.name}`);
    expect(schemes).toEqual(expect.arrayContaining(["header:X-API-KEY", "header:Authorization", "query:apikey", "header:X-Request-Api-Key"]));
  });

  it("serves Swagger UI from the npm package, pointed at the JSON document", async () => {
    for (const p of ["/api/schema/swagger-ui/", "/api/schema/swagger-ui"]) {
      const res = await get(p);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/text\/html/);
      const html = await res.text();
      // Every asset is ours: no CDN.
      const srcs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
      expect(srcs.length).toBeGreaterThanOrEqual(3);
      for (const src of srcs) expect(src.startsWith("/api/schema/swagger-ui/")).toBe(true);
    }
    const bundle = await get("/api/schema/swagger-ui/swagger-ui-bundle.js");
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get("content-type")).toMatch(/javascript/);
    expect(Buffer.from(await bundle.arrayBuffer()).equals(fs.readFileSync(path.join(ROOT, "node_modules/swagger-ui-dist/swagger-ui-bundle.js")))).toBe(true);
    expect((await get("/api/schema/swagger-ui/swagger-ui.css")).headers.get("content-type")).toMatch(/text\/css/);
    const init = await (await get("/api/schema/swagger-ui/fleetdeck-init.js")).text();
    expect(init).toContain('url: "/api/schema/?format=json"');
    expect((await get("/api/schema/swagger-ui/package.json")).status).toBe(404);
    expect((await get("/api/schema/swagger-ui/..%2F..%2F..%2Fpackage.json")).status).toBe(404);
  });
});
