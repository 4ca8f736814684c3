// Shared by the benchmarks: start a real panel on a fresh data directory, run autocannon.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export const BENCH_ADMIN = { username: "admin", password: "bench-admin-password" };

/**
 * How the panel's process is started: as `npm start` runs it (scripts/start.mjs), the compiled
 * dist/server.cjs with plain node and start.mjs's node flags and environment, recompiled first
 * when lib/ or server.ts is newer. Next's own build must exist (`npm run build` or `npm test`).
 * BENCH_SERVER=tsx runs server.ts through tsx instead (as `npm run dev` and the tests do).
 */
async function panelCommand() {
  if (process.env.BENCH_SERVER === "tsx") return { args: ["--import", "tsx", path.join(ROOT, "server.ts")], env: {} };
  const { PANEL_NODE_FLAGS, PANEL_ENV } = await import("../scripts/start.mjs");
  const { buildServer, SERVER_BUNDLE, serverBundleIsStale } = await import("../scripts/build-server.mjs");
  if (serverBundleIsStale()) await buildServer({ quiet: true });
  // BENCH_PANEL_FLAGS replaces start.mjs's node flags (to compare others; "" for none).
  const flags = process.env.BENCH_PANEL_FLAGS !== undefined ? process.env.BENCH_PANEL_FLAGS.split(" ").filter(Boolean) : PANEL_NODE_FLAGS;
  return { args: [...flags, SERVER_BUNDLE], env: PANEL_ENV };
}

/**
 * A panel over the production build on a fresh data directory, or `opts.dataDir` (kept), at
 * `opts.port` or a port the system gives it (PORT=0, read back from its "listening on" line).
 * BENCH_NODE_ARGS adds node flags to the panel's process, e.g.
 * "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile it; BENCH_PANEL_FLAGS replaces the flags
 * start.mjs gives it. `command` says how it was started.
 */
export async function startPanel(env = {}, opts = {}) {
  const port = opts.port || 0;
  const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "fleetdeck-bench-"));
  const startedAt = Date.now();
  const command = await panelCommand();
  const proc = spawn(process.execPath, [...(process.env.BENCH_NODE_ARGS?.split(" ").filter(Boolean) ?? []), ...command.args], {
    cwd: ROOT,
    env: {
      ...command.env, ...process.env, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1", PORT: String(port), HOST: "127.0.0.1", DATA_DIR: dataDir,
      ADMIN_USERNAME: BENCH_ADMIN.username, ADMIN_PASSWORD: BENCH_ADMIN.password, FLEETDECK_LOCAL_AGENT: "0", ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  proc.stdout.on("data", (d) => (out += d));
  proc.stderr.on("data", (d) => (out += d));
  const url = await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`the panel did not start:\n${out}`)), 90_000);
    proc.once("exit", (code) => reject(new Error(`the panel exited with ${code}:\n${out}`)));
    // PANEL_PROCESSES=N: every worker says it listens.
    const want = Number(env.PANEL_PROCESSES ?? 1);
    const check = () => ((out.match(/listening on \S+\n/g) ?? []).length >= want ? (clearTimeout(t), resolve(/listening on (\S+)\n/.exec(out)[1])) : setTimeout(check, 50));
    check();
  });
  const envShown = Object.entries(command.env).filter(([k]) => process.env[k] === undefined).map(([k, v]) => `${k}=${v} `).join("");
  return {
    url,
    command: `${envShown}node ${[...(process.env.BENCH_NODE_ARGS?.split(" ").filter(Boolean) ?? []), ...command.args].map((a) => path.relative(ROOT, a).startsWith("..") || !a.includes("/") ? a : path.relative(ROOT, a)).join(" ")}`,
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
  const csrf = await fetch(`${url}/api/nextauth/csrf`);
  const { csrfToken } = await csrf.json();
  const res = await fetch(`${url}/api/nextauth/callback/credentials`, {
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
/** The process and its descendants (PANEL_PROCESSES workers are children of the panel's process). */
function treeOf(pid) {
  const parents = new Map();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The field after the command's closing parenthesis: state, then ppid.
      const ppid = Number(fs.readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1].split(" ")[1]);
      parents.set(Number(entry), ppid);
    } catch {
      /* gone */
    }
  }
  const out = [pid];
  for (let i = 0; i < out.length; i++) for (const [child, parent] of parents) if (parent === out[i]) out.push(child);
  return out;
}

/** CPU seconds used by the panel: its process and its workers (PANEL_PROCESSES). */
export function cpuSecondsOf(pid) {
  return treeOf(pid).reduce((sum, p) => sum + ownCpuSecondsOf(p), 0);
}

function ownCpuSecondsOf(pid) {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}

export function rssMiBOf(pid) {
  return treeOf(pid).reduce((sum, p) => sum + ownRssMiBOf(p), 0);
}

function ownRssMiBOf(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/**
 * The memory of the panel's processes as node sees it (heap, external, array buffers): each one
 * prints it on SIGUSR2 (server.ts), read back from its log. Summed over PANEL_PROCESSES workers;
 * `rss` is the processes' own figure (rssMiBOf reads the same from /proc). MiB; null if no
 * process answered within 10 s.
 */
export async function panelMemory(panel) {
  const pids = treeOf(panel.pid);
  const from = panel.logs().length;
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGUSR2");
    } catch {
      /* gone */
    }
  }
  const re = /fleetdeck: memory of process (\d+): rss ([\d.]+) MiB, heap used ([\d.]+) MiB of ([\d.]+) MiB, external ([\d.]+) MiB, array buffers ([\d.]+) MiB/g;
  const until = Date.now() + 10_000;
  let seen = new Map();
  while (Date.now() < until) {
    seen = new Map([...panel.logs().slice(from).matchAll(re)].map((m) => [m[1], m.slice(2).map(Number)]));
    if (seen.size >= pids.length) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!seen.size) return null;
  const sum = (i) => [...seen.values()].reduce((n, v) => n + v[i], 0);
  return { processes: seen.size, rss: sum(0), heapUsed: sum(1), heapTotal: sum(2), external: sum(3), arrayBuffers: sum(4) };
}

/** One line for panelMemory's figures. */
export function memoryLine(m) {
  if (!m) return "no memory figures (the panel did not answer SIGUSR2)";
  const f = (v) => `${v.toFixed(0)} MiB`;
  return `heap used ${f(m.heapUsed)} of ${f(m.heapTotal)}, external ${f(m.external)}, array buffers ${f(m.arrayBuffers)}${m.processes > 1 ? ` (${m.processes} processes)` : ""}`;
}

export async function cannon(opts) {
  const r = await autocannon({ connections: 50, duration: Number(process.env.BENCH_SECONDS ?? 10), ...opts });
  return { rps: Math.round(r.requests.average), total: r.requests.total, p99: r.latency.p99, errors: r.errors + r.non2xx, bytes: r.throughput.average };
}

export function printRow(label, r) {
  console.log(`${label.padEnd(48)} ${String(r.rps).padStart(8)} req/s   p99 ${String(r.p99).padStart(5)} ms   errors ${r.errors}`);
}

// ------------------------------------------------------------------------------------------
// SQLite or PostgreSQL

/**
 * Which databases to measure, from `--database sqlite|postgres` and `--compare` (both, printed
 * side by side). SQLite alone by default.
 */
export function databasesFromArgs(argv = process.argv.slice(2)) {
  const i = argv.indexOf("--database");
  const chosen = i >= 0 ? argv[i + 1] : "sqlite";
  if (!["sqlite", "postgres"].includes(chosen)) {
    console.error("--database must be sqlite or postgres");
    process.exit(2);
  }
  return argv.includes("--compare") ? ["sqlite", "postgres"] : [chosen];
}

/** Options every benchmark accepts, for node:util parseArgs. */
export const DATABASE_OPTIONS = {
  database: { type: "string", default: "sqlite" },
  compare: { type: "boolean", default: false },
  /** Panel processes on PostgreSQL, e.g. `--processes 1,2` (PANEL_PROCESSES; SQLite runs one). */
  processes: { type: "string", default: "1" },
};

/** `--processes 1,2` → [1, 2]. */
export function processesFromArgs(argv = process.argv.slice(2)) {
  const i = argv.indexOf("--processes");
  const list = (i >= 0 ? argv[i + 1] : "1").split(",").map(Number);
  if (!list.every((n) => Number.isInteger(n) && n >= 1 && n <= 16)) {
    console.error("--processes must be a comma list of counts from 1 to 16");
    process.exit(2);
  }
  return list;
}

/** The panel's environment for a run of `processes` processes. */
export const processesEnv = (processes) => (processes > 1 ? { PANEL_PROCESSES: String(processes) } : {});

/**
 * Runs `measure({ database, databaseUrl })` once per database chosen on the command line, each on
 * a fresh database: SQLite in the panel's data directory (databaseUrl undefined), PostgreSQL in a
 * throwaway cluster (scripts/pg-cluster.mjs, with PostgreSQL's durable defaults so the figures
 * mean what they would on a real server). `measure` returns [label, value] rows; with more than
 * one database they are printed again at the end, side by side.
 */
export async function forEachDatabase(measure) {
  const databases = databasesFromArgs();
  const counts = processesFromArgs();
  // Several processes need PostgreSQL: SQLite is measured with one.
  const runs = databases.flatMap((database) => (database === "postgres" ? counts : [1]).map((processes) => ({ database, processes })));
  let cluster = null;
  const results = [];
  try {
    for (const { database, processes } of runs) {
      let databaseUrl;
      if (database === "postgres") {
        const { startCluster } = await import("../scripts/pg-cluster.mjs");
        cluster ??= await startCluster({ durable: true });
        databaseUrl = await cluster.createDatabase(`bench_${Date.now().toString(36)}`);
      }
      const label = processes > 1 ? `${database} ×${processes}` : database;
      if (runs.length > 1) console.log(`\n=== ${label} ===`);
      results.push([label, await measure({ database, databaseUrl, processes })]);
    }
  } finally {
    cluster?.stop();
  }
  if (results.length > 1) printSideBySide(results);
}

function printSideBySide(results) {
  const labels = [...new Set(results.flatMap(([, rows]) => rows.map(([label]) => label)))];
  const width = Math.max(...labels.map((l) => l.length));
  const cols = results.map(([database, rows]) => {
    const byLabel = new Map(rows);
    const cells = labels.map((l) => String(byLabel.get(l) ?? "—"));
    return { database, cells, w: Math.max(database.length, ...cells.map((c) => c.length)) };
  });
  console.log("\nside by side:");
  console.log(`  ${"".padEnd(width)}  ${cols.map((c) => c.database.padStart(c.w)).join("  ")}`);
  labels.forEach((label, i) => console.log(`  ${label.padEnd(width)}  ${cols.map((c) => c.cells[i].padStart(c.w)).join("  ")}`));
}

/**
 * Runs statements on the panel's database from outside the panel (seeding rows the API would be
 * too slow to create): SQLite through better-sqlite3, PostgreSQL through pg. `rows` are inserted
 * in one transaction; returns the ids.
 */
export async function insertRows(databaseUrl, table, columns, rows) {
  const cols = columns.map((c) => `"${c}"`).join(", ");
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) {
    const { default: Database } = await import("better-sqlite3");
    const sqlite = new Database(databaseUrl.replace(/^file:/, ""));
    const insert = sqlite.prepare(`INSERT INTO "${table}" (${cols}) VALUES (${columns.map(() => "?").join(", ")})`);
    // Prisma's SQLite adapter stores DateTime as ISO 8601 with an explicit offset.
    const value = (v) => (v instanceof Date ? v.toISOString().replace("Z", "+00:00") : typeof v === "boolean" ? Number(v) : v);
    const ids = sqlite.transaction(() => rows.map((r) => Number(insert.run(...r.map(value)).lastInsertRowid)))();
    sqlite.close();
    return ids;
  }
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query("BEGIN");
    const ids = [];
    for (let i = 0; i < rows.length; i += 1000) {
      const chunk = rows.slice(i, i + 1000);
      const values = chunk.map((_, r) => `(${columns.map((_c, c) => `$${r * columns.length + c + 1}`).join(", ")})`).join(", ");
      const res = await client.query(`INSERT INTO "${table}" (${cols}) VALUES ${values} RETURNING id`, chunk.flat());
      ids.push(...res.rows.map((row) => row.id));
    }
    await client.query("COMMIT");
    return ids;
  } finally {
    await client.end();
  }
}
