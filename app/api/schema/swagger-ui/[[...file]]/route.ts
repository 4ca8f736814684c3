import fs from "node:fs/promises";
import path from "node:path";

/**
 * Swagger UI from the swagger-ui-dist package (no CDN): a fixed list of its files, our own index
 * and initializer. Asset URLs are absolute, so the page works with and without the trailing slash.
 */
const BASE = "/api/schema/swagger-ui";
const ASSETS: Record<string, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "favicon-16x16.png": "image/png",
  "favicon-32x32.png": "image/png",
};

const INDEX = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Fleetdeck API</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="stylesheet" href="${BASE}/swagger-ui.css">
  <link rel="icon" type="image/png" href="${BASE}/favicon-32x32.png" sizes="32x32">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="${BASE}/swagger-ui-bundle.js"></script>
  <script src="${BASE}/fleetdeck-init.js"></script>
</body>
</html>
`;

// BaseLayout: no top bar to load other documents from. The document's security schemes give
// the "Authorize" dialog (paste a token as X-API-KEY, Authorization, ...); it is kept across reloads.
// Without a token, "Try it out" runs on the signed-in session, which every API accepts only with
// X-Requested-With (the CSRF rule in lib/dialects/common.ts); this page is the panel's own.
const INIT = `window.ui = SwaggerUIBundle({
  requestInterceptor: (req) => { req.headers["X-Requested-With"] = "XMLHttpRequest"; return req; },
  url: "/api/schema/?format=json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  persistAuthorization: true,
  tryItOutEnabled: false,
  layout: "BaseLayout",
  presets: [SwaggerUIBundle.presets.apis],
});
`;

const cache = new Map<string, Buffer>();

async function asset(name: string): Promise<Buffer> {
  let data = cache.get(name);
  if (!data) {
    data = await fs.readFile(path.join(process.cwd(), "node_modules", "swagger-ui-dist", name));
    cache.set(name, data);
  }
  return data;
}

export async function GET(_req: Request, ctx: { params: Promise<{ file?: string[] }> }): Promise<Response> {
  const file = (await ctx.params).file ?? [];
  const name = file.join("/");
  if (name === "" || name === "index.html") return new Response(INDEX, { headers: { "content-type": "text/html; charset=utf-8" } });
  if (name === "fleetdeck-init.js") return new Response(INIT, { headers: { "content-type": "text/javascript; charset=utf-8" } });
  const type = ASSETS[name];
  if (!type) return new Response("Not found\n", { status: 404, headers: { "content-type": "text/plain; charset=utf-8" } });
  try {
    const body = await asset(name);
    return new Response(new Uint8Array(body), { headers: { "content-type": type, "cache-control": "public, max-age=86400" } });
  } catch {
    return new Response("Swagger UI is not installed (npm package swagger-ui-dist)\n", { status: 500, headers: { "content-type": "text/plain; charset=utf-8" } });
  }
}
