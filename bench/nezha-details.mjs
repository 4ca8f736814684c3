// Nezha `details` with N servers at 50 connections, beside a bare node:http server answering the
// same bytes. Usage: node bench/nezha-details.mjs [--servers 1000] [--database sqlite|postgres]
// [--compare] [--gzip] [--processes 1,2] (BENCH_SECONDS=10). --compare measures SQLite, then
// PostgreSQL, side by side; --processes 1,2 measures PostgreSQL with one panel process, then two.
// --gzip: the panel is asked with `Accept-Encoding: gzip` (it sends the answer compressed once per
// tick of the live state); the bare server still sends the uncompressed bytes.
import http from "node:http";
import zlib from "node:zlib";
import { parseArgs } from "node:util";
import { DATABASE_OPTIONS, adminCookie, cannon, forEachDatabase, printRow, processesEnv, startPanel } from "./lib.mjs";

const { values } = parseArgs({ options: { servers: { type: "string", default: "1000" }, gzip: { type: "boolean", default: false }, ...DATABASE_OPTIONS } });
const n = Number(values.servers);

async function measureDetails({ databaseUrl, processes = 1 }) {
  const panel = await startPanel({ ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}), ...processesEnv(processes) });
  try {
    const cookie = await adminCookie(panel.url);
    const headers = { cookie, "content-type": "application/json", "x-requested-with": "XMLHttpRequest" };
    for (let i = 0; i < n; i++) {
      const res = await fetch(`${panel.url}/api/v1/server/register`, { method: "POST", headers, body: JSON.stringify({ Name: `bench-${i}`, Tag: `t${i % 10}` }) });
      if (res.status !== 200) throw new Error(`register failed: ${res.status}`);
    }
    const path = "/api/v1/server/details";
    // The bare server sends these bytes encoded once, as the panel sends its pre-serialized state.
    const body = Buffer.from(await (await fetch(panel.url + path, { headers })).arrayBuffer());
    console.log(`details with ${n} servers: ${body.length} bytes per answer`);

    const bare = http.createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json; charset=utf-8", "content-length": body.length });
      res.end(body);
    });
    await new Promise((r) => bare.listen(0, "127.0.0.1", r));
    const { port } = bare.address();

    let encodedBytes = body.length;
    if (values.gzip) {
      headers["accept-encoding"] = "gzip";
      const compressed = await new Promise((resolve, reject) =>
        http.get(panel.url + path, { headers }, (res) => {
          const chunks = [];
          res.on("data", (c) => chunks.push(c));
          res.on("end", () => resolve({ encoding: res.headers["content-encoding"], bytes: Buffer.concat(chunks) }));
        }).on("error", reject),
      );
      if (compressed.encoding !== "gzip") throw new Error(`expected a gzip answer, got ${compressed.encoding}`);
      if (!zlib.gunzipSync(compressed.bytes).equals(body)) throw new Error("the gzip answer does not decode to the plain one");
      encodedBytes = compressed.bytes.length;
      console.log(`  gzip: ${encodedBytes} bytes per answer (${((encodedBytes / body.length) * 100).toFixed(1)}% of ${body.length})`);
    }
    const fleetdeck = await cannon({ url: panel.url + path, headers });
    printRow(`fleetdeck ${path}${values.gzip ? " (gzip)" : ""}`, fleetdeck);
    const baseline = await cannon({ url: `http://127.0.0.1:${port}${path}` });
    printRow("bare node:http, same bytes", baseline);
    console.log(`ratio fleetdeck / bare: ${(fleetdeck.rps / baseline.rps).toFixed(2)}`);
    bare.close();
    return [
      [`details req/s (${n} servers${values.gzip ? ", gzip" : ""})`, String(fleetdeck.rps)],
      ["bytes per answer", values.gzip ? `${encodedBytes} gzip (${body.length} plain)` : String(body.length)],
      ["details p99", `${fleetdeck.p99} ms`],
      ["bare node:http req/s, same bytes", String(baseline.rps)],
      ["ratio fleetdeck / bare", (fleetdeck.rps / baseline.rps).toFixed(2)],
    ];
  } finally {
    await panel.stop();
  }
}

await forEachDatabase(measureDetails);
