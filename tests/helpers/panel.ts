import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dirname, "../..");
export const ADMIN = { username: "admin", password: "admin-password-1" };

/**
 * A port nobody listens on now, for tests that need a refused connection (an unreachable
 * database). Never for a server to bind: another process may take it first; servers bind port 0
 * and say which port they got (startPanel reads the panel's "listening on" line).
 */
export async function unusedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

/**
 * How tests run the panel: the compiled server `npm start` runs (dist/server.cjs, brought up to
 * date with its sources once per vitest run by tests/helpers/global-setup.ts), with plain node.
 */
export const SERVER_COMMAND: readonly string[] = [path.join(ROOT, "dist/server.cjs")];

/**
 * How tests run an agent by hand: the bundle install.sh installs (dist/agent, brought up to date
 * by tests/helpers/global-setup.ts) with its production node flags, as installed machines run it.
 */
export function agentCommand(): string[] {
  const dir = path.join(ROOT, "dist/agent");
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8")) as { file: string; nodeArgs: string[] };
  return [...manifest.nodeArgs, path.join(dir, manifest.file)];
}

/** The address in the panel's "fleetdeck: listening on <url>" line, once it is there. */
export function listeningUrl(logs: string): string | null {
  // Up to the line's end: output read in the middle of the line must not give half a port.
  return /fleetdeck: listening on (https?:\/\/\S+)\r?\n/.exec(logs)?.[1] ?? null;
}

export interface RunningPanel {
  url: string;
  port: number;
  dataDir: string;
  proc: ChildProcess;
  logs: () => string;
  stop(): Promise<void>;
}

/**
 * A real panel (`server.ts` compiled, over the production build) on 127.0.0.1 at a port the
 * system picks (PORT=0; the panel says which on its "listening on" line) with a fresh SQLite
 * file, or on the database `databaseUrl` names (see postgresDatabase). The build must exist
 * (npm test builds first). `admin: false` leaves the first administrator to the setup page.
 */
export async function startPanel(
  env: Record<string, string> = {},
  options: { databaseUrl?: string; admin?: boolean; dataDir?: string } = {},
): Promise<RunningPanel> {
  // A given data directory is the caller's (a restart on the same data): stop() leaves it.
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "fleetdeck-test-"));
  let out = "";
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
    PORT: "0",
    HOST: "127.0.0.1",
    DATA_DIR: dataDir,
    ADMIN_USERNAME: ADMIN.username,
    ADMIN_PASSWORD: ADMIN.password,
    FLEETDECK_LOCAL_AGENT: "0",
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
    ...env,
  };
  if (options.admin === false) {
    delete childEnv.ADMIN_USERNAME;
    delete childEnv.ADMIN_PASSWORD;
  }
  const proc = spawn(process.execPath, [...SERVER_COMMAND], {
    cwd: ROOT,
    env: childEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  proc.stdout!.on("data", (d) => (out += d));
  proc.stderr!.on("data", (d) => (out += d));
  // Generous: a panel starting while the other test files' panels and agents load two cores
  // (vitest.config.ts gives hooks longer still).
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      clearInterval(poll);
      proc.kill("SIGKILL");
      reject(new Error(`panel did not start within 90 s:\n${out}`));
    }, 90_000);
    proc.on("exit", (code, signal) => {
      clearTimeout(timer);
      clearInterval(poll);
      reject(new Error(`panel exited with ${signal ?? code}:\n${out}`));
    });
    const poll = setInterval(() => {
      const found = listeningUrl(out);
      if (!found) return;
      clearTimeout(timer);
      clearInterval(poll);
      resolve(found);
    }, 50);
  });
  const port = Number(new URL(url).port);
  return {
    url,
    port,
    dataDir,
    proc,
    logs: () => out,
    async stop() {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once("exit", r));
        proc.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (proc.exitCode === null) proc.kill("SIGKILL");
      }
      if (!options.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The PostgreSQL cluster `npm test` starts for the run (scripts/pg-cluster.mjs), or null when the
 * tests run without one (plain `npx vitest run`).
 */
export const TEST_PG_URL = process.env.FLEETDECK_TEST_PG_URL || null;

/** A new, empty database in the test cluster for one test file; returns its URL. */
export async function postgresDatabase(prefix = "fleetdeck"): Promise<string> {
  if (!TEST_PG_URL) throw new Error("FLEETDECK_TEST_PG_URL is not set: run the tests with `npm test`");
  const { default: pg } = await import("pg");
  const name = `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const client = new pg.Client({ connectionString: TEST_PG_URL });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  const url = new URL(TEST_PG_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Signs in through next-auth's credentials endpoint like a browser does; returns the Cookie header. */
export async function login(
  url: string,
  username: string,
  password: string,
  otp = "",
  headers: Record<string, string> = {},
): Promise<{ cookie: string | null; error: string | null; url: string | null }> {
  const csrfRes = await fetch(`${url}/api/nextauth/csrf`, { headers });
  const { csrfToken } = (await csrfRes.json()) as { csrfToken: string };
  const csrfCookie = cookiesOf(csrfRes);
  const res = await fetch(`${url}/api/nextauth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { ...headers, "content-type": "application/x-www-form-urlencoded", cookie: csrfCookie, "x-auth-return-redirect": "1" },
    body: new URLSearchParams({ csrfToken, username, password, otp, json: "true" }),
  });
  const all = cookiesOf(res);
  const session = all.split("; ").find((c) => c.startsWith("next-auth.session-token="));
  const body = (await res.json().catch(() => ({}))) as { url?: string };
  const error = body.url ? new URL(body.url).searchParams.get("error") : null;
  return { cookie: session ?? null, error, url: body.url ?? null };
}

/** The one-time setup code a panel without users printed in its log (lib/auth/setup-code.ts). */
export function setupCodeOf(logs: string): string {
  const m = /setup code:\s*\n\s*\n\s*([A-Z0-9]{4}(?:-[A-Z0-9]{4}){3})/.exec(logs);
  if (!m) throw new Error(`no setup code in the panel's log:\n${logs}`);
  return m[1];
}

export function cookiesOf(res: Response): string {
  return res.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
}
