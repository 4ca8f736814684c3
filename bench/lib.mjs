// Shared by the benchmarks: start a real panel on a fresh data directory, run autocannon.
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export async function freePort() {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export const BENCH_ADMIN = { username: "admin", password: "bench-admin-password" };

/**
 * A panel over the production build (run `npm run build` or `npm test` first) on a fresh data
 * directory, or `opts.dataDir` (kept). BENCH_NODE_ARGS adds node flags to the panel's process,
 * e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile it.
 */
export async function startPanel(env = {}, opts = {}) {
  const port = opts.port || (await freePort());
  const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "fleetdeck-bench-"));
  const startedAt = Date.now();
  const proc = spawn(process.execPath, [...(process.env.BENCH_NODE_ARGS?.split(" ").filter(Boolean) ?? []), "--import", "tsx", path.join(ROOT, "server.ts")], {
    cwd: ROOT,
    env: {
      ...process.env, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1", PORT: String(port), HOST: "127.0.0.1", DATA_DIR: dataDir,
      ADMIN_USERNAME: BENCH_ADMIN.username, ADMIN_PASSWORD: BENCH_ADMIN.password, FLEETDECK_LOCAL_AGENT: "0", ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  proc.stdout.on("data", (d) => (out += d));
  proc.stderr.on("data", (d) => (out += d));
  await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`the panel did not start:\n${out}`)), 90_000);
    proc.once("exit", (code) => reject(new Error(`the panel exited with ${code}:\n${out}`)));
    const check = () => (out.includes("listening on") ? (clearTimeout(t), resolve()) : setTimeout(check, 50));
    check();
  });
  return {
    url: `http://127.0.0.1:${port}`,
    pid: proc.pid,
    proc,
    dataDir,
    startedAt,
    logs: () => out,
    /** SIGTERM (the panel flushes what it holds), SIGKILL after 8 s; removes a data directory it made. */
    async stop() {
      const exited = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 8000))]);
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
      if (!opts.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Signs in as the bench admin and returns the session cookie. */
export async function adminCookie(url) {
  const csrf = await fetch(`${url}/api/auth/csrf`);
  const { csrfToken } = await csrf.json();
  const res = await fetch(`${url}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: csrf.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ") },
    body: new URLSearchParams({ csrfToken, ...BENCH_ADMIN, json: "true" }),
  });
  const cookie = res.headers.getSetCookie().map((c) => c.split(";")[0]).find((c) => c.startsWith("next-auth.session-token="));
  if (!cookie) throw new Error("bench: cannot sign in to the panel");
  return cookie;
}

/** CPU seconds (user + system) a process has used, from /proc (Linux). */
export function cpuSecondsOf(pid) {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}

export function rssMiBOf(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

export async function cannon(opts) {
  const r = await autocannon({ connections: 50, duration: Number(process.env.BENCH_SECONDS ?? 10), ...opts });
  return { rps: Math.round(r.requests.average), total: r.requests.total, p99: r.latency.p99, errors: r.errors + r.non2xx, bytes: r.throughput.average };
}

export function printRow(label, r) {
  console.log(`${label.padEnd(48)} ${String(r.rps).padStart(8)} req/s   p99 ${String(r.p99).padStart(5)} ms   errors ${r.errors}`);
}
