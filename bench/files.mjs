#!/usr/bin/env node
/**
 * Instance file transfers: upload and download of one large file (default 1 GiB) through the
 * panel to its local agent (MCSManager's routes: POST /api/files/upload|download for a password,
 * then POST /upload/<password> and GET /download/<password>/<name>), beside a plain `cp` of the
 * same file on the same disk. While each transfer runs, the RSS of the panel and of the agent is
 * sampled every 100 ms: the peak beside the RSS before it starts shows whether memory grows with
 * the file (it must not: both ends stream within a bounded window). Printed, never asserted.
 *
 *   node bench/files.mjs [--mib 1024] [--dir /tmp]
 *
 * `npm run build` first (the panel's production build and the agent bundle).
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { parseArgs } from "node:util";
import { adminCookie, rssMiBOf, startPanel } from "./lib.mjs";

const { values } = parseArgs({ options: { mib: { type: "string", default: "1024" }, dir: { type: "string", default: "" } } });
const MIB = Number(values.mib);
const BYTES = MIB * 1024 * 1024;
const work = fs.mkdtempSync(path.join(values.dir || (await import("node:os")).tmpdir(), "fleetdeck-bench-files-"));
const inst = path.join(work, "instance");
fs.mkdirSync(inst);
const src = path.join(work, "big.bin");

// The file: a 1 MiB block of random bytes repeated (nothing on the way compresses it).
{
  const block = (await import("node:crypto")).randomBytes(1024 * 1024);
  const fd = fs.openSync(src, "w");
  for (let i = 0; i < MIB; i++) fs.writeSync(fd, block);
  fs.closeSync(fd);
}

function seconds(fn) {
  const t = process.hrtime.bigint();
  return Promise.resolve(fn()).then(() => Number(process.hrtime.bigint() - t) / 1e9);
}

const cpSeconds = await seconds(() => execFileSync("cp", [src, path.join(work, "cp.bin")]));
fs.rmSync(path.join(work, "cp.bin"));

const panel = await startPanel({ FLEETDECK_LOCAL_AGENT: "1", FLEETDECK_LOCAL_AGENT_INSTANCES: "1", FLEETDECK_FILE_UPLOAD_MAX: String(BYTES * 2) });
try {
  const cookie = await adminCookie(panel.url);
  const headers = { cookie, "x-requested-with": "XMLHttpRequest", "content-type": "application/json" };
  const api = async (method, p, body) => {
    const r = await fetch(panel.url + p, { method, headers, body: body ? JSON.stringify(body) : undefined });
    const j = await r.json();
    if (!r.ok) throw new Error(`${method} ${p}: ${r.status} ${JSON.stringify(j)}`);
    return j;
  };
  let daemon;
  for (let i = 0; i < 100 && !daemon; i++) {
    daemon = (await api("GET", "/api/ui/daemons")).find((d) => d.online)?.uuid;
    if (!daemon) await new Promise((r) => setTimeout(r, 200));
  }
  const uuid = (await api("POST", `/api/instance?daemonId=${daemon}`, { nickname: "bench", startCommand: "cat", cwd: inst })).data.instanceUuid;
  const agentPid = Number(
    execFileSync("pgrep", ["-P", String(panel.pid), "-f", "fleetdeck-agent"], { encoding: "utf8" }).trim().split("\n")[0],
  );
  const ref = `daemonId=${daemon}&uuid=${uuid}`;

  /** Runs a transfer while sampling both processes' RSS. */
  async function measured(fn) {
    const before = { panel: rssMiBOf(panel.pid), agent: rssMiBOf(agentPid) };
    const peak = { ...before };
    const timer = setInterval(() => {
      peak.panel = Math.max(peak.panel, rssMiBOf(panel.pid));
      peak.agent = Math.max(peak.agent, rssMiBOf(agentPid));
    }, 100);
    try {
      const s = await seconds(fn);
      return { s, before, peak };
    } finally {
      clearInterval(timer);
    }
  }

  const up = await measured(async () => {
    const { password } = (await api("POST", `/api/files/upload?${ref}&upload_dir=/`)).data;
    const boundary = "fleetdeckbench";
    const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n\r\n`);
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const u = new URL(panel.url);
    await new Promise((resolve, reject) => {
      const req = http.request(
        { host: u.hostname, port: u.port, method: "POST", path: `/upload/${password}`, headers: { "content-type": `multipart/form-data; boundary=${boundary}`, "content-length": head.length + BYTES + tail.length } },
        (res) => {
          let body = "";
          res.on("data", (d) => (body += d));
          res.on("end", () => (res.statusCode === 200 ? resolve() : reject(new Error(`upload: ${res.statusCode} ${body}`))));
        },
      );
      req.on("error", reject);
      req.write(head);
      const rs = fs.createReadStream(src);
      rs.pipe(req, { end: false });
      rs.on("end", () => req.end(tail));
    });
  });
  if (fs.statSync(path.join(inst, "big.bin")).size !== BYTES) throw new Error("the uploaded file has the wrong size");

  const down = await measured(async () => {
    const { password } = (await api("POST", `/api/files/download?${ref}&file_name=/big.bin`)).data;
    const res = await fetch(`${panel.url}/download/${password}/big.bin`);
    if (!res.ok) throw new Error(`download: ${res.status}`);
    await pipeline(res.body, fs.createWriteStream(path.join(work, "down.bin")));
  });
  if (fs.statSync(path.join(work, "down.bin")).size !== BYTES) throw new Error("the downloaded file has the wrong size");

  const rate = (s) => (MIB / s).toFixed(0).padStart(6);
  console.log(`file: ${MIB} MiB, ${work}`);
  console.log(`                         MiB/s   panel RSS MiB (before → peak)   agent RSS MiB (before → peak)`);
  console.log(`cp (same disk)          ${rate(cpSeconds)}`);
  for (const [label, r] of [["upload through panel", up], ["download through panel", down]]) {
    console.log(`${label.padEnd(23)} ${rate(r.s)}   ${r.before.panel.toFixed(0).padStart(6)} → ${r.peak.panel.toFixed(0).padEnd(22)} ${r.before.agent.toFixed(0).padStart(6)} → ${r.peak.agent.toFixed(0)}`);
  }
} finally {
  await panel.stop();
  fs.rmSync(work, { recursive: true, force: true });
}
