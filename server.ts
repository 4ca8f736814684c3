/**
 * Fleetdeck's server: node:http hosting Next's request handler, with two additions in front of it
 * (DESIGN.md, "Serving"): the documented API paths are answered here straight from their handlers,
 * skipping Next's router, and agents hold their WebSocket here.
 */
import { spawn } from "node:child_process";
import cluster from "node:cluster";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ConfigError, loadEnv, sharedSessionSecret, useConfig, type Env } from "./lib/env";

// `npm start` runs this file compiled to dist/server.cjs (scripts/build-server.mjs); `npm run dev`
// and the tests run it as it is, through tsx. Either way the project is the folder above dist/.
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.basename(here) === "dist" ? path.dirname(here) : here;
const dev = process.argv.includes("--dev");

async function main() {
  const env = loadEnv();
  // Every module (and Next's bundles, in this same process) reads this one validated object.
  useConfig(env);

  // An upgrade that goes wrong must be undoable: a copy of the database as it was comes first.
  // With PANEL_PROCESSES workers, the primary migrates once, before any worker starts.
  if (cluster.isPrimary) {
    // Loaded from the project at run time, not compiled in: the script finds the migrations and
    // the schema engine's WebAssembly relative to itself.
    const { backupBeforeMigrating } = (await import(pathToFileURL(path.join(root, "scripts/migrate-wasm.mjs")).href)) as {
      backupBeforeMigrating(url: string, opts: { dir: string; keep: number }): string | null;
    };
    const copy = backupBeforeMigrating(env.DATABASE_URL, { dir: path.join(env.DATA_DIR, "backups"), keep: env.FLEETDECK_BACKUPS_KEEP });
    if (copy) console.log(`fleetdeck: copied the database to ${copy} before migrating it`);
    const applied = await migrateInChild(env.DATABASE_URL);
    if (applied.length) console.log(`fleetdeck: database migrated (${applied.join(", ")})`);
  }
  env.NEXTAUTH_SECRET = await sharedSessionSecret(env);
  useConfig(env);
  const { checkSharedSealingKey } = await import("./lib/auth/sealed");
  await checkSharedSealingKey(env);

  if (cluster.isPrimary && env.PANEL_PROCESSES > 1) return superviseWorkers(env);
  const { startPanel } = await import("./lib/panel");
  await startPanel(env, { dev, dir: root });
}

/**
 * Applies the pending migrations in a child process (scripts/migrate-wasm.mjs deploy): the schema
 * engine is WebAssembly, and once compiled and run in this process it would keep 30–40 MiB for
 * the panel's whole life (measured with bench/ingest.mjs); a child gives it all back when it exits.
 * Returns the names applied; a database that cannot be reached fails as DatabaseUnreachable.
 */
async function migrateInChild(url: string): Promise<string[]> {
  const child = spawn(process.execPath, [path.join(root, "scripts/migrate-wasm.mjs"), "deploy", "--json"], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: url },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", resolve);
  });
  let result: { applied?: string[]; unreachable?: string } = {};
  for (const line of out.split("\n").filter(Boolean)) {
    if (line.startsWith("{")) {
      try {
        result = JSON.parse(line);
        continue;
      } catch {
        /* not the answer */
      }
    }
    // Whatever else it says is passed on as it was.
    console.log(line);
  }
  if (err) process.stderr.write(err);
  if (result.unreachable) throw Object.assign(new Error(result.unreachable), { name: "DatabaseUnreachable" });
  if (code !== 0 || !Array.isArray(result.applied)) throw new Error(`the database migration failed (exit code ${code})`);
  return result.applied;
}

/**
 * PANEL_PROCESSES=N: N worker processes sharing the port (node:cluster hands each new connection
 * to one of them). They share the fleet through PostgreSQL (lib/fleet/cluster.ts), so any of them
 * may hold an agent or answer any request. A worker that dies is started again (its agents
 * reconnect to the others meanwhile); SIGTERM/SIGINT stop them all.
 */
async function superviseWorkers(env: Env): Promise<void> {
  // The workers share one setup code (lib/auth/setup-code.ts); a new start makes a new one.
  const { voidSharedSetupCode } = await import("./lib/auth/setup-code");
  await voidSharedSetupCode();
  let stopping = false;
  let restarts = 0;
  // One local agent per host, not per process: one worker runs it, and its replacement after it.
  let localAgentWorker: number | null = null;
  const fork = () => {
    const local = env.FLEETDECK_LOCAL_AGENT && localAgentWorker === null;
    const worker = cluster.fork(local ? {} : { FLEETDECK_LOCAL_AGENT: "0" });
    if (local) localAgentWorker = worker.id;
  };
  for (let i = 0; i < env.PANEL_PROCESSES; i++) fork();
  console.log(`fleetdeck: started ${env.PANEL_PROCESSES} panel processes on port ${env.PORT}`);
  cluster.on("exit", (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    console.error(`fleetdeck: panel process ${worker.process.pid} exited (${signal ?? code}); starting another`);
    if (worker.id === localAgentWorker) localAgentWorker = null;
    // A worker that keeps failing at start (database gone) is retried slower and slower.
    const delay = Math.min(30_000, 500 * 2 ** Math.min(restarts++, 6));
    setTimeout(fork, delay).unref();
    setTimeout(() => (restarts = Math.max(0, restarts - 1)), 60_000).unref();
  });
  const stop = (sig: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill(sig);
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    setTimeout(() => process.exit(0), 15_000).unref();
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

// `kill -USR2 <pid>` prints this process's memory (bench/ingest.mjs reads it; so may an operator).
process.on("SIGUSR2", () => {
  const m = process.memoryUsage();
  const mib = (b: number) => (b / 1048576).toFixed(1);
  console.log(`fleetdeck: memory of process ${process.pid}: rss ${mib(m.rss)} MiB, heap used ${mib(m.heapUsed)} MiB of ${mib(m.heapTotal)} MiB, external ${mib(m.external)} MiB, array buffers ${mib(m.arrayBuffers)} MiB`);
});

main().catch((e) => {
  // A bad configuration or a database that cannot be reached is the operator's to fix: one line.
  if (e instanceof ConfigError || (e instanceof Error && e.name === "DatabaseUnreachable")) {
    console.error(`fleetdeck: ${e.message}`);
    process.exit(e instanceof ConfigError ? 2 : 1);
  }
  console.error("fleetdeck: failed to start:", e);
  process.exit(1);
});

