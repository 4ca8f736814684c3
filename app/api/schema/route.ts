import { openApiDocument } from "@/lib/dialects/openapi";

/**
 * The OpenAPI document (public, like the API's own source): YAML by default, JSON with
 * `?format=json` or an Accept header asking for JSON (drf-spectacular's negotiation).
 */
export async function GET(req: Request): Promise<Response> {
  const format = new URL(req.url).searchParams.get("format");
  const accept = req.headers.get("accept") ?? "";
  const wantsJson = format === "json" || (format !== "yaml" && /application\/(vnd\.oai\.openapi\+)?json/.test(accept));
  const doc = openApiDocument();
  return new Response(wantsJson ? doc.json : doc.yaml, {
    headers: {
      "content-type": wantsJson ? "application/vnd.oai.openapi+json; charset=utf-8" : "application/vnd.oai.openapi; charset=utf-8",
      "cache-control": "no-cache",
    },
  });
}
