#!/usr/bin/env node
/**
 * Benchmark of MCSManager's `GET /api/service/remote_services_system` (issue 5): req/s and p99 at
 * 50 connections, first with 1 daemon (the panel's real local agent), then with 100 (99 more
 * simulated agents on real WebSockets, each reporting its state every 2 s, so the cached answer
 * is invalidated as it would be in production). Prints figures; asserts nothing.
 *
 *   NEXT_DIST_DIR=.next-mcsm node bench/mcsm-remote-services.mjs [--duration 10]
 *                                [--database sqlite|postgres] [--compare] [--processes 1,2]
 *
 * --database postgres runs the panel on a throwaway PostgreSQL cluster; --compare measures
 * SQLite, then PostgreSQL, and prints the figures side by side; --processes 1,2 measures
 * PostgreSQL with one panel process, then two (PANEL_PROCESSES, sharing the port).
 *
 * Needs a production build in NEXT_DIST_DIR (default .next). MCSManager answers this route at
 * about 2,900–3,900 req/s with one daemon on the reference machine (DESIGN.md, "Serving").
 */
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import WebSocket from "ws";
import { adminCookie, forEachDatabase, insertRows, processesEnv, startPanel } from "./lib.mjs";

const durationArg = process.argv.indexOf("--duration");
const DURATION = durationArg > 0 ? Number(process.argv[durationArg + 1]) : 10;
const CONNECTIONS = 50;
const EXTRA_DAEMONS = 99;

/** An admin API token written straight into the panel's database (only its hash is stored). */
async function insertToken(databaseUrl) {
  const secret = "fdk_" + crypto.randomBytes(32).toString("base64url");
  const hash = crypto.createHash("sha256").update(secret).digest("hex");
  await insertRows(databaseUrl, "ApiToken", ["hash", "prefix", "note", "kind", "userId"], [[hash, secret.slice(0, 10), "bench", "token", 1]]);
  return secret;
}


/** A simulated agent: the real protocol (agent/protocol.ts), a plausible state every 2 s. */
function fakeAgent(url, secret, n) {
  const ws = new WebSocket(`${url.replace("http", "ws")}/agent/ws`, { headers: { authorization: `Bearer ${secret}` } });
  let seq = 0;
  let timer;
  const state = () => ({
    cpu: 5 + (n % 50), memUsed: 2e9 + n * 1e6, memTotal: 8e9, swapUsed: 0, diskUsed: 1e10, netInTransfer: 1e9, netOutTransfer: 1e9,
    netInSpeed: 1000, netOutSpeed: 1000, uptime: 1000 + seq * 2, load1: 0.5, load5: 0.4, load15: 0.3, tcpConnCount: 10, udpConnCount: 2,
    processCount: 100, temperatures: [], process: { cpuMicros: 1_000_000 + seq * 1000, memory: 50e6 },
  });
  ws.on("message", (data) => {
    const frame = JSON.parse(String(data));
    if (frame.type !== "welcome") return;
    ws.send(JSON.stringify({ type: "hello", protocol: 2, agentVersion: "sim", capabilities: { commands: false, instances: false } }));
    ws.send(JSON.stringify({
      type: "host",
      host: {
        hostname: `sim-${n}`, platform: "linux", platformVersion: "debian 12", release: "6.1.0", cpu: ["Sim CPU"], arch: "x64",
        virtualization: "", bootTime: 1_700_000_000, memTotal: 8e9, diskTotal: 1e11, swapTotal: 0, ipv4: `10.0.${n >> 8}.${n & 255}`,
        ipv6: "", localIps: [], gpu: [], agentVersion: "sim", cwd: "/opt/sim",
      },
    }));
    ws.send(JSON.stringify({ type: "instances", instances: [] }));
    const report = () => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify({ type: "state", seq: ++seq, at: Date.now(), state: state() }));
    report();
    // Spread the reports over the 2 s period, as real agents' clocks are.
    setTimeout(() => {
      timer = setInterval(report, 2000);
    }, Math.random() * 2000);
  });
  ws.on("error", () => undefined);
  return { close: () => (clearInterval(timer), ws.close()) };
}

/**
 * The floor for a given body: bare node:http in its own process answering the same bytes. With
 * 100 daemons the answer is ~70 KB, and moving it (server and autocannon share two cores) is most
 * of the cost: this line shows how much of it is the panel's own.
 */
async function measureBare(label, body) {
  const file = path.join(os.tmpdir(), `fleetdeck-bench-body-${process.pid}.json`);
  fs.writeFileSync(file, body);
  const script = `const b=require("fs").readFileSync(${JSON.stringify(file)});require("http").createServer((q,s)=>{s.writeHead(200,{"content-type":"application/json; charset=utf-8","content-length":b.length});s.end(b)}).listen(0,"127.0.0.1",function(){console.log(this.address().port)})`;
  const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  const port = Number(await new Promise((r) => child.stdout.once("data", r)));
  try {
    const url = `http://127.0.0.1:${port}/`;
    await autocannon({ url, connections: CONNECTIONS, duration: 2 });
    const r = await autocannon({ url, connections: CONNECTIONS, duration: DURATION });
    console.log(`${label.padEnd(12)} bare node:http, same body            req/s avg=${Math.round(r.requests.average)}  p50=${r.latency.p50} ms  p99=${r.latency.p99} ms`);
    return Math.round(r.requests.average);
  } finally {
    child.kill();
    fs.rmSync(file, { force: true });
  }
}

async function measure(label, url, token) {
  const target = `${url}/api/service/remote_services_system?apikey=${token}`;
  const probe = await fetch(target).then((r) => r.json());
  const count = probe.data.length;
  const online = probe.data.filter((d) => d.available).length;
  // A short warm-up so JIT and caches are in place before measuring.
  await autocannon({ url: target, connections: CONNECTIONS, duration: 2, headers: { "content-type": "application/json" } });
  const r = await autocannon({ url: target, connections: CONNECTIONS, duration: DURATION, headers: { "content-type": "application/json" } });
  const bytes = Buffer.byteLength(JSON.stringify(probe));
  console.log(
    `${label.padEnd(12)} daemons=${String(count).padStart(3)} (online ${online})  body≈${(bytes / 1024).toFixed(1)} KB  ` +
      `req/s avg=${Math.round(r.requests.average)}  p50=${r.latency.p50} ms  p99=${r.latency.p99} ms  non-2xx=${r.non2xx}  errors=${r.errors}  timeouts=${r.timeouts}`,
  );
  const bare = await measureBare(label, JSON.stringify(probe));
  return [
    [`${label}: req/s`, String(Math.round(r.requests.average))],
    [`${label}: p99`, `${r.latency.p99} ms`],
    [`${label}: bare node:http req/s`, String(bare)],
  ];
}

/** One run on one database; returns the headline figures for the side-by-side table. */
async function measureRemoteServices({ databaseUrl, processes = 1 }) {
  const panel = await startPanel({ FLEETDECK_LOCAL_AGENT: "1", ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}), ...processesEnv(processes) });
  const agents = [];
  try {
    const token = await insertToken(databaseUrl ?? `file:${path.join(panel.dataDir, "fleetdeck.db")}`);
    // Wait for the local agent to report.
    for (let i = 0; i < 150; i++) {
      const d = await fetch(`${panel.url}/api/service/remote_services_system?apikey=${token}`).then((r) => r.json());
      if (d.data?.some((x) => x.available)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    console.log(`remote_services_system, ${CONNECTIONS} connections, ${DURATION} s per run (MCSManager: ~2,900–3,900 req/s with 1 daemon)`);
    const figures = await measure("1 daemon", panel.url, token);

    const cookie = await adminCookie(panel.url);
    for (let n = 1; n <= EXTRA_DAEMONS; n++) {
      const res = await fetch(`${panel.url}/api/ui/servers`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-requested-with": "XMLHttpRequest", cookie },
        body: JSON.stringify({ name: `sim-${n}` }),
      });
      if (res.status !== 201) throw new Error(`bench: cannot create a server: ${res.status} ${await res.text()}`);
      agents.push(fakeAgent(panel.url, (await res.json()).secret, n));
    }
    await new Promise((r) => setTimeout(r, 3000)); // every simulated agent has reported at least once
    figures.push(...(await measure("100 daemons", panel.url, token)));
    return figures;
  } finally {
    for (const a of agents) a.close();
    await panel.stop();
  }
}

await forEachDatabase(measureRemoteServices);
