#!/usr/bin/env node
/**
 * What the alert evaluator adds to each report, measured alone (no sockets, no database, no other
 * process in the way): the panel's real evaluator (lib/fleet/alerts/engine.ts) checks 10,000
 * machines' reports against 0 and against K rules covering every machine, the rules of the
 * ingest benchmark (bench/ingest.mjs --rules), none of them firing. Printed: microseconds of CPU
 * per report for each, and the difference beside the panel's whole cost of a report measured by
 * bench/ingest.mjs (its "panel CPU per 1,000 reports").
 *
 *   node bench/alert-eval.mjs [--servers 10000] [--rules 5] [--reports 1000000]
 */
import { parseArgs } from "node:util";
import { register } from "tsx/esm/api";

register();
const { values: flags } = parseArgs({
  options: { servers: { type: "string", default: "10000" }, rules: { type: "string", default: "5" }, reports: { type: "string", default: "1000000" } },
});
const SERVERS = Number(flags.servers);
const K = Number(flags.rules);
const REPORTS = Number(flags.reports);

const { AlertEngine } = await import("../lib/fleet/alerts/engine.ts");

const RULES = [
  { kind: "metric", params: { metric: "load", above: 50, forSec: 0 } },
  { kind: "metric", params: { metric: "cpu", above: 99.5, forSec: 60 } },
  { kind: "metric", params: { metric: "memory", above: 90, forSec: 60 } },
  { kind: "metric", params: { metric: "disk", above: 90, forSec: 60 } },
  { kind: "offline", params: { seconds: 120 } },
  { kind: "metric", params: { metric: "net_in_speed", above: 1e9, forSec: 60 } },
  { kind: "metric", params: { metric: "swap", above: 90, forSec: 60 } },
];
const rules = (k) =>
  Array.from({ length: k }, (_, i) => ({ id: i + 1, name: `r${i}`, scope: { type: "all" }, channelIds: [], repeatSec: 0, muted: false, enabled: true, ...RULES[i % RULES.length] }));

const entries = Array.from({ length: SERVERS }, (_, i) => ({
  meta: { id: i + 1, name: `s${i}`, tag: "", note: "", hideForGuest: false, displayIndex: 0, agentId: `a${i}`, isLocal: false, client: "Default", site: "Default", monitoringType: "server", description: "", remarks: "", createdAt: new Date(0) },
  host: { diskTotal: 100 * 2 ** 30, swapTotal: 2 ** 30 }, state: null, lastActive: Date.now(), intervalMs: 3000, lastIp: "", connected: true, instances: [], agent: null, version: 0,
}));
const state = (seq, i) => ({
  cpu: (seq * 7 + i) % 100, memUsed: 2 * 2 ** 30, memTotal: 8 * 2 ** 30, swapUsed: 0, diskUsed: 40 * 2 ** 30, netInTransfer: seq * 1000, netOutTransfer: seq * 500,
  netInSpeed: 1000, netOutSpeed: 500, uptime: seq, load1: 0.5, load5: 0.4, load15: 0.3, tcpConnCount: 10, udpConnCount: 2, processCount: 100, temperatures: [], process: { cpuMicros: 0, memory: 0 },
});
// The states exist before the timing: the panel has parsed them already when the evaluator runs.
const states = Array.from({ length: 64 }, (_, s) => state(s, s));

function measure(k) {
  const engine = new AlertEngine(async () => undefined);
  engine.useRules(rules(k));
  const run = (n) => {
    const now = Date.now();
    for (let r = 0; r < n; r++) engine.onState(entries[r % SERVERS], states[r & 63], now + r);
  };
  run(200_000); // warm up (and fill the per-server rule caches)
  const t0 = process.cpuUsage();
  run(REPORTS);
  const used = process.cpuUsage(t0);
  return ((used.user + used.system) / REPORTS);
}

/** The timer's pass (offline rules, repeats) over every machine, every 2 s in the panel. */
function measureTick(k) {
  const engine = new AlertEngine(async () => undefined);
  engine.useRules(rules(k));
  const now = Date.now();
  for (let i = 0; i < 20; i++) engine.tick(now, entries);
  const t0 = process.cpuUsage();
  for (let i = 0; i < 200; i++) engine.tick(now + i, entries);
  const used = process.cpuUsage(t0);
  return (used.user + used.system) / 200 / 1000;
}

const base = measure(0);
const withRules = measure(K);
console.log(`alert evaluator, ${SERVERS} servers, ${REPORTS} reports, CPU per report:`);
console.log(`  no rules:   ${base.toFixed(3)} µs`);
console.log(`  ${K} rules:    ${withRules.toFixed(3)} µs  (+${(withRules - base).toFixed(3)} µs per report)`);
const tick = measureTick(K);
console.log(`  the 2 s timer pass (offline rules, repeats) over ${SERVERS} servers: ${tick.toFixed(2)} ms, ${((tick / 2000) * 100).toFixed(2)}% of one core`);
console.log(`  at 3,333 reports/s (10,000 agents every 3 s): ${(((withRules - base) * 3333) / 1e4).toFixed(2)}% of one core`);
