// A throwaway PostgreSQL server for tests, benchmarks and `migrate:create`: Debian's postgresql
// package (installed with apt-get when missing), a fresh cluster in a temporary folder listening
// on 127.0.0.1 at a free port with its unix socket in that folder, removed again by stop() — and
// at process exit, should the caller die first.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";

const SUPERUSER = "postgres";

function findBinDir() {
  const base = "/usr/lib/postgresql";
  if (!fs.existsSync(base)) return null;
  const versions = fs
    .readdirSync(base)
    .filter((v) => fs.existsSync(path.join(base, v, "bin/pg_ctl")))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? path.join(base, versions[0], "bin") : null;
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", ...opts });
  if (r.status !== 0) {
    const out = `${r.stdout ?? ""}${r.stderr ?? ""}`.trim() || String(r.error ?? "");
    throw new Error(`${path.basename(cmd)} ${args[0] ?? ""} failed: ${out}`);
  }
  return r.stdout;
}

/** The directory holding initdb and pg_ctl, installing Debian's postgresql package when missing. */
export function ensurePostgres(log = console.log) {
  let bin = findBinDir();
  if (bin) return bin;
  if (process.getuid?.() !== 0) throw new Error("PostgreSQL is not installed: run `apt-get install -y postgresql` as root");
  log("installing Debian's postgresql (apt-get) for a throwaway test database");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  run("apt-get", ["update", "-qq"], { env });
  run("apt-get", ["install", "-y", "-qq", "postgresql"], { env });
  bin = findBinDir();
  if (!bin) throw new Error("apt-get installed postgresql but no /usr/lib/postgresql/*/bin/pg_ctl was found");
  return bin;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

/**
 * Starts a cluster and returns its superuser URL (`url`), a way to make a fresh database, and
 * stop(). `durable: false` (tests) turns fsync off; benchmarks keep PostgreSQL's defaults so the
 * figures mean what they would on a real server.
 */
export async function startCluster({ durable = false, log = console.log } = {}) {
  const bin = ensurePostgres(log);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleetdeck-pg-"));
  const data = path.join(dir, "data");
  // initdb and postgres refuse to run as root: as root, run them as the package's postgres user.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) run("chown", ["postgres:postgres", dir]);
  const as = (cmd, args) => (asRoot ? run("runuser", ["-u", "postgres", "--", path.join(bin, cmd), ...args], { cwd: dir }) : run(path.join(bin, cmd), args, { cwd: dir }));

  let started = false;
  const cleanup = () => {
    if (started) {
      try {
        as("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
      } catch {
        // Already gone: nothing to stop.
      }
      started = false;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", cleanup);

  try {
    // Local and throwaway: trust authentication on 127.0.0.1 and the socket in our own folder.
    as("initdb", ["-D", data, "-U", SUPERUSER, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"]);
    const settings = [
      "listen_addresses='127.0.0.1'",
      `unix_socket_directories='${dir}'`,
      "max_connections=200",
      ...(durable ? [] : ["fsync=off", "synchronous_commit=off", "full_page_writes=off"]),
    ];
    fs.appendFileSync(path.join(data, "postgresql.conf"), "\n" + settings.join("\n") + "\n");
    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      try {
        as("pg_ctl", ["-D", data, "-l", path.join(dir, "server.log"), "-o", `-p ${port}`, "-w", "-t", "60", "start"]);
        started = true;
        break;
      } catch (e) {
        // Another process may have taken the port between our probe and the server's bind.
        if (attempt >= 3) throw new Error(`${e.message}\n${fs.readFileSync(path.join(dir, "server.log"), "utf8")}`);
      }
    }
    const url = `postgresql://${SUPERUSER}@127.0.0.1:${port}/postgres`;
    return {
      url,
      port,
      dir,
      /** A new, empty database in this cluster; returns its URL. */
      async createDatabase(name) {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        try {
          await client.query(`CREATE DATABASE "${name.replace(/"/g, "")}"`);
        } finally {
          await client.end();
        }
        return url.replace(/\/postgres$/, `/${name}`);
      },
      /** Stops the server only (fast shutdown: clients are disconnected), keeping its data. */
      pause() {
        as("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]);
        started = false;
      },
      /** Starts it again on the same port after pause(). */
      resume() {
        as("pg_ctl", ["-D", data, "-l", path.join(dir, "server.log"), "-o", `-p ${port}`, "-w", "-t", "60", "start"]);
        started = true;
      },
      stop() {
        process.removeListener("exit", cleanup);
        cleanup();
      },
    };
  } catch (e) {
    process.removeListener("exit", cleanup);
    cleanup();
    throw e;
  }
}
