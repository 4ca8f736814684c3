// The fleet simulator shared by the benchmarks (bench/ingest.mjs, bench/ui-fleet.mjs): N servers
// written straight into a fresh database (SQLite, or PostgreSQL when given its URL), and agents that speak the real protocol
// (agent/protocol.ts) over real WebSockets, each reporting every `intervalMs`.
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import WebSocket from "ws";
import { insertRows, ROOT } from "./lib.mjs";

const LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const agentIdOf = () => Array.from(crypto.randomBytes(40), (b) => LETTERS[b % LETTERS.length]).join("");
/** Reports carry uptime = UPTIME_BASE + seq: real agents' uptime grows too, and every view shows it. */
export const UPTIME_BASE = 86_400;
const sha256 = (s) => crypto.createHash("sha256").update(s).digest("hex");

// ------------------------------------------------------------------------------------------
// 1. Data directory with N servers

/**
 * A migrated database with N servers (their secrets kept for the simulated agents): a fresh
 * SQLite file in a temporary data directory, or the given database URL (PostgreSQL).
 */
export async function prepareData(N, databaseUrl) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "fleetdeck-bench-"));
  const url = databaseUrl ?? `file:${path.join(dataDir, "fleetdeck.db")}`;
  // In its own process: the schema engine keeps its connection (and a lock) until it exits.
  const migrate = spawnSync(process.execPath, [path.join(ROOT, "scripts/migrate-wasm.mjs"), "deploy"], { env: { ...process.env, DATABASE_URL: url }, encoding: "utf8" });
  if (migrate.status !== 0) throw new Error(`migration failed: ${migrate.stderr || migrate.stdout}`);
  const now = new Date();
  const secrets = Array.from({ length: N }, () => "fda_" + crypto.randomBytes(32).toString("base64url"));
  const rows = secrets.map((secret, i) => [`bench-${i}`, `bench-${i % 10}`, sha256(secret), agentIdOf(), 0, now]);
  const ids = await insertRows(url, "Server", ["name", "tag", "secretHash", "agentId", "displayIndex", "createdAt"], rows);
  return { dataDir, url, servers: ids.map((id, i) => ({ id, secret: secrets[i] })) };
}

// ------------------------------------------------------------------------------------------
// 3. Simulated agents

function hostFrame(i) {
  return JSON.stringify({
    type: "host",
    host: {
      hostname: `bench-${i}`, platform: "linux", platformVersion: "debian 12", release: "6.1.0", cpu: ["Bench CPU 4 Virtual Core"],
      arch: "x64", virtualization: "kvm", bootTime: Math.floor(Date.now() / 1000) - 86_400, memTotal: 8 * 2 ** 30,
      diskTotal: 100 * 2 ** 30, swapTotal: 2 ** 30, ipv4: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, ipv6: "",
      localIps: [], gpu: [], agentVersion: "bench", cwd: "/",
    },
  });
}

export class SimAgent {
  constructor(index, server, intervalMs) {
    this.intervalMs = intervalMs;
    this.index = index;
    this.id = server.id;
    this.secret = server.secret;
    this.seq = 0;
    this.sent = 0;
    this.sendErrors = 0;
    this.closes = 0;
    this.ws = null;
    this.timer = null;
    /** Set on sampled agents: called with (seq, sentAt) after each state frame. */
    this.onSent = null;
    this.inTransfer = 0;
    /** Fields laid over the next reports' state (the alert bench's threshold crossings). */
    this.override = null;
  }

  connect(wsUrl) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(wsUrl, { headers: { Authorization: `Bearer ${this.secret}` }, perMessageDeflate: false, handshakeTimeout: 60_000 });
      ws.once("open", () => {
        this.ws = ws;
        // Protocol 2: the first frame says what the agent may run (nothing, for a simulation).
        ws.send(JSON.stringify({ type: "hello", protocol: 2, agentVersion: "bench", capabilities: { commands: false, instances: false } }));
        ws.send(hostFrame(this.index));
        resolve();
      });
      ws.once("unexpected-response", (_req, res) => {
        res.resume();
        reject(new Error(`agent ${this.id}: HTTP ${res.statusCode} on upgrade`));
      });
      ws.once("error", (err) => reject(err));
      ws.on("close", () => {
        if (this.ws === ws) this.closes++;
      });
      ws.on("message", () => undefined); // welcome; requests are not answered (a bench agent has no commands)
    });
  }

  start() {
    // A random phase spreads the reports evenly over the interval, as real agents are.
    const first = setTimeout(() => {
      this.sendState();
      this.timer = setInterval(() => this.sendState(), this.intervalMs);
    }, Math.random() * this.intervalMs);
    this.timer = first;
  }

  stop() {
    clearTimeout(this.timer);
    clearInterval(this.timer);
  }

  sendState() {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    const seq = ++this.seq;
    const at = Date.now();
    this.inTransfer += 1000 + (seq % 7) * 100;
    const frame = {
      type: "state",
      seq,
      at,
      state: {
        cpu: (seq * 7 + this.index) % 100, memUsed: 2 * 2 ** 30 + (seq % 100) * 2 ** 20, memTotal: 8 * 2 ** 30, swapUsed: 0,
        diskUsed: 40 * 2 ** 30, netInTransfer: this.inTransfer, netOutTransfer: this.inTransfer / 2, netInSpeed: 1000, netOutSpeed: 500,
        uptime: UPTIME_BASE + seq, // the marker: which report the panel holds
        load1: 0.5, load5: 0.4, load15: 0.3, tcpConnCount: 10, udpConnCount: 2,
        processCount: 100,
        temperatures: [], process: { cpuMicros: seq * 1000, memory: 50 * 2 ** 20 },
        ...this.override,
      },
    };
    this.sent++;
    ws.send(JSON.stringify(frame), (err) => {
      if (err) this.sendErrors++;
    });
    this.onSent?.(seq, at);
  }
}

export async function connectAll(agents, wsUrl, concurrency) {
  let next = 0;
  let failed = 0;
  const errors = new Map();
  const worker = async () => {
    while (next < agents.length) {
      const a = agents[next++];
      try {
        await a.connect(wsUrl);
      } catch (e) {
        failed++;
        const key = String(e.message).replace(/agent \d+: /, "");
        errors.set(key, (errors.get(key) ?? 0) + 1);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, agents.length) }, worker));
  return { failed, errors };
}
