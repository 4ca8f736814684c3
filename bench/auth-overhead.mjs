// What authentication costs: the same documented routes, same data, at 50 connections, with a
// scoped token (read-only, API list, source CIDRs: all checked) and with authentication skipped, printed side by side with the ratio (aim: at most 5%).
//
// Both sides run on ONE panel, started with FLEETDECK_BENCH_SKIP_AUTH=1: requests that carry
// `X-Fleetdeck-Bench-Skip-Auth: 1` are answered as a synthetic admin, the others authenticate
// their token as usual. Short runs of each side alternate, so both see the same process, JIT
// state and machine load; separate panels measured minutes apart drifted by ±10% here.
// Two figures per side: req/s (what a client sees; autocannon shares the 2 cores) and the panel
// process's CPU time per request (from /proc: its cost, whatever the load generator does).
//
// Usage: node bench/auth-overhead.mjs [--servers 10] [--rounds 7] [--seconds 3]
// Build first (`npm run build` or `npm test`).
import { parseArgs } from "node:util";
import { adminCookie, cannon, cpuSecondsOf, printRow, startPanel } from "./lib.mjs";

const { values } = parseArgs({
  options: { servers: { type: "string", default: "10" }, rounds: { type: "string", default: "7" }, seconds: { type: "string", default: "3" } },
});
const servers = Number(values.servers);
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);

/** Each dialect's route, with the token where its scripts put it. */
const ROUTES = [
  { label: "nezha  GET /api/v1/server/details", path: () => "/api/v1/server/details", headers: (t) => ({ authorization: t }) },
  {
    label: "mcsm   GET /api/service/remote_services_system",
    path: (t) => `/api/service/remote_services_system?apikey=${t}`,
    headers: () => ({ "x-requested-with": "XMLHttpRequest", "content-type": "application/json; charset=utf-8" }),
  },
  { label: "trmm   GET /agents/?detail=false", path: () => "/agents/?detail=false", headers: (t) => ({ "x-api-key": t }) },
];
const SKIP = { "x-fleetdeck-bench-skip-auth": "1" };

const panel = await startPanel({ FLEETDECK_BENCH_SKIP_AUTH: "1" });
try {
  const session = { cookie: await adminCookie(panel.url), "content-type": "application/json", "x-requested-with": "XMLHttpRequest" };
  for (let i = 0; i < servers; i++) {
    const res = await fetch(`${panel.url}/api/v1/server/register`, { method: "POST", headers: session, body: JSON.stringify({ Name: `bench-${i}`, Tag: "bench" }) });
    if (res.status !== 200) throw new Error(`register failed: ${res.status} ${await res.text()}`);
  }
  // A scoped token (read-only, three APIs, loopback only): the guard checks every limit on every
  // request, the most a token costs.
  const scope = { readOnly: true, apis: ["nezha", "mcsm", "trmm"], allowedCidrs: ["127.0.0.1/32", "::1/128"] };
  const made = await fetch(`${panel.url}/api/ui/tokens`, { method: "POST", headers: session, body: JSON.stringify({ note: "auth-overhead bench", ...scope }) });
  const { token } = await made.json();
  if (!token) throw new Error(`token creation failed: ${made.status}`);

  /** One run; the panel's CPU time over it divided by the requests it answered. */
  async function run(url, headers, duration) {
    const cpu0 = cpuSecondsOf(panel.pid);
    const r = await cannon({ url, headers, duration });
    return { ...r, cpuUs: ((cpuSecondsOf(panel.pid) - cpu0) * 1e6) / r.total };
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

  console.log(`auth overhead, ${servers} servers, 50 connections, median of ${rounds} alternating ${seconds}-s runs per side\n`);
  for (const route of ROUTES) {
    const url = panel.url + route.path(token);
    const sides = { token: route.headers(token), skip: { ...route.headers(token), ...SKIP } };
    const check = await fetch(url, { headers: sides.token });
    if (check.status !== 200) throw new Error(`${route.label}: the token was refused (${check.status})`);
    // Warm up both paths (JIT, caches) before the runs that count: a fresh panel needs some
    // 20 s of load before its rate settles on this machine.
    const warm = route === ROUTES[0] ? 10 : 3;
    await run(url, sides.token, warm);
    await run(url, sides.skip, warm);
    const got = { token: [], skip: [] };
    for (let r = 0; r < rounds; r++) {
      for (const side of r % 2 ? ["skip", "token"] : ["token", "skip"]) got[side].push(await run(url, sides[side], seconds));
    }
    const summary = (side) => ({
      rps: median(got[side].map((x) => x.rps)),
      p99: median(got[side].map((x) => x.p99)),
      errors: got[side].reduce((n, x) => n + x.errors, 0),
      cpuUs: median(got[side].map((x) => x.cpuUs)),
    });
    const t = summary("token");
    const n = summary("skip");
    const pct = (x) => `${(x * 100).toFixed(1)}%`;
    printRow(`${route.label} (token)`, t);
    printRow(`${route.label} (no auth)`, n);
    console.log(`  panel CPU per request: ${t.cpuUs.toFixed(1)} µs with the token, ${n.cpuUs.toFixed(1)} µs without`);
    console.log(`  token costs ${pct(n.rps / t.rps - 1)} in req/s, ${pct(t.cpuUs / n.cpuUs - 1)} in panel CPU (aim: at most 5%)\n`);
  }
} finally {
  await panel.stop();
}
