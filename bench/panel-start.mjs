#!/usr/bin/env node
/**
 * The panel's start: server.ts through tsx (as `npm run dev` and the tests run it) beside the
 * compiled dist/server.cjs, with plain node and as `npm start` runs it (scripts/start.mjs's node
 * flags and malloc setting), alternating, each on a fresh data directory with the local agent
 * off. Printed, never asserted.
 *
 *   node bench/panel-start.mjs [--rounds 3]
 *
 * For each: milliseconds from spawn to "listening on" (database migration included), RSS of the
 * panel's process tree then, and RSS after the login page and one API answer were served and
 * 5 s passed. `npm run build` first.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { ROOT, rssMiBOf } from "./lib.mjs";
import { PANEL_ENV, PANEL_NODE_FLAGS } from "../scripts/start.mjs";

const { values } = parseArgs({ options: { rounds: { type: "string", default: "3" } } });
const ways = [
  { label: "tsx server.ts", args: ["--import", "tsx", path.join(ROOT, "server.ts")] },
  { label: "node dist/server.cjs", args: [path.join(ROOT, "dist/server.cjs")] },
  // As `npm start` runs it: scripts/start.mjs's node flags and malloc setting.
  { label: "… as npm start runs it", args: [...PANEL_NODE_FLAGS, path.join(ROOT, "dist/server.cjs")], env: PANEL_ENV },
  { label: "… --enable-source-maps", args: ["--enable-source-maps", path.join(ROOT, "dist/server.cjs")] },
];
if (!fs.existsSync(path.join(ROOT, "dist/server.cjs"))) throw new Error("run `npm run build` first");

function treeRss(pid) {
  let sum = rssMiBOf(pid) || 0;
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid) sum += treeRss(Number(d));
    } catch {
      /* gone */
    }
  }
  return sum;
}

async function once(way) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "fleetdeck-start-bench-"));
  const t0 = performance.now();
  const proc = spawn(process.execPath, way.args, {
    cwd: ROOT,
    env: { ...way.env, ...process.env, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1", PORT: "0", HOST: "127.0.0.1", DATA_DIR: dataDir, FLEETDECK_LOCAL_AGENT: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  proc.stdout.on("data", (d) => (out += d));
  proc.stderr.on("data", (d) => (out += d));
  const url = await new Promise((resolve, reject) => {
    proc.once("exit", (code) => reject(new Error(`${way.label} exited with ${code}:\n${out}`)));
    const check = () => (/listening on \S+\n/.test(out) ? resolve(/listening on (\S+)\n/.exec(out)[1]) : setTimeout(check, 5));
    check();
  });
  const ms = performance.now() - t0;
  const rssListening = treeRss(proc.pid);
  await fetch(`${url}/login`).then((r) => r.text());
  await fetch(`${url}/api/v1/server/list`).then((r) => r.text());
  await new Promise((r) => setTimeout(r, 5000));
  const rssServed = treeRss(proc.pid);
  const exited = new Promise((r) => proc.once("exit", r));
  proc.kill("SIGTERM");
  await exited;
  fs.rmSync(dataDir, { recursive: true, force: true });
  return { ms, rssListening, rssServed };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = new Map(ways.map((w) => [w.label, []]));
for (let i = 0; i < Number(values.rounds); i++) for (const way of ways) results.get(way.label).push(await once(way));
console.log(`${"".padEnd(24)} ${"to listening".padStart(13)} ${"RSS then".padStart(10)} ${"RSS after serving".padStart(18)}   (median of ${values.rounds})`);
for (const [label, rs] of results) {
  console.log(
    `${label.padEnd(24)} ${(Math.round(median(rs.map((r) => r.ms))) + " ms").padStart(13)} ${(median(rs.map((r) => r.rssListening)).toFixed(0) + " MiB").padStart(10)} ${(median(rs.map((r) => r.rssServed)).toFixed(0) + " MiB").padStart(18)}`,
  );
}
