// What authentication costs: the same documented routes, same data, at 50 connections, on a panel
// that checks a token and on one started with FLEETDECK_BENCH_SKIP_AUTH=1 (every request answered
// as a synthetic admin). Printed side by side with the ratio; the aim is at most 5% more cost.
// Two figures per side: req/s (what a client sees; autocannon shares the 2 cores) and the panel
// process's own CPU time per request (from /proc: the cost, whatever the load generator does).
// Usage: node bench/auth-overhead.mjs [--servers 10] [--rounds 2]   (BENCH_SECONDS=10)
// Build first (`npm run build` or `npm test`).
import { parseArgs } from "node:util";
import { adminCookie, cannon, cpuSecondsOf, printRow, startPanel } from "./lib.mjs";

const { values } = parseArgs({ options: { servers: { type: "string", default: "10" }, rounds: { type: "string", default: "2" } } });
const servers = Number(values.servers);
const rounds = Number(values.rounds);

/** Each dialect's route, with the token where its scripts put it. */
const ROUTES = [
  { label: "nezha  GET /api/v1/server/details", path: "/api/v1/server/details", headers: (t) => ({ authorization: t }) },
  { label: "mcsm   GET /api/service/remote_services_system", path: (t) => `/api/service/remote_services_system?apikey=${t}`, headers: () => ({ "x-requested-with": "XMLHttpRequest", "content-type": "application/json; charset=utf-8" }) },
  { label: "trmm   GET /agents/?detail=false", path: "/agents/?detail=false", headers: (t) => ({ "x-api-key": t }) },
];

/** A panel with `servers` registered servers and an admin token; `skip` turns authentication off. */
async function panelWithData(skip) {
  const panel = await startPanel(skip ? { FLEETDECK_BENCH_SKIP_AUTH: "1" } : {});
  const session = { cookie: await adminCookie(panel.url), "content-type": "application/json", "x-requested-with": "XMLHttpRequest" };
  for (let i = 0; i < servers; i++) {
    const res = await fetch(`${panel.url}/api/v1/server/register`, { method: "POST", headers: session, body: JSON.stringify({ Name: `bench-${i}`, Tag: "bench" }) });
    if (res.status !== 200) throw new Error(`register failed: ${res.status} ${await res.text()}`);
  }
  // Without authentication there is no real user to own a token: send one of the same shape and
  // length, so both sides carry the same bytes.
  if (skip) return { panel, token: `fdk_${"x".repeat(43)}` };
  const made = await fetch(`${panel.url}/api/ui/tokens`, { method: "POST", headers: session, body: JSON.stringify({ note: "auth-overhead bench" }) });
  const { token } = await made.json();
  if (!token) throw new Error(`token creation failed: ${made.status}`);
  return { panel, token };
}

async function measure(skip) {
  const { panel, token } = await panelWithData(skip);
  try {
    const out = [];
    for (const route of ROUTES) {
      const path = typeof route.path === "function" ? route.path(token) : route.path;
      // Warm up (JIT, caches) before the figure that counts.
      await cannon({ url: panel.url + path, headers: route.headers(token), duration: 2 });
      const cpu0 = cpuSecondsOf(panel.pid);
      const r = await cannon({ url: panel.url + path, headers: route.headers(token) });
      out.push({ ...r, cpuUs: ((cpuSecondsOf(panel.pid) - cpu0) * 1e6) / r.total });
    }
    return out;
  } finally {
    await panel.stop();
  }
}

const best = (a, b) => (!a ? b : { ...(b.rps > a.rps ? b : a), cpuUs: Math.min(a.cpuUs, b.cpuUs) });
const withToken = [];
const without = [];
for (let r = 0; r < rounds; r++) {
  // Alternate the order so neither side always runs on a warmer machine.
  const order = r % 2 ? [true, false] : [false, true];
  for (const skip of order) {
    const res = await measure(skip);
    res.forEach((x, i) => (skip ? (without[i] = best(without[i], x)) : (withToken[i] = best(withToken[i], x))));
  }
}

console.log(`auth overhead, ${servers} servers, 50 connections, best of ${rounds} rounds\n`);
ROUTES.forEach((route, i) => {
  const t = withToken[i];
  const n = without[i];
  printRow(`${route.label} (token)`, t);
  printRow(`${route.label} (no auth)`, n);
  const pct = (x) => `${(x * 100).toFixed(1)}%`;
  console.log(`  panel CPU per request: ${t.cpuUs.toFixed(1)} µs with the token, ${n.cpuUs.toFixed(1)} µs without`);
  console.log(`  token costs ${pct(n.rps / t.rps - 1)} in req/s, ${pct(t.cpuUs / n.cpuUs - 1)} in panel CPU (aim: at most 5%)\n`);
});
