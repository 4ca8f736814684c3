/**
 * Service monitor probes the agent runs for the panel (Nezha's monitors): HTTP(S) GET, TCP
 * connect and ICMP ping. Read-only collection: nothing here changes the machine, so no
 * capability gates it. ICMP goes through the system's `ping` binary, since raw ICMP sockets need
 * root and the agent runs as an ordinary user.
 */
import { execFile } from "node:child_process";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import type { TLSSocket } from "node:tls";
import type { MonitorResult as ProbeOutcome, MonitorTask } from "./protocol";

export type { MonitorTask, ProbeOutcome };

export const PROBE_TIMEOUT_MS = 10_000;
const DAY_MS = 86_400_000;

const since = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const round = (ms: number) => Math.round(ms * 1000) / 1000;

/** HTTP(S) GET: up on a 2xx/3xx answer; latency to the response headers; certificate days left. */
export function probeHttp(url: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<Omit<ProbeOutcome, "monitorId" | "at">> {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    let settled = false;
    const done = (r: Omit<ProbeOutcome, "monitorId" | "at">) => {
      if (settled) return;
      settled = true;
      resolve(r);
    };
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return done({ ok: false, delayMs: 0, error: "invalid URL" });
    }
    const lib = parsed.protocol === "https:" ? https : http;
    const req = lib.get(parsed, { headers: { "user-agent": "Fleetdeck-Monitor" }, timeout: timeoutMs, agent: false }, (res) => {
      const delayMs = round(since(t0));
      let certDaysLeft: number | null = null;
      const socket = res.socket as TLSSocket;
      if (typeof socket.getPeerCertificate === "function") {
        const cert = socket.getPeerCertificate();
        if (cert?.valid_to) certDaysLeft = Math.round(((Date.parse(cert.valid_to) - Date.now()) / DAY_MS) * 100) / 100;
      }
      // The body is not needed: drop it and the connection.
      res.resume();
      res.destroy();
      const status = res.statusCode ?? 0;
      const ok = status >= 200 && status < 400;
      done({ ok, delayMs: ok ? delayMs : 0, certDaysLeft, ...(ok ? {} : { error: `HTTP ${status}` }) });
    });
    req.on("timeout", () => {
      req.destroy();
      done({ ok: false, delayMs: 0, error: "timeout" });
    });
    req.on("error", (e: NodeJS.ErrnoException) => done({ ok: false, delayMs: 0, error: e.code ?? e.message }));
  });
}

/** TCP connect to `host:port` (`[v6]:port`): latency to the established connection. */
export function probeTcp(target: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<Omit<ProbeOutcome, "monitorId" | "at">> {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(target) ?? /^([^:]+):(\d+)$/.exec(target);
  if (!m) return Promise.resolve({ ok: false, delayMs: 0, error: "target must be host:port" });
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const socket = net.connect({ host: m[1], port: Number(m[2]) });
    const finish = (r: Omit<ProbeOutcome, "monitorId" | "at">) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ ok: false, delayMs: 0, error: "timeout" }), timeoutMs);
    socket.once("connect", () => finish({ ok: true, delayMs: round(since(t0)) }));
    socket.once("error", (e: NodeJS.ErrnoException) => finish({ ok: false, delayMs: 0, error: e.code ?? e.message }));
  });
}

/** The ping command for this platform: one echo request, a deadline, numeric output. */
function pingArgs(host: string, timeoutMs: number): [string, string[]] {
  const secs = String(Math.max(1, Math.ceil(timeoutMs / 1000)));
  if (process.platform === "win32") return ["ping", ["-n", "1", "-w", String(timeoutMs), host]];
  if (process.platform === "darwin") return ["ping", ["-n", "-c", "1", "-t", secs, host]];
  return ["ping", ["-n", "-c", "1", "-W", secs, host]];
}

/** Reads the round-trip time out of ping's output ("time=0.045 ms", "time<1ms", "時間=3ms"). */
export function parsePingTime(output: string): number | null {
  const m = /(?:time|时间|時間|Zeit|temps|tiempo)\s*[=<]\s*([\d.,]+)\s*ms/i.exec(output);
  return m ? Number(m[1].replace(",", ".")) : null;
}

/** ICMP echo through the system's ping (raw sockets need root). */
export function probeIcmp(host: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<Omit<ProbeOutcome, "monitorId" | "at">> {
  // Never let a target read as an option of ping.
  if (!host || host.startsWith("-") || /\s/.test(host)) return Promise.resolve({ ok: false, delayMs: 0, error: "invalid host" });
  const [cmd, args] = pingArgs(host, timeoutMs);
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs + 2_000, windowsHide: true, env: { ...process.env, LC_ALL: "C" } }, (err, stdout) => {
      const time = parsePingTime(String(stdout));
      if (time !== null && (!err || (err as { code?: unknown }).code === 0)) return resolve({ ok: true, delayMs: time });
      const code = (err as NodeJS.ErrnoException | null)?.code;
      resolve({ ok: false, delayMs: 0, error: code === "ENOENT" ? "ping is not installed" : time === null ? "no reply" : "ping failed" });
    });
  });
}

export async function runProbe(task: MonitorTask, timeoutMs = PROBE_TIMEOUT_MS): Promise<ProbeOutcome> {
  const at = Date.now();
  const r = task.type === 1 ? await probeHttp(task.target, timeoutMs) : task.type === 3 ? await probeTcp(task.target, timeoutMs) : await probeIcmp(task.target, timeoutMs);
  return { monitorId: task.id, at, ...r };
}

/**
 * Runs the monitors the panel assigned, each on its own interval (a random first delay spreads
 * them), and hands results over in batches: every `flushMs`, or sooner when `maxBatch` piled up.
 * A new assignment replaces the old one at once (the panel re-sends it on connect and on change).
 */
export class MonitorRunner {
  private timers = new Map<number, NodeJS.Timeout>();
  private tasks = new Map<number, MonitorTask>();
  private batch: ProbeOutcome[] = [];
  private flushTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly send: (results: ProbeOutcome[]) => void,
    private readonly opts: { flushMs?: number; maxBatch?: number } = {},
  ) {}

  assign(tasks: MonitorTask[]): void {
    const next = new Map(tasks.map((t) => [t.id, t]));
    for (const [id, old] of this.tasks) {
      const t = next.get(id);
      if (!t || t.type !== old.type || t.target !== old.target || t.intervalSec !== old.intervalSec) this.cancel(id);
    }
    for (const t of tasks) {
      if (this.timers.has(t.id)) continue;
      this.tasks.set(t.id, t);
      const first = setTimeout(() => {
        void this.run(t);
        this.timers.set(t.id, setInterval(() => void this.run(t), t.intervalSec * 1000).unref());
      }, Math.random() * Math.min(t.intervalSec * 1000, 5_000)).unref();
      this.timers.set(t.id, first);
    }
  }

  private cancel(id: number): void {
    const timer = this.timers.get(id);
    if (timer) {
      clearTimeout(timer);
      clearInterval(timer);
    }
    this.timers.delete(id);
    this.tasks.delete(id);
  }

  private async run(t: MonitorTask): Promise<void> {
    const timeout = Math.min(PROBE_TIMEOUT_MS, t.intervalSec * 1000);
    const r = await runProbe(t, timeout);
    if (this.tasks.get(t.id) !== t) return; // reassigned meanwhile
    this.batch.push(r);
    if (this.batch.length >= (this.opts.maxBatch ?? 100)) this.flush();
    else this.flushTimer ??= setTimeout(() => this.flush(), this.opts.flushMs ?? 5_000).unref();
  }

  flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    const out = this.batch.splice(0);
    if (out.length) this.send(out);
  }

  stop(): void {
    for (const id of [...this.timers.keys()]) this.cancel(id);
    this.flush();
  }
}
