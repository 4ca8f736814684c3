#!/usr/bin/env node
/**
 * Ingest benchmark: N simulated agents speak the real agent protocol (agent/protocol.ts) over
 * real WebSockets to a real panel, and we print what the panel took in. Figures are printed,
 * never asserted (DESIGN.md: the machine is shared, numbers vary).
 *
 *   node bench/ingest.mjs [--agents 10000] [--interval 3] [--duration 60] [--sample 20]
 *                         [--connect-concurrency 200] [--port 0] [--keep]
 *                         [--database sqlite|postgres] [--compare] [--processes 1,2] [--rules 5 [--toggle-windows 8] [--toggle-seconds 15]]
 *
 * --database postgres runs the panel on a throwaway PostgreSQL cluster (scripts/pg-cluster.mjs);
 * --compare runs SQLite, then PostgreSQL, and prints the figures side by side; --processes 1,2
 * runs PostgreSQL with one panel process, then two (PANEL_PROCESSES: the agents are split
 * between them by node:cluster, and each sampled read may be answered by either).
 *
 * What it does:
 * 1. A fresh data directory and database; the schema migrated; N servers inserted straight into
 *    the database (creating 10,000 through the API would measure the API, not ingest). Each secret is
 *    "fda_" + random, stored as its SHA-256 like the panel does.
 * 2. Starts the panel as `npm start` does (dist/server.cjs over Next's production build,
 *    FLEETDECK_LOCAL_AGENT=0; bench/lib.mjs startPanel). Build first: `npm run build`, or
 *    `NEXT_DIST_DIR=.next-x npx next build` and the same NEXT_DIST_DIR here.
 * 3. Opens N agent WebSockets (Authorization: Bearer <secret>), each sends a `host` frame, then a
 *    `state` frame every --interval seconds (random phase, increasing seq, at = Date.now()).
 *    Every state carries its seq in `uptime` (UPTIME_BASE + seq), so the panel's view (list and
 *    detail) tells which report it holds.
 * 4. Measures, without any protocol change:
 *    - rate: state frames written to the sockets per second in the steady window;
 *    - ingest latency, on --sample agents: from the send of a report until GET
 *      /api/ui/servers/<id> shows its seq (this includes one HTTP round trip through Next, whose
 *      own p50 is printed beside it);
 *    - lost reports: sampled reports never seen (sent − accepted), and at the end, over every
 *      agent, whether the panel holds the last report each one sent;
 *    - the panel's CPU over the steady window, and its memory: RSS (its processes, from /proc) and
 *      node's own figures (heap used, external, array buffers; printed by the panel on SIGUSR2)
 *      before any agent connects, once all are connected, and at the end of the steady window.
 *
 * --rules K runs the whole measurement twice on fresh data: without alert rules, then with K
 * rules covering every agent (created through the UI API; K ≥ 1). The rules are realistic ones
 * that every report is checked against but that do not fire in the steady state (CPU, memory,
 * disk above a threshold for a minute, offline for two minutes…), except one: load above 50 at
 * once, notified to a webhook this benchmark runs. During the window, one sampled agent a second
 * reports a load of 99 once; the time from sending that report to the webhook's call is the
 * "threshold crossing → webhook" figure (p50/p99), and the two runs' CPU is printed side by side.
 * Two runs on fresh data differ by more than the rules cost (a run's CPU moves with what else the
 * machine does and with its own heap), so the rules run then also compares like with like: the
 * same panel and agents, the rules switched off and on (PATCH enabled) in --toggle-windows
 * windows of --toggle-seconds each (off, on, on, off, off, on, on, off: a steady drift over the
 * run weighs on both sides alike), CPU per 1,000 reports printed for each window and as the mean
 * of each side.
 */
import fs from "node:fs";
import http from "node:http";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";
import { connectAll, prepareData, SimAgent, UPTIME_BASE } from "./fleet-sim.mjs";
import { DATABASE_OPTIONS, adminCookie, cpuSecondsOf, forEachDatabase, memoryLine, panelMemory, processesEnv, rssMiBOf, startPanel } from "./lib.mjs";

// ------------------------------------------------------------------------------------------
// Options

const { values: flags } = parseArgs({
  options: {
    agents: { type: "string", default: "1000" },
    interval: { type: "string", default: "3" },
    duration: { type: "string", default: "60" },
    sample: { type: "string", default: "20" },
    "connect-concurrency": { type: "string", default: "200" },
    rules: { type: "string", default: "0" },
    "toggle-windows": { type: "string", default: "8" },
    "toggle-seconds": { type: "string", default: "15" },
    port: { type: "string", default: "0" },
    keep: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
    ...DATABASE_OPTIONS,
  },
});
if (flags.help) {
  console.log(fs.readFileSync(fileURLToPath(import.meta.url), "utf8").split("*/")[0]);
  process.exit(0);
}

function intFlag(name, min, max) {
  const v = Number(flags[name]);
  if (!Number.isFinite(v) || v < min || v > max) {
    console.error(`--${name} must be a number from ${min} to ${max}`);
    process.exit(1);
  }
  return v;
}
const N = Math.floor(intFlag("agents", 1, 100_000));
const INTERVAL_MS = Math.round(intFlag("interval", 0.1, 60) * 1000);
const DURATION_MS = Math.round(intFlag("duration", 5, 3600) * 1000);
const SAMPLE = Math.min(N, Math.floor(intFlag("sample", 0, 1000)));
const CONNECT_CONCURRENCY = Math.floor(intFlag("connect-concurrency", 1, 10_000));
const RULES = Math.floor(intFlag("rules", 0, 50));
const TOGGLE_WINDOWS = Math.floor(intFlag("toggle-windows", 0, 40));
const TOGGLE_MS = intFlag("toggle-seconds", 2, 600) * 1000;

// ------------------------------------------------------------------------------------------
// Helpers

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function quantile(sorted, q) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

const ms = (v) => (Number.isFinite(v) ? `${v.toFixed(1)} ms` : "n/a");


// ------------------------------------------------------------------------------------------
// 4. Sampled latency probe

/**
 * Follows one sampled agent: after each of its reports, reads the panel's view of the server
 * until it shows that report's seq (seen), a later one (superseded), or 10 s pass (lost).
 */
class Probe {
  constructor(agent, base, cookie) {
    this.agent = agent;
    this.base = base;
    this.cookie = cookie;
    /** @type {{seq: number, at: number}[]} */
    this.pending = [];
    this.latencies = [];
    this.rtts = [];
    this.seen = 0;
    this.superseded = 0;
    this.lost = 0;
    this.errors = 0;
    this.running = true;
    this.wake = null;
    agent.onSent = (seq, at) => {
      this.pending.push({ seq, at });
      this.wake?.();
    };
  }

  async run() {
    while (this.running) {
      if (!this.pending.length) {
        await new Promise((r) => (this.wake = r));
        this.wake = null;
        continue;
      }
      const t0 = Date.now();
      let shown = -1;
      try {
        const res = await fetch(`${this.base}/api/ui/servers/${this.agent.id}`, { headers: { cookie: this.cookie } });
        const body = await res.json();
        shown = typeof body.uptime === "number" ? body.uptime - UPTIME_BASE : -1;
      } catch {
        this.errors++;
      }
      const t1 = Date.now();
      this.rtts.push(t1 - t0);
      while (this.pending.length) {
        const p = this.pending[0];
        if (shown === p.seq) {
          this.latencies.push(t1 - p.at);
          this.seen++;
        } else if (shown > p.seq) {
          // A later report is held: this one came before it on the same ordered connection and
          // the hub only refuses seqs that are not increasing, so it was accepted, then replaced
          // before a read could see it (reads slower than the report interval).
          this.superseded++;
        } else if (t1 - p.at > 10_000) {
          this.lost++;
        } else break;
        this.pending.shift();
      }
    }
  }

  /** Resolves once every report sent so far has been judged (seen, or missed after 10 s). */
  async drained() {
    while (this.pending.length) await sleep(50);
  }

  stop() {
    this.running = false;
    this.wake?.();
  }
}

/**
 * The panel's responsiveness as seen from an agent socket: a WebSocket ping every 100 ms, timed
 * until its pong (answered by the panel's event loop, so a blocked loop shows here whatever
 * blocks it). Transport control frames only: no change to the agent protocol.
 */
class LoopLag {
  constructor(ws, startedAt) {
    this.ws = ws;
    this.startedAt = startedAt;
    this.sentAt = [];
    this.rtts = [];
    /** The slowest pongs, with when (s since the panel started) they were sent. */
    this.worst = [];
    ws.on("pong", () => {
      const t = this.sentAt.shift();
      if (t === undefined) return;
      const rtt = Date.now() - t;
      this.rtts.push(rtt);
      if (rtt > 500) this.worst.push({ at: (t - this.startedAt) / 1000, rtt });
    });
    this.timer = setInterval(() => {
      if (ws.readyState !== WebSocket.OPEN) return;
      this.sentAt.push(Date.now());
      ws.ping();
    }, 100);
  }

  reset() {
    this.rtts = [];
    this.worst = [];
  }

  stop() {
    clearInterval(this.timer);
  }
}

// ------------------------------------------------------------------------------------------

// ------------------------------------------------------------------------------------------
// Alert rules (--rules)

/** The webhook the crossing rule notifies: records when each server's fire notice arrived. */
async function startHookReceiver() {
  const fired = new Map();
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      const at = Date.now();
      try {
        const n = JSON.parse(body);
        if (n.kind === "fire" && n.server) fired.set(n.server.id, at);
      } catch {
        /* not ours */
      }
      res.writeHead(204).end();
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${server.address().port}/hook`, fired, close: () => server.close() };
}

/** K rules over every agent: the first is the crossing one (load > 50, to the webhook). */
async function createRules(base, cookie, k, hookUrl) {
  const headers = { cookie, "x-requested-with": "XMLHttpRequest", "content-type": "application/json" };
  const post = async (path, body) => {
    const res = await fetch(`${base}${path}`, { method: "POST", headers, body: JSON.stringify(body) });
    if (res.status !== 201) throw new Error(`bench: ${path} answered ${res.status}: ${await res.text()}`);
    return res.json();
  };
  const channel = await post("/api/ui/alert-channels", { type: "webhook", name: "bench hook", config: { url: hookUrl } });
  const quiet = [
    { kind: "metric", params: { metric: "cpu", above: 99.5, forSec: 60 } },
    { kind: "metric", params: { metric: "memory", above: 90, forSec: 60 } },
    { kind: "metric", params: { metric: "disk", above: 90, forSec: 60 } },
    { kind: "offline", params: { seconds: 120 } },
    { kind: "metric", params: { metric: "net_in_speed", above: 1e9, forSec: 60 } },
    { kind: "metric", params: { metric: "swap", above: 90, forSec: 60 } },
  ];
  const ids = [(await post("/api/ui/alert-rules", { name: "bench crossing", kind: "metric", params: { metric: "load", above: 50, forSec: 0 }, channelIds: [channel.id] })).id];
  for (let i = 1; i < k; i++) ids.push((await post("/api/ui/alert-rules", { name: `bench quiet ${i}`, ...quiet[(i - 1) % quiet.length] })).id);
  return ids;
}

/** Switches the rules on or off (PATCH enabled), as an admin would. */
async function setRulesEnabled(base, cookie, ids, enabled) {
  const headers = { cookie, "x-requested-with": "XMLHttpRequest", "content-type": "application/json" };
  for (const id of ids) {
    const res = await fetch(`${base}/api/ui/alert-rules/${id}`, { method: "PATCH", headers, body: JSON.stringify({ enabled }) });
    if (res.status !== 200) throw new Error(`bench: PATCH alert rule ${id} answered ${res.status}: ${await res.text()}`);
  }
}

/** Makes one sampled agent cross the threshold a second; returns the crossing → webhook times. */
function crossings(agents, hook) {
  const pending = new Map();
  const times = [];
  let k = 0;
  // Judge earlier crossings, and put their agents back below the threshold (they recover).
  const judge = (giveUpMs) => {
    for (const [id, { agent, sentAt }] of pending) {
      const at = hook.fired.get(id);
      if (at !== undefined) {
        times.push(at - sentAt);
        hook.fired.delete(id);
        pending.delete(id);
      } else if (Date.now() - sentAt > giveUpMs) pending.delete(id);
      if (!pending.has(id)) agent.override = null;
    }
  };
  const timer = setInterval(() => {
    judge(30_000);
    const agent = agents[Math.floor(((k++ * 7919) % agents.length))];
    if (pending.has(agent.id) || agent.override) return;
    agent.override = { load1: 99 };
    // The crossing is sent now, not at the agent's next tick, so its send time is known.
    agent.sendState();
    pending.set(agent.id, { agent, sentAt: Date.now() });
  }, 1_000);
  return {
    times,
    stop: () => clearInterval(timer),
    /** After stop(): waits up to `ms` for the webhook calls of the last crossings, and judges them. */
    async settle(ms) {
      const until = Date.now() + ms;
      while (pending.size && Date.now() < until) {
        await sleep(100);
        judge(Infinity);
      }
    },
    missed: () => pending.size,
  };
}

/** One run on one database; returns the headline figures for the side-by-side table. */
async function measureIngest({ database, databaseUrl, processes = 1, rules = 0 }) {
  const t0 = Date.now();
  const figures = [];
  console.log(`ingest bench on ${database}: ${N} agents, a report every ${INTERVAL_MS / 1000} s each (target ${(N / (INTERVAL_MS / 1000)).toFixed(0)} reports/s), ${DURATION_MS / 1000} s steady, ${SAMPLE} sampled`);
  const { dataDir, url, servers } = await prepareData(N, databaseUrl);
  console.log(`  prepared ${N} servers in ${((Date.now() - t0) / 1000).toFixed(1)} s (${dataDir})`);

  // PANEL_PROCESSES=N: node:cluster hands each agent's connection to one of the N processes.
  const panel = await startPanel({ DATABASE_URL: url, ...processesEnv(processes) }, { dataDir, port: Number(flags.port) || undefined });
  console.log(`  panel: ${panel.command}`);
  const agents = servers.map((s, i) => new SimAgent(i, s, INTERVAL_MS));
  const probes = [];
  const hook = rules ? await startHookReceiver() : null;
  let crossing = null;
  let ruleIds = [];
  try {
    const cookie = await adminCookie(panel.url);
    const idle = { rss: rssMiBOf(panel.proc.pid), mem: await panelMemory(panel) };
    if (hook) {
      ruleIds = await createRules(panel.url, cookie, rules, hook.url);
      console.log(`  ${rules} alert rules over every agent (one notified to the bench's webhook)`);
    }
    const wsUrl = panel.url.replace(/^http/, "ws") + "/agent/ws";

    const c0 = Date.now();
    const { failed, errors } = await connectAll(agents, wsUrl, CONNECT_CONCURRENCY);
    const connectS = (Date.now() - c0) / 1000;
    console.log(`  connected ${N - failed}/${N} agents in ${connectS.toFixed(1)} s (${((N - failed) / connectS).toFixed(0)}/s)`);
    for (const [why, n] of errors) console.log(`    ${n} × ${why}`);
    const connected = { rss: rssMiBOf(panel.proc.pid), mem: await panelMemory(panel) };

    // Sampled agents spread over the id range.
    for (let k = 0; k < SAMPLE; k++) probes.push(new Probe(agents[Math.floor((k * N) / SAMPLE)], panel.url, cookie));
    const probeRuns = probes.map((p) => p.run());
    const lag = agents[0].ws ? new LoopLag(agents[0].ws, panel.startedAt) : null;

    for (const a of agents) a.start();
    // One interval of warm-up: every agent has started reporting before the window opens.
    await sleep(INTERVAL_MS + 500);
    const sent0 = agents.reduce((n, a) => n + a.sent, 0);
    const panelCpu0 = cpuSecondsOf(panel.proc.pid);
    const benchCpu0 = process.cpuUsage();
    const w0 = Date.now();
    for (const p of probes) {
      p.latencies = [];
      p.rtts = [];
    }
    lag?.reset();
    if (hook) crossing = crossings(agents, hook);
    // The panel's RSS every second of the window: the figure at its end may fall between two
    // garbage collections, high or low.
    const rssSamples = [];
    const rssTimer = setInterval(() => rssSamples.push(rssMiBOf(panel.proc.pid)), 1_000);
    await sleep(DURATION_MS);
    clearInterval(rssTimer);
    crossing?.stop();
    const windowS = (Date.now() - w0) / 1000;
    const sentWindow = agents.reduce((n, a) => n + a.sent, 0) - sent0;
    const panelCpu = (cpuSecondsOf(panel.proc.pid) - panelCpu0) / windowS;
    const benchUsage = process.cpuUsage(benchCpu0);
    const benchCpu = (benchUsage.user + benchUsage.system) / 1e6 / windowS;
    const rss = rssMiBOf(panel.proc.pid);
    const mem = await panelMemory(panel);
    // The last crossings' webhook calls (a crossing sent in the window's last second included).
    await crossing?.settle(10_000);

    // Like with like: the same panel and agents, the rules off and on in alternating windows.
    const toggled = { off: [], on: [] };
    if (rules && TOGGLE_WINDOWS > 0) {
      for (let w = 0; w < TOGGLE_WINDOWS; w++) {
        // off, on, on, off, off, on, …: a cost that drifts steadily over the run falls on both sides alike.
        const on = w % 4 === 1 || w % 4 === 2;
        await setRulesEnabled(panel.url, cookie, ruleIds, on);
        await sleep(2_000);
        const s0 = agents.reduce((n, a) => n + a.sent, 0);
        const c0 = cpuSecondsOf(panel.proc.pid);
        await sleep(TOGGLE_MS);
        const reports = agents.reduce((n, a) => n + a.sent, 0) - s0;
        toggled[on ? "on" : "off"].push(((cpuSecondsOf(panel.proc.pid) - c0) * 1e6) / Math.max(1, reports));
      }
    }

    lag?.stop();
    // Stop sending; give the last reports time to land, then compare with what the panel holds.
    for (const a of agents) a.stop();
    await Promise.all(probes.map((p) => p.drained()));
    await sleep(1_000);
    for (const p of probes) p.stop();
    await Promise.all(probeRuns);

    const listRes = await fetch(`${panel.url}/api/ui/servers`, { headers: { cookie } });
    const rows = await listRes.json();
    const byId = new Map(rows.map((r) => [r.id, r]));
    let lastHeld = 0;
    let online = 0;
    for (const a of agents) {
      const r = byId.get(a.id);
      if (r?.online) online++;
      if (r && r.uptime === UPTIME_BASE + a.seq) lastHeld++;
    }

    const totalSent = agents.reduce((n, a) => n + a.sent, 0);
    const sendErrors = agents.reduce((n, a) => n + a.sendErrors, 0);
    const closes = agents.reduce((n, a) => n + a.closes, 0);
    const latencies = probes.flatMap((p) => p.latencies).sort((x, y) => x - y);
    const rtts = probes.flatMap((p) => p.rtts).sort((x, y) => x - y);
    const sampledSent = probes.reduce((n, p) => n + p.agent.sent, 0);
    const sampledSeen = probes.reduce((n, p) => n + p.seen, 0);
    const sampledSuperseded = probes.reduce((n, p) => n + p.superseded, 0);
    const sampledLost = probes.reduce((n, p) => n + p.lost, 0);
    const probeErrors = probes.reduce((n, p) => n + p.errors, 0);

    console.log("");
    console.log(`  rate:        ${(sentWindow / windowS).toFixed(0)} reports/s sustained over ${windowS.toFixed(0)} s (target ${(N / (INTERVAL_MS / 1000)).toFixed(0)}); ${totalSent} sent in all, ${sendErrors} send errors, ${closes} connections closed by the panel`);
    console.log(`  latency:     sampled report → visible in the panel: p50 ${ms(quantile(latencies, 0.5))}, p90 ${ms(quantile(latencies, 0.9))}, p99 ${ms(quantile(latencies, 0.99))}, max ${ms(latencies.at(-1))} (n=${latencies.length})`);
    console.log(`               the read alone (GET /api/ui/servers/<id> through Next): p50 ${ms(quantile(rtts, 0.5))}, p99 ${ms(quantile(rtts, 0.99))}, max ${ms(rtts.at(-1))} (n=${rtts.length})`);
    const accepted = sampledSeen + sampledSuperseded;
    if (lag) {
      const r = lag.rtts.slice().sort((x, y) => x - y);
      // Consecutive slow pings are one stall: merge those sent while the previous one was pending.
      const episodes = [];
      for (const w of lag.worst) {
        const last = episodes.at(-1);
        if (last && w.at <= last.at + last.rtt / 1000) last.rtt = Math.max(last.rtt, w.rtt + (w.at - last.at) * 1000);
        else episodes.push({ ...w });
      }
      const stalls = episodes.map((e) => `${(e.rtt / 1000).toFixed(1)} s at +${e.at.toFixed(0)} s`).slice(0, 15).join(", ");
      console.log(`  panel loop:  WebSocket ping → pong p50 ${ms(quantile(r, 0.5))}, p99 ${ms(quantile(r, 0.99))}, max ${ms(r.at(-1))} (n=${r.length})${stalls ? `; stalls over 0.5 s (time since the panel started): ${stalls}` : ""}`);
    }
    console.log(`  lost:        sampled ${sampledSent} sent − ${accepted} accepted = ${sampledSent - accepted} (${sampledSeen} seen, ${sampledSuperseded} replaced by the next report before a read saw them, ${sampledLost} never seen within 10 s, ${probeErrors} probe errors)`);
    console.log(`               every agent: the panel holds the last report of ${lastHeld}/${N}; ${online}/${N} online at the end`);
    console.log(`  panel:       ${(panelCpu * 100).toFixed(0)}% of one core; the bench itself ${(benchCpu * 100).toFixed(0)}% of one core (2 cores shared)`);
    const rssMax = Math.max(rss, ...rssSamples);
    const rssMean = rssSamples.length ? rssSamples.reduce((a, b) => a + b, 0) / rssSamples.length : rss;
    console.log(`  memory:      panel RSS ${rss.toFixed(0)} MiB with ${N - failed} agents reporting (over the window: mean ${rssMean.toFixed(0)}, peak ${rssMax.toFixed(0)} MiB): ${memoryLine(mem)}`);
    console.log(`               before any agent (signed in once): RSS ${idle.rss.toFixed(0)} MiB, ${memoryLine(idle.mem)}`);
    console.log(`               agents connected, not yet reporting: RSS ${connected.rss.toFixed(0)} MiB, ${memoryLine(connected.mem)}`);
    console.log(`               per agent: ${(((rss - idle.rss) * 1024) / Math.max(1, N - failed)).toFixed(1)} KiB of RSS above the panel with none`);
    if (crossing) {
      const t = crossing.times.slice().sort((x, y) => x - y);
      console.log(`  alerts:      threshold crossing → webhook call p50 ${ms(quantile(t, 0.5))}, p99 ${ms(quantile(t, 0.99))}, max ${ms(t.at(-1))} (n=${t.length}, ${crossing.missed()} not called within the window)`);
      figures.push(["crossing → webhook p50", ms(quantile(t, 0.5))], ["crossing → webhook p99", ms(quantile(t, 0.99))]);
    }
    if (toggled.on.length && toggled.off.length) {
      const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const list = (xs) => xs.map((x) => x.toFixed(1)).join(", ");
      console.log(`  rules toggled in this panel (${TOGGLE_WINDOWS} windows of ${TOGGLE_MS / 1000} s: off, on, on, off, …), panel CPU per 1,000 reports:`);
      console.log(`               off: ${list(toggled.off)} ms (mean ${mean(toggled.off).toFixed(1)}); on: ${list(toggled.on)} ms (mean ${mean(toggled.on).toFixed(1)})`);
      figures.toggled = { off: mean(toggled.off), on: mean(toggled.on) };
    }
    figures.push(
      ["reports/s sustained", (sentWindow / windowS).toFixed(0)],
      ["report → visible p50", ms(quantile(latencies, 0.5))],
      ["report → visible p99", ms(quantile(latencies, 0.99))],
      ["longest event-loop stall", ms(lag ? Math.max(0, ...lag.rtts) : NaN)],
      ["sampled reports lost", String(sampledSent - accepted)],
      ["last report held", `${lastHeld}/${N}`],
      ["panel CPU (one core)", `${(panelCpu * 100).toFixed(1)}%`],
      // Per report: steadier than a share of a core when other work shares the machine.
      ["panel CPU per 1,000 reports", `${((panelCpu * windowS * 1000) / Math.max(1, sentWindow) * 1000).toFixed(1)} ms`],
      ["panel RSS", `${rss.toFixed(0)} MiB`],
      ["panel RSS peak in the window", `${Math.max(rss, ...rssSamples).toFixed(0)} MiB`],
      ["panel heap used", mem ? `${mem.heapUsed.toFixed(0)} MiB` : "n/a"],
      ["panel external", mem ? `${mem.external.toFixed(0)} MiB` : "n/a"],
      ["panel RSS with no agent", `${idle.rss.toFixed(0)} MiB`],
    );
  } catch (e) {
    console.error("bench failed:", e);
    console.error(panel.logs().slice(-3000));
    process.exitCode = 1;
  } finally {
    hook?.close();
    for (const a of agents) {
      a.stop();
      a.ws?.terminate();
    }
    for (const p of probes) p.stop();
    const exited = new Promise((r) => panel.proc.once("exit", r));
    panel.proc.kill("SIGTERM");
    await Promise.race([exited, sleep(10_000)]);
    if (panel.proc.exitCode === null) panel.proc.kill("SIGKILL");
    const warnings = panel.logs().split("\n").filter((l) => /refused|dropped|failed|error/i.test(l));
    if (warnings.length) console.log(`  panel log (${warnings.length} notable lines):\n    ${warnings.slice(0, 10).join("\n    ")}`);
    if (flags.keep) console.log(`  kept ${dataDir}`);
    else fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return figures;
}

/** --rules: the same measurement without and with the rules, on fresh data each time. */
async function measureRules({ database, databaseUrl }) {
  if (databaseUrl) throw new Error("--rules runs on SQLite (each run needs a fresh database)");
  console.log("=== without alert rules ===");
  const without = await measureIngest({ database, databaseUrl });
  console.log(`\n=== with ${RULES} alert rules per agent ===`);
  const withRules = await measureIngest({ database, databaseUrl, rules: RULES });
  const a = new Map(without);
  const labels = [...new Set([...without.map(([l]) => l), ...withRules.map(([l]) => l)])];
  const width = Math.max(...labels.map((l) => l.length));
  console.log(`\nside by side (${N} agents, ${database}):`);
  console.log(`  ${"".padEnd(width)}  ${"no rules".padStart(12)}  ${`${RULES} rules`.padStart(12)}`);
  const b = new Map(withRules);
  for (const l of labels) console.log(`  ${l.padEnd(width)}  ${String(a.get(l) ?? "—").padStart(12)}  ${String(b.get(l) ?? "—").padStart(12)}`);
  const cpuA = parseFloat(a.get("panel CPU (one core)"));
  const cpuB = parseFloat(b.get("panel CPU (one core)"));
  const moreOrLess = (ratio) => `${Math.abs((ratio - 1) * 100).toFixed(1)}% ${ratio >= 1 ? "more" : "less"}`;
  if (Number.isFinite(cpuA) && Number.isFinite(cpuB) && cpuA > 0) console.log(`  panel CPU with rules: ${moreOrLess(cpuB / cpuA)} than without (aim: at most 10% more)`);
  const perA = parseFloat(a.get("panel CPU per 1,000 reports"));
  const perB = parseFloat(b.get("panel CPU per 1,000 reports"));
  if (Number.isFinite(perA) && Number.isFinite(perB) && perA > 0) console.log(`  per report:           ${moreOrLess(perB / perA)}`);
  const t = withRules.toggled;
  if (t && t.off > 0) {
    console.log(`  same panel, rules off → on (alternating windows; the comparison of like with like):`);
    console.log(`                        ${t.off.toFixed(1)} → ${t.on.toFixed(1)} ms of panel CPU per 1,000 reports, ${moreOrLess(t.on / t.off)} with the rules (aim: at most 10% more)`);
  }
  return withRules;
}

forEachDatabase(RULES ? measureRules : measureIngest).then(
  () => process.exit(process.exitCode ?? 0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
