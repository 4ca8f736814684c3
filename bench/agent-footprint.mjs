#!/usr/bin/env node
/**
 * Agent footprint: the bundled agent (dist/agent/fleetdeck-agent.cjs, run with plain `node` from a
 * temporary folder outside the repository, as install.sh runs it) beside the old way
 * (`node --import tsx agent/main.ts` from the checkout), both reporting to one real panel at the
 * same interval in the same run. Figures are printed, never asserted.
 *
 *   node bench/agent-footprint.mjs [--seconds 60] [--warmup 15] [--interval 2]
 *                                  [--node-args "<flags>"] [--agent-args "<flags>"]
 *                                  [--baseline-ref <git ref>]
 *
 * --node-args replaces the bundle's Node flags (to try others); --agent-args adds flags to the
 * bundle's command line (e.g. --agent-args=--self-update, whose hourly check reads /agent/latest.json); --baseline-ref runs the tsx
 * baseline from agent/ as it was at that commit (e.g. the one before the bundle) instead of the
 * working tree's.
 *
 * Read from /proc every second over the window, after the warm-up:
 * - RSS of the agent process (median = "steady", and the largest seen); for the tsx way also the
 *   RSS of its whole process tree (tsx keeps esbuild helper processes);
 * - CPU % of one core: the agent's own time, and with the programs it ran and reaped (df, ss, ps…);
 * - bytes per report on the wire: each agent talks to the panel through a counting TCP relay;
 *   bytes sent agent → panel over the window ÷ reports in the window (host frames every 10 min and
 *   ping answers included, WebSocket framing included).
 *
 * `npm run build` first (the panel's production build and the agent bundle).
 */
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { adminCookie, ROOT, rssMiBOf, startPanel } from "./lib.mjs";
import { AGENT_BUNDLE, ensureAgentBundle } from "../scripts/build-agent.mjs";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "60" },
    warmup: { type: "string", default: "15" },
    interval: { type: "string", default: "2" },
    "node-args": { type: "string" },
    "agent-args": { type: "string" },
    "baseline-ref": { type: "string" },
  },
});
const SECONDS = Number(values.seconds);
const WARMUP = Number(values.warmup);
const INTERVAL = values.interval;
const HZ = 100; // USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s

/** utime+stime of the process itself, and including its reaped children (cutime+cstime). */
function cpuTicks(pid) {
  const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  const own = Number(f[11]) + Number(f[12]);
  return { own, withChildren: own + Number(f[13]) + Number(f[14]) };
}

function descendants(pid) {
  const out = [];
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid) out.push(Number(d), ...descendants(Number(d)));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** A TCP relay to the panel that counts the bytes the agent sends. */
async function countingRelay(port) {
  const counter = { up: 0 };
  const server = net.createServer((client) => {
    const upstream = net.connect(port, "127.0.0.1");
    client.on("data", (d) => (counter.up += d.length));
    client.pipe(upstream).pipe(client);
    const end = () => (client.destroy(), upstream.destroy());
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { counter, url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() };
}

async function addServer(url, cookie, name) {
  const res = await fetch(`${url}/api/ui/servers`, {
    method: "POST",
    headers: { cookie, "content-type": "application/json", "x-requested-with": "bench" },
    body: JSON.stringify({ name }),
  });
  if (res.status !== 201) throw new Error(`cannot add a server: ${res.status} ${await res.text()}`);
  return (await res.json()).secret;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const manifest = await ensureAgentBundle({ quiet: true });
const panel = await startPanel();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fleetdeck-footprint-"));
const children = [];
const relays = [];
try {
  const cookie = await adminCookie(panel.url);
  const port = Number(new URL(panel.url).port);
  fs.copyFileSync(AGENT_BUNDLE, path.join(tmp, "fleetdeck-agent.cjs"));
  const nodeArgs = values["node-args"] !== undefined ? values["node-args"].split(" ").filter(Boolean) : manifest.nodeArgs;
  const agentArgs = (values["agent-args"] ?? "").split(" ").filter(Boolean);
  // The baseline's sources sit inside the checkout (.tmp/ is ignored) so that tsx finds node_modules.
  let baselineMain = path.join(ROOT, "agent/main.ts");
  if (values["baseline-ref"]) {
    const dir = path.join(ROOT, ".tmp", `footprint-baseline-${process.pid}`);
    fs.mkdirSync(dir, { recursive: true });
    execFileSync("sh", ["-c", `git -C "${ROOT}" archive "${values["baseline-ref"]}" agent | tar -x -C "${dir}"`]);
    baselineMain = path.join(dir, "agent/main.ts");
    process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  }

  const ways = [
    { label: `bundle (node ${nodeArgs.join(" ")})${agentArgs.length ? ` ${agentArgs.join(" ")}` : ""}`, cmd: [...nodeArgs, path.join(tmp, "fleetdeck-agent.cjs"), ...agentArgs], cwd: tmp },
    { label: `tsx agent/main.ts${values["baseline-ref"] ? ` @ ${values["baseline-ref"]}` : ""}`, cmd: ["--import", "tsx", baselineMain], cwd: ROOT },
  ];
  for (const [i, way] of ways.entries()) {
    const secret = await addServer(panel.url, cookie, `footprint-${i}`);
    const relay = await countingRelay(port);
    relays.push(relay);
    const child = spawn(process.execPath, [...way.cmd, "--panel", relay.url, "--interval", INTERVAL], {
      cwd: way.cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, FLEETDECK_SECRET: secret },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    children.push(child);
    Object.assign(way, { child, relay, stderr: () => err });
  }
  console.log(`agent ${manifest.version}, bundle ${Math.round(manifest.size / 1024)} KiB; interval ${INTERVAL} s; warm-up ${WARMUP} s, window ${SECONDS} s`);
  await new Promise((r) => setTimeout(r, WARMUP * 1000));
  for (const way of ways) {
    if (!way.stderr().includes("connected to panel")) throw new Error(`${way.label} did not connect:\n${way.stderr()}`);
    way.samples = [];
    way.tree = [];
    way.cpu0 = cpuTicks(way.child.pid);
    way.bytes0 = way.relay.counter.up;
  }
  const t0 = Date.now();
  for (let s = 0; s < SECONDS; s++) {
    await new Promise((r) => setTimeout(r, 1000));
    for (const way of ways) {
      way.samples.push(rssMiBOf(way.child.pid));
      way.tree.push([way.child.pid, ...descendants(way.child.pid)].reduce((sum, p) => sum + (rssMiBOf(p) || 0), 0));
    }
  }
  const elapsed = (Date.now() - t0) / 1000;
  const reports = elapsed / Number(INTERVAL);
  console.log("");
  console.log(`${"".padEnd(60)} ${"RSS steady".padStart(11)} ${"RSS max".padStart(8)} ${"tree RSS".padStart(9)} ${"CPU own".padStart(8)} ${"+children".padStart(10)} ${"B/report".padStart(9)}`);
  for (const way of ways) {
    const cpu1 = cpuTicks(way.child.pid);
    const own = ((cpu1.own - way.cpu0.own) / HZ / elapsed) * 100;
    const all = ((cpu1.withChildren - way.cpu0.withChildren) / HZ / elapsed) * 100;
    const perReport = (way.relay.counter.up - way.bytes0) / reports;
    console.log(
      `${way.label.padEnd(60)} ${(median(way.samples).toFixed(1) + " MiB").padStart(11)} ${Math.max(...way.samples).toFixed(1).padStart(8)} ${(median(way.tree).toFixed(1) + " MiB").padStart(9)} ${(own.toFixed(2) + " %").padStart(8)} ${(all.toFixed(2) + " %").padStart(10)} ${Math.round(perReport).toString().padStart(9)}`,
    );
  }
} finally {
  for (const c of children) c.kill("SIGTERM");
  for (const r of relays) r.close();
  await panel.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
}
