/**
 * Compressed answers and the UI's push stream, against a real panel.
 * - Every documented list answer decodes, gzip or brotli, to the same JSON as sent uncompressed.
 * - The stream (/api/ui/stream) delivers a change as a diff, and only to those the access policy
 *   lets see the machine.
 * - The agents' reports reach the history tables as 10-second averages, stored as Prisma stores
 *   its own rows, and the charts read them back.
 */
import http from "node:http";
import path from "node:path";
import zlib from "node:zlib";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, login, startPanel, type RunningPanel } from "../helpers/panel";
import { openSse } from "../helpers/sse";
import { until } from "../helpers/wait";
import { spawnAgent, stopAllAgents } from "../agent/helpers";

let panel: RunningPanel;
let cookie: string;
const agents: ReturnType<typeof spawnAgent>[] = [];
const JSON_HEADERS = () => ({ cookie, "content-type": "application/json", "x-requested-with": "XMLHttpRequest" });

/** A GET through node:http, which (unlike fetch) leaves the body as it came. */
function rawGet(path: string, headers: Record<string, string>): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${panel.url}${path}`, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
  });
}

function decode(body: Buffer, encoding: string | undefined): unknown {
  const bytes = encoding === "br" ? zlib.brotliDecompressSync(body) : encoding === "gzip" ? zlib.gunzipSync(body) : body;
  return JSON.parse(bytes.toString("utf8"));
}

/** Fields that are the time of the answer or the panel process's own figures, not the fleet's. */
function stable(path: string, v: unknown): unknown {
  const o = structuredClone(v) as Record<string, unknown>;
  if (path.startsWith("/api/service") || path.startsWith("/api/overview")) delete o.time;
  if (path.startsWith("/api/overview")) {
    const data = o.data as Record<string, unknown>;
    for (const k of ["process", "system", "chart"]) delete data[k];
  }
  return o;
}

beforeAll(async () => {
  panel = await startPanel();
  cookie = (await login(panel.url, ADMIN.username, ADMIN.password)).cookie!;
  for (let i = 0; i < 20; i++) {
    const res = await fetch(`${panel.url}/api/v1/server/register`, { method: "POST", headers: JSON_HEADERS(), body: JSON.stringify({ Name: `live-${i}`, Tag: `t${i % 3}` }) });
    expect(res.status).toBe(200);
    // Three of them get a real agent: MCSManager's daemon answers list only connected daemons,
    // and they must be large enough to be worth compressing.
    if (i < 3) agents[i] = spawnAgent(["--panel", panel.url, "--secret", ((await res.json()) as { secret: string }).secret, "--interval", "1"]);
  }
});
afterAll(() => stopAllAgents());
afterAll(() => panel?.stop());

describe("compressed answers", () => {
  beforeAll(() =>
    until("the three agents to be connected daemons", async () => {
      const r = await fetch(`${panel.url}/api/service/remote_services_system`, { headers: JSON_HEADERS() });
      return ((await r.json()) as { data: unknown[] }).data.length === 3;
    }),
  );
  const paths = [
    "/api/v1/server/list",
    "/api/v1/server/details",
    "/api/v1/server/details?tag=t1",
    "/api/service/remote_services_system",
    "/api/service/remote_services_list",
    "/api/service/remote_services",
    "/api/overview",
    "/agents/",
    "/api/ui/servers",
    "/api/ui/agents",
  ];
  for (const path of paths) {
    it(`${path}: gzip and brotli decode to the same JSON as the plain answer`, async () => {
      const headers = { cookie, "x-requested-with": "XMLHttpRequest" };
      const plain = await rawGet(path, { ...headers, "accept-encoding": "identity" });
      const gz = await rawGet(path, { ...headers, "accept-encoding": "gzip" });
      const br = await rawGet(path, { ...headers, "accept-encoding": "gzip, deflate, br" });
      expect(plain.status).toBe(200);
      expect(plain.headers["content-encoding"]).toBeUndefined();
      expect(gz.headers["content-encoding"]).toBe("gzip");
      expect(br.headers["content-encoding"]).toBe("br");
      for (const r of [plain, gz, br]) expect(r.headers.vary).toBe("Accept-Encoding");
      expect(gz.body.length).toBeLessThan(plain.body.length);
      expect(Number(gz.headers["content-length"])).toBe(gz.body.length);
      const expected = stable(path, decode(plain.body, undefined));
      expect(stable(path, decode(gz.body, "gzip"))).toEqual(expected);
      expect(stable(path, decode(br.body, "br"))).toEqual(expected);
    });
  }

  it("refuses an encoding with q=0 and sends small answers as they are", async () => {
    const r = await rawGet("/api/v1/server/list", { cookie, "accept-encoding": "br;q=0, gzip" });
    expect(r.headers["content-encoding"]).toBe("gzip");
    const small = await rawGet("/api/v1/server/details?id=2", { cookie, "accept-encoding": "gzip" });
    expect(small.headers["content-encoding"]).toBeUndefined();
    expect(decode(small.body, undefined)).toMatchObject({ code: 0 });
  });
});

/** The UI's push stream with these topics. */
const openStream = (topics: string, headers: Record<string, string>) => openSse(`${panel.url}/api/ui/stream?topics=${topics}`, headers);

type ServersDiff = { upsert: { id: number; tag: string; name: string }[]; patch?: { id: number; connected?: boolean }[]; remove: number[]; order?: number[] };

describe("the push stream", () => {
  it("refuses an anonymous client", async () => {
    const s = openStream("servers", {});
    await until("the answer", () => s.status() !== 0);
    expect(s.status()).toBe(401);
    s.close();
  });

  it("sends a server's edit as a diff to those who may see it, and nothing to those who may not", async () => {
    // A user without can_list_agents sees no machine through any door, the stream included.
    const res = await fetch(`${panel.url}/api/ui/users`, { method: "POST", headers: JSON_HEADERS(), body: JSON.stringify({ username: "viewer", password: "viewer-password-1" }) });
    expect(res.status).toBe(201);
    const viewerCookie = (await login(panel.url, "viewer", "viewer-password-1")).cookie!;

    const admin = openStream("servers,agents", { cookie });
    const viewer = openStream("servers,agents", { cookie: viewerCookie });
    await until("both streams open", () => admin.events.some((e) => e.event === "hello") && viewer.events.some((e) => e.event === "hello"));

    const patch = await fetch(`${panel.url}/api/ui/servers/5`, { method: "PATCH", headers: JSON_HEADERS(), body: JSON.stringify({ tag: "streamed" }) });
    expect(patch.status).toBe(200);
    const seen = () => admin.events.filter((e) => e.event === "servers").map((e) => e.data as ServersDiff).find((d) => d.upsert.some((r) => r.id === 5 && r.tag === "streamed"));
    await until("the edit on the stream", () => !!seen());
    const diff = seen()!;
    // An edit can move a server in the display order: the order comes with it.
    expect(diff.order).toContain(5);
    expect(diff.upsert.length).toBeLessThan(diff.order!.length);
    await until("the agents diff", () => admin.events.some((e) => e.event === "agents"));

    // The viewer's stream is open but carries no machine: no row, and an empty order.
    await new Promise((r) => setTimeout(r, 1_500));
    for (const e of viewer.events.filter((e) => e.event !== "hello")) {
      expect((e.data as ServersDiff).upsert).toEqual([]);
      expect((e.data as ServersDiff).order ?? []).toEqual([]);
    }

    const del = await fetch(`${panel.url}/api/ui/servers/6`, { method: "DELETE", headers: JSON_HEADERS() });
    expect(del.status).toBe(200);
    await until("the removal on the stream", () => admin.events.some((e) => e.event === "servers" && (e.data as ServersDiff).remove.includes(6)));
    admin.close();
    viewer.close();
  });

  it("carries whole rows only for the servers the page shows, and the status of the others", async () => {
    const page = openStream("servers&view=1", { cookie });
    await until("the hello", () => page.events.some((e) => e.event === "hello"));
    const id = (page.events.find((e) => e.event === "hello")!.data as { id: string }).id;
    const view = (body: unknown, who = cookie) => fetch(`${panel.url}/api/ui/stream/view`, { method: "POST", headers: { ...JSON_HEADERS(), cookie: who }, body: JSON.stringify(body) });
    expect((await view({ stream: id, ids: [1] })).status).toBe(200);
    const diffs = () => page.events.filter((e) => e.event === "servers").map((e) => e.data as ServersDiff);
    const upserted = (sid: number) => diffs().some((d) => d.upsert.some((r) => r.id === sid));
    // Server 1 is on screen: its row comes whole, and again with its reports.
    await until("server 1's row", () => diffs().filter((d) => d.upsert.some((r) => r.id === 1)).length >= 2);
    // Servers 2 and 3 report every second too, but are not on screen: no row of theirs.
    expect(upserted(2) || upserted(3)).toBe(false);
    // Server 2's agent goes away: its status comes as a patch.
    await agents[1].stop();
    await until("server 2's patch", () => diffs().some((d) => d.patch?.some((p) => p.id === 2 && p.connected === false)));
    expect(upserted(2)).toBe(false);
    // Only its own user names a stream's rows; an unknown stream is not found.
    const other = (await login(panel.url, "viewer", "viewer-password-1")).cookie!;
    expect((await view({ stream: id, ids: [2] }, other)).status).toBe(404);
    expect((await view({ stream: "nope~x", ids: [1] })).status).toBe(404);
    expect((await view({ stream: id, ids: "all" })).status).toBe(400);
    page.close();
  });

  it("carries a named server's whole detail as the detail answer has it, only to those who may see it", async () => {
    type Detail = { id: number; host: { hostname: string } | null; temperatures: unknown[]; processCount: number | null; uptime: number | null; gone?: true };
    const hello = async (s: ReturnType<typeof openStream>) => {
      await until("the hello", () => s.events.some((e) => e.event === "hello"));
      return (s.events.find((e) => e.event === "hello")!.data as { id: string }).id;
    };
    const view = (who: string, body: unknown) => fetch(`${panel.url}/api/ui/stream/view`, { method: "POST", headers: { ...JSON_HEADERS(), cookie: who }, body: JSON.stringify(body) });
    const details = (s: ReturnType<typeof openStream>) => s.events.filter((e) => e.event === "server").map((e) => e.data as Detail);

    const page = openStream("servers&view=1", { cookie });
    expect((await view(cookie, { stream: await hello(page), ids: [], details: [1] })).status).toBe(200);
    // Server 1's agent reports every second: its detail comes whole, and again as it reports.
    await until("two details of server 1", () => details(page).filter((d) => d.id === 1).length >= 2);
    const pushed = details(page).filter((d) => d.id === 1).at(-1)!;
    // The same shape as GET /api/ui/servers/1, from the same function (only the live figures move).
    const fetched = (await (await fetch(`${panel.url}/api/ui/servers/1`, { headers: { cookie } })).json()) as Record<string, unknown>;
    expect(Object.keys(pushed).sort()).toEqual(Object.keys(fetched).sort());
    expect(pushed.host?.hostname).toBeTruthy();
    expect(pushed.host).toEqual(fetched.host);
    // Only the named server: servers 2 and 3 have agents too (one still reporting).
    expect(details(page).every((d) => d.id === 1)).toBe(true);

    // A user who may list no machine names server 1 on their own stream: never its detail.
    const viewerCookie = (await login(panel.url, "viewer", "viewer-password-1")).cookie!;
    const viewer = openStream("servers&view=1", { cookie: viewerCookie });
    expect((await view(viewerCookie, { stream: await hello(viewer), ids: [], details: [1] })).status).toBe(200);
    await until("the viewer's answer", () => details(viewer).length > 0);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(details(viewer)).toEqual([{ id: 1, gone: true }]);
    expect((await view(cookie, { stream: "x~y", ids: [], details: Array.from({ length: 21 }, (_, i) => i + 1) })).status).toBe(400);
    page.close();
    viewer.close();
  });
});

describe("history", () => {
  it("stores each agent's reports as 10-second averages the chart reads back, dates as Prisma stores them", async () => {
    type Point = { at: string; cpu: number; memUsed: number; processCount: number };
    // Server 1 has a real agent reporting every second (beforeAll): a bucket closes every 10 s.
    const points = await until("a 10-second average of server 1", async () => {
      const res = await fetch(`${panel.url}/api/ui/servers/1/history?range=hour`, { headers: { cookie } });
      const p = (await res.json()) as Point[];
      return p.length > 0 && p;
    });
    expect(new Date(points[0].at).getTime() % 10_000).toBe(0);
    expect(points[0].cpu).toBeGreaterThanOrEqual(0);
    expect(points[0].cpu).toBeLessThanOrEqual(100);
    expect(points[0].memUsed).toBeGreaterThan(0);
    expect(points[0].processCount).toBeGreaterThan(0);
    // The rows are written with the database's own SQL (lib/fleet/history.ts): their dates must be
    // the text Prisma writes for a DateTime (here the server's createdAt), or its queries would
    // compare them wrongly.
    const db = new Database(path.join(panel.dataDir, "fleetdeck.db"), { readonly: true });
    try {
      const metric = db.prepare(`SELECT "at", typeof("cpu") AS cpuType, typeof("serverId") AS idType FROM "ServerMetric" WHERE "serverId" = 1 LIMIT 1`).get() as { at: string; cpuType: string; idType: string };
      const server = db.prepare(`SELECT "createdAt" FROM "Server" WHERE "id" = 1`).get() as { createdAt: string };
      const shape = (t: string) => t.replace(/\d/g, "0");
      expect(shape(metric.at)).toBe(shape(server.createdAt));
      expect(metric.at).toMatch(/:\d0\.000\+00:00$/);
      expect([metric.cpuType, metric.idType]).toEqual(["real", "integer"]);
    } finally {
      db.close();
    }
  });
});
