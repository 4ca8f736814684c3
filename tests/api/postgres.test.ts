/**
 * The panel on PostgreSQL, black-box: a real panel process on its own database in the cluster that
 * `npm test` starts (scripts/pg-cluster.mjs), with its real local agent. The main flows of each
 * API run against it; the rest of the suite covers them in depth on SQLite, through the same code.
 */
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { until } from "../helpers/wait";
import { ADMIN, ROOT, SERVER_COMMAND, TEST_PG_URL, login, postgresDatabase, setupCodeOf, startPanel, unusedPort, type RunningPanel } from "../helpers/panel";

/** The PostgreSQL migrations this build ships, in order (what a fresh database gets at start). */
const MIGRATIONS = fs
  .readdirSync(path.join(ROOT, "prisma/postgres/migrations"), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

const OWNER = { username: "pgadmin", password: "pg-admin-password-1" };

if (!TEST_PG_URL) console.log("tests/api/postgres.test.ts skipped: FLEETDECK_TEST_PG_URL is not set (`npm test` starts a PostgreSQL cluster and sets it)");

describe.skipIf(!TEST_PG_URL)("the panel on PostgreSQL", () => {
  let databaseUrl: string;
  let panel: RunningPanel;
  let cookie: string;
  let token: string;
  let tokenId: number;

  async function call(p: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}) {
    const res = await fetch(panel.url + p, {
      method: init.method ?? (init.body === undefined ? "GET" : "POST"),
      headers: { "content-type": "application/json", ...init.headers },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const text = await res.text();
    let json: unknown = text;
    try {
      json = JSON.parse(text);
    } catch {
      /* not JSON: keep the text */
    }
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return { status: res.status, json: json as any, text };
  }
  const ui = (p: string, init: { method?: string; body?: unknown } = {}) =>
    call(p, { ...init, headers: { cookie, "x-requested-with": "XMLHttpRequest" } });

  async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>): Promise<T> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const v = await probe();
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** The sealing key every start of the panel on this database uses (docs/deploy.md). */
  const SEALING_KEY = crypto.randomBytes(32).toString("base64");

  /** Runs SQL on the panel's database as the cluster's superuser. */
  async function sql(text: string, url = databaseUrl) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query(text)).rows;
    } finally {
      await client.end();
    }
  }

  beforeAll(async () => {
    databaseUrl = await postgresDatabase();
    panel = await startPanel(
      { FLEETDECK_LOCAL_AGENT: "1", FLEETDECK_LOCAL_AGENT_COMMANDS: "1", FLEETDECK_AGENT_INTERVAL: "1", FLEETDECK_SECRET_KEY: SEALING_KEY },
      { databaseUrl, admin: false },
    );
  });
  afterAll(() => panel?.stop());

  it("migrates the new database at start and says so; /healthz and /readyz answer 200", async () => {
    expect(panel.logs()).toContain(`database migrated (${MIGRATIONS.join(", ")})`);
    const tables = (await sql("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).map((r) => r.tablename);
    expect(tables).toEqual(expect.arrayContaining(["User", "ApiToken", "Server", "CommandRun", "_prisma_migrations"]));
    expect(await call("/healthz")).toMatchObject({ status: 200, json: { status: "ok" } });
    expect(await call("/readyz")).toMatchObject({ status: 200, json: { status: "ready" } });
  });

  it("creates the first administrator on the setup page, once, and signs them in", async () => {
    expect(await call("/api/ui/setup", { body: { ...OWNER, setupCode: setupCodeOf(panel.logs()) }, headers: { "x-requested-with": "XMLHttpRequest" } })).toMatchObject({
      status: 201,
      json: { username: OWNER.username, role: "admin" },
    });
    expect((await call("/api/ui/setup", { body: { username: "second", password: "second-password" }, headers: { "x-requested-with": "XMLHttpRequest" } })).status).toBe(409);
    const signed = await login(panel.url, OWNER.username, OWNER.password);
    expect(signed.cookie).toBeTruthy();
    cookie = signed.cookie!;
    expect((await login(panel.url, OWNER.username, "wrong-password")).cookie).toBeNull();
  });

  it("issues a token that the three APIs accept", async () => {
    const r = await ui("/api/ui/tokens", { body: { note: "pg test" } });
    expect(r.status).toBe(201);
    token = /"(fdk_[A-Za-z0-9_-]+)"/.exec(r.text)![1];
    tokenId = r.json.id;
    const stored = await sql(`SELECT "prefix", "note" FROM "ApiToken" WHERE id = ${Number(tokenId)}`);
    expect(stored).toEqual([{ prefix: token.slice(0, stored[0].prefix.length), note: "pg test" }]);
    expect((await call("/api/v1/server/list", { headers: { authorization: token } })).json).toMatchObject({ code: 0, message: "success" });
    expect((await call("/agents/", { headers: { "x-api-key": token } })).status).toBe(200);
    expect((await call(`/api/service/remote_services_system?apikey=${token}`)).json).toMatchObject({ status: 200 });
  });

  it("Nezha: lists the servers and shows the real agent's host and live status", async () => {
    expect((await ui("/api/ui/servers", { body: { name: "pg-second" } })).status).toBe(201);
    const list = await call("/api/v1/server/list", { headers: { authorization: token } });
    expect(list.json.result.map((s: { name: string }) => s.name)).toEqual(expect.arrayContaining(["pg-second"]));
    expect(list.json.result.length).toBe(2);
    const local = await until("the local agent's report", async () => {
      const r = await call("/api/v1/server/details", { headers: { authorization: token } });
      return r.json.result.find((s: { last_active: number; host: { Platform: string } }) => s.last_active > 0 && s.host.Platform);
    });
    expect(local.host.Platform).toBe(process.platform);
    expect(local.status.MemUsed).toBeGreaterThan(0);
    // The host report reached the database too (kept across restarts).
    const [row] = await sql(`SELECT "hostJson" FROM "Server" WHERE "isLocal"`);
    expect(JSON.parse(row.hostJson)).toMatchObject({ platform: process.platform });
  });

  it("Tactical RMM: runs a command through the real agent and records it in the history", async () => {
    const agents = (await call("/agents/?detail=false", { headers: { "x-api-key": token } })).json as { agent_id: string; hostname: string }[];
    const local = agents.find((a) => a.hostname === os.hostname())!;
    await until("the local agent to connect", async () => (await call(`/agents/${local.agent_id}/`, { headers: { "x-api-key": token } })).json.connected);
    const r = await call(`/agents/${local.agent_id}/cmd/`, { headers: { "x-api-key": token }, body: { shell: "/bin/bash", cmd: "echo on-postgres", timeout: 10 } });
    expect(r).toMatchObject({ status: 200, json: "on-postgres\n" });
    const history = (await call(`/agents/${local.agent_id}/history/`, { headers: { "x-api-key": token } })).json as { command: string; status: string; username: string }[];
    expect(history[0]).toMatchObject({ command: "echo on-postgres", username: OWNER.username });
  });

  it("MCSManager: remote_services_system shows the local daemon with its system figures", async () => {
    const daemon = await until("the local daemon", async () => {
      const r = await call(`/api/service/remote_services_system?apikey=${token}`);
      return (r.json.data as { available: boolean; system: { hostname: string; totalmem: number } }[]).find((d) => d.available && d.system.hostname);
    });
    expect(daemon.system.hostname).toBe(os.hostname());
    expect(daemon.system.totalmem).toBeGreaterThan(0);
  });

  it("revokes the token at once", async () => {
    expect((await ui(`/api/ui/tokens/${tokenId}`, { method: "DELETE" })).status).toBe(200);
    // Nezha refuses a bad token with 403, Tactical RMM with 401.
    expect((await call("/api/v1/server/list", { headers: { authorization: token } })).status).toBe(403);
    expect((await call("/agents/", { headers: { "x-api-key": token } })).status).toBe(401);
  });

  it("the operator CLI works on the same database beside the running panel", async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: panel.dataDir, DATABASE_URL: databaseUrl };
    delete env.ADMIN_USERNAME;
    delete env.ADMIN_PASSWORD;
    const proc = spawn(process.execPath, ["--import", "tsx", "scripts/cli.ts", "user", "list"], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    proc.stdout.on("data", (d) => (out += d));
    proc.stderr.on("data", (d) => (out += d));
    expect(await new Promise((resolve) => proc.on("exit", resolve))).toBe(0);
    expect(out).toContain(OWNER.username);
  });

  it("stores the local agent's reports as 10-second averages the chart reads back", async () => {
    const [server] = await sql(`SELECT "id" FROM "Server" WHERE "isLocal"`);
    // It reports every second (beforeAll): a bucket closes every 10 s, and history is written
    // with PostgreSQL's own SQL (lib/fleet/history.ts).
    const points = await until("a 10-second average", async () => {
      const r = await ui(`/api/ui/servers/${server.id}/history?range=hour`);
      return (r.json as { at: string; cpu: number; memUsed: number }[]).length > 0 && (r.json as { at: string; cpu: number; memUsed: number }[]);
    });
    expect(new Date(points[0].at).getTime() % 10_000).toBe(0);
    expect(points[0].memUsed).toBeGreaterThan(0);
    // The chart's first point is the oldest 10-second row (a minute row may be older still: the
    // minute the agent started in is written once it ends).
    const [row] = await sql(`SELECT "at" FROM "ServerMetric" WHERE "serverId" = ${server.id} AND "resolution" = 10 ORDER BY "at" LIMIT 1`);
    expect(row).toBeTruthy();
    // A UTC timestamp, as Prisma writes a DateTime (pg reads a timestamp without zone as local time).
    expect(new Date(points[0].at).toISOString().slice(0, 19)).toBe(new Date(row.at.getTime() - row.at.getTimezoneOffset() * 60_000).toISOString().slice(0, 19));
  });

  it("/readyz answers 503 while a migration is missing or the database refuses connections, and 200 again after", async () => {
    await sql(`UPDATE _prisma_migrations SET rolled_back_at = now()`);
    expect(await call("/readyz")).toMatchObject({ status: 503, json: { status: "unavailable", reason: `migrations not applied: ${MIGRATIONS.join(", ")}` } });
    await sql(`UPDATE _prisma_migrations SET rolled_back_at = NULL`);
    expect((await call("/readyz")).status).toBe(200);

    const name = new URL(databaseUrl).pathname.slice(1);
    const admin = new URL(databaseUrl);
    admin.pathname = "/postgres";
    await sql(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS false`, admin.toString());
    await sql(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}' AND pid <> pg_backend_pid()`, admin.toString());
    try {
      expect(await call("/readyz")).toMatchObject({ status: 503, json: { status: "unavailable", reason: "database unreachable" } });
      expect((await call("/healthz")).status).toBe(200);
    } finally {
      await sql(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS true`, admin.toString());
    }
    await until("readiness to return", async () => (await call("/readyz")).status === 200);
  });

  it("keeps everything across a restart: no migration to apply, the administrator signs in", async () => {
    await panel.stop();
    // Stopping saved when each server was last seen.
    const [row] = await sql(`SELECT "lastActive" FROM "Server" WHERE "isLocal"`);
    expect(row.lastActive).toBeInstanceOf(Date);
    // A fresh data folder (each test panel gets one), the same sealing key: as on another host.
    panel = await startPanel({ FLEETDECK_SECRET_KEY: SEALING_KEY }, { databaseUrl, admin: false });
    expect(panel.logs()).not.toContain("database migrated");
    expect((await login(panel.url, OWNER.username, OWNER.password)).cookie).toBeTruthy();
  });

  it("exits at once with one line on stderr when PostgreSQL cannot be reached", async () => {
    // A refused connection: nothing listens there.
    const port = await unusedPort();
    const proc = spawn(process.execPath, [...SERVER_COMMAND], {
      cwd: ROOT,
      env: { ...process.env, NODE_ENV: "production", PORT: "0", HOST: "127.0.0.1", DATA_DIR: os.tmpdir(), NEXTAUTH_SECRET: "x".repeat(32), DATABASE_URL: `postgresql://fleetdeck:secret-pw@127.0.0.1:${port}/fleetdeck` },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    proc.stdout.on("data", (d) => (stdout += d));
    proc.stderr.on("data", (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => proc.on("exit", resolve));
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toBe(`fleetdeck: cannot reach PostgreSQL at 127.0.0.1:${port}/fleetdeck: connect ECONNREFUSED 127.0.0.1:${port}\n`);
    expect(stderr).not.toContain("secret-pw");
  });
});

describe.skipIf(!TEST_PG_URL)("PANEL_PROCESSES=2 on one host (node:cluster, one port)", () => {
  let panel: RunningPanel;
  afterAll(() => panel?.stop());

  it("both processes answer on the one port with the whole fleet; a process that dies is replaced", async () => {
    const databaseUrl = await postgresDatabase("procs");
    panel = await startPanel({ PANEL_PROCESSES: "2", FLEETDECK_LOCAL_AGENT: "1", FLEETDECK_AGENT_INTERVAL: "1" }, { databaseUrl });
    const listening = () => (panel.logs().match(/listening on /g) ?? []).length;
    await until("both processes listening", () => listening() >= 2);
    expect(panel.logs()).toContain("started 2 panel processes");
    const workers = () => fs.readFileSync(`/proc/${panel.proc.pid}/task/${panel.proc.pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
    expect(workers()).toHaveLength(2);

    // The local agent is held by one of them; the connections spread over both (node:cluster
    // hands them out in turn): every answer must carry its live report.
    const { cookie } = await login(panel.url, ADMIN.username, ADMIN.password);
    const token = (await (await fetch(`${panel.url}/api/ui/tokens`, { method: "POST", headers: { cookie: cookie!, "content-type": "application/json", "x-requested-with": "XMLHttpRequest" }, body: JSON.stringify({ note: "procs" }) })).text()).match(/"(fdk_[A-Za-z0-9_-]+)"/)![1];
    // A new connection for each request (no keep-alive agent), so that both processes are asked.
    const fresh = (p: string, headers: Record<string, string> = {}) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        http.get(panel.url + p, { agent: false, headers }, (res) => {
          let body = "";
          res.setEncoding("utf8").on("data", (d: string) => (body += d));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        }).on("error", reject);
      });
    const answers = async () => {
      const out: number[] = [];
      for (let i = 0; i < 8; i++) {
        const r = await fresh("/api/v1/server/details", { authorization: token });
        const local = (JSON.parse(r.body) as { result: { last_active: number; host: { Platform: string } }[] }).result[0];
        out.push(local?.host?.Platform === process.platform ? local.last_active : 0);
      }
      return out;
    };
    await until("every answer, from either process, with the agent's report", async () => (await answers()).every((t) => t > 0), 30_000);
    for (const probe of ["/healthz", "/readyz"]) {
      for (let i = 0; i < 4; i++) expect((await fresh(probe)).status).toBe(200);
    }

    // One process killed: the first starts another in its place, and the port keeps answering.
    const [victim] = workers();
    process.kill(victim, "SIGKILL");
    await until("a new process in its place", () => /exited \(SIGKILL\); starting another/.test(panel.logs()) && listening() >= 3, 30_000);
    expect(workers()).not.toContain(victim);
    await until("every answer with the agent's report again", async () => (await answers()).every((t) => t > 0), 30_000);
  }, 120_000);

  it("on SQLite refuses to start with a one-line reason", async () => {
    const refused = await startPanel({ PANEL_PROCESSES: "2" }).then(
      async (p) => {
        await p.stop();
        return "it started";
      },
      (e: Error) => e.message,
    );
    expect(refused).toMatch(/exited with 2/);
    expect(refused).toContain("PANEL_PROCESSES above 1 needs PostgreSQL");
  });
});
