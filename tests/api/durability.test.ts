import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, login, ROOT, startPanel, type RunningPanel } from "../helpers/panel";
import { until } from "../helpers/wait";
import { Panel } from "./credentials";

/**
 * Nothing lost to a crash or an upgrade, against the real panel: a command run cut off by a
 * SIGKILL is marked failed at the next start; an existing database is copied before it is
 * migrated; `npm run fleetdeck -- backup` copies a live one; old audit entries and command runs
 * are pruned by their retention settings.
 */

const migrate = (await import(pathToFileURL(path.join(ROOT, "scripts/migrate-wasm.mjs")).href)) as {
  deployMigrations(url: string, opts?: { migrationsDir?: string }): Promise<string[]>;
};

const dirs: string[] = [];
const tempDir = (name: string) => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `fleetdeck-${name}-`));
  dirs.push(d);
  return d;
};
const running: RunningPanel[] = [];
const start = async (...args: Parameters<typeof startPanel>) => {
  const p = await startPanel(...args);
  running.push(p);
  return p;
};
afterAll(async () => {
  await Promise.all(running.map((p) => p.stop()));
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function sql<T>(dataDir: string, fn: (db: Database.Database) => T): T {
  const db = new Database(path.join(dataDir, "fleetdeck.db"));
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

describe("a crash in the middle of a command", () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = tempDir("crash");
  });

  it("leaves the run failed with a note after the restart, not running for ever", async () => {
    const env = { FLEETDECK_LOCAL_AGENT: "1", FLEETDECK_LOCAL_AGENT_COMMANDS: "1", FLEETDECK_AGENT_INTERVAL: "1" };
    const first = await start(env, { dataDir });
    const { cookie } = await login(first.url, ADMIN.username, ADMIN.password);
    const { token } = await new Panel(first.url, cookie!).createToken(cookie!, "crash");
    const agentId = await until(
      "the local agent to be listed",
      async () => ((await (await fetch(`${first.url}/agents/`, { headers: { "x-api-key": token } })).json()) as { agent_id: string; status: string }[]).find((a) => a.status === "online")?.agent_id,
      60_000,
    );
    // A long command; its answer will never come.
    const pending = fetch(`${first.url}/agents/${agentId}/cmd/`, {
      method: "POST",
      headers: { "x-api-key": token, "content-type": "application/json" },
      body: JSON.stringify({ shell: "sh", cmd: "sleep 120", timeout: 600 }),
    }).catch(() => null);
    await until("the run to be recorded as running", () => sql(dataDir, (db) => db.prepare(`SELECT id FROM "CommandRun" WHERE status = 'running'`).get()), 30_000);

    first.proc.kill("SIGKILL");
    await new Promise((r) => first.proc.once("exit", r));
    await pending;
    expect(sql(dataDir, (db) => db.prepare(`SELECT status FROM "CommandRun"`).all())).toEqual([{ status: "running" }]);

    const second = await start(env, { dataDir });
    const history = (await (await fetch(`${second.url}/agents/${agentId}/history/`, { headers: { "x-api-key": token } })).json()) as {
      command: string;
      status: string;
      results: string;
    }[];
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ command: "sleep 120", status: "failed", results: expect.stringMatching(/the panel stopped while this command was running/) });
    expect(second.logs()).toMatch(/marked 1 command run\(s\) interrupted/);
  }, 180_000);
});

describe("retention", () => {
  /** The database a panel would make (the shipped migrations) with one server the runs can belong to. */
  async function databaseWithServer(dataDir: string): Promise<number> {
    await migrate.deployMigrations(`file:${path.join(dataDir, "fleetdeck.db")}`);
    return sql(dataDir, (db) => Number(db.prepare(`INSERT INTO "Server" (name, "secretHash", "agentId") VALUES ('retention', 'x', 'retention-agent')`).run().lastInsertRowid));
  }

  it("prunes audit entries, command runs and alert history older than their settings, keeping the rest", async () => {
    const dataDir = tempDir("retention");
    const serverId = await databaseWithServer(dataDir);

    const day = 24 * 60 * 60 * 1000;
    // Stored as the Prisma SQLite adapter writes DateTime (ISO 8601 with +00:00).
    const ago = (days: number) => new Date(Date.now() - days * day).toISOString().replace("Z", "+00:00");
    sql(dataDir, (db) => {
      const audit = db.prepare(`INSERT INTO "AuditLog" (at, action, detail) VALUES (?, 'test.old', ?)`);
      audit.run(ago(40), "old audit");
      audit.run(ago(20), "recent audit");
      const run = db.prepare(`INSERT INTO "CommandRun" ("serverId", shell, command, timeout, status, "createdAt") VALUES (?, 'sh', ?, 30, ?, ?)`);
      run.run(serverId, "old done", "done", ago(10));
      run.run(serverId, "recent done", "done", ago(2));
      run.run(serverId, "old but failed", "failed", ago(10));
      // Alert history: a recovered event with a sent notice and its attempts, 20 and 2 days old;
      // a notice still being retried keeps its old attempts.
      const rule = db.prepare(`INSERT INTO "AlertRule" (name, kind, "updatedAt") VALUES ('r', 'offline', ?)`).run(ago(30)).lastInsertRowid;
      const event = db.prepare(`INSERT INTO "AlertEvent" ("ruleId", "serverId", detail, "firedAt", "recoveredAt") VALUES (?, ?, ?, ?, ?)`);
      const notice = db.prepare(`INSERT INTO "Notification" ("eventId", "channelId", kind, status, "createdAt") VALUES (?, 1, 'fire', ?, ?)`);
      const attempt = db.prepare(`INSERT INTO "NotificationAttempt" ("notificationId", "channelId", at, result, error) VALUES (?, 1, ?, ?, ?)`);
      for (const [age, label] of [[20, "old"], [2, "recent"]] as const) {
        const ev = event.run(rule, serverId, `${label} event`, ago(age), ago(age)).lastInsertRowid;
        const n = notice.run(ev, "sent", ago(age)).lastInsertRowid;
        attempt.run(n, ago(age), "sent", `${label} attempt`);
      }
      // (due tomorrow: the outbox leaves it alone meanwhile)
      const pending = db.prepare(`INSERT INTO "Notification" ("channelId", kind, status, "createdAt", "nextAttemptAt") VALUES (1, 'fire', 'pending', ?, ?)`).run(ago(20), ago(-1)).lastInsertRowid;
      attempt.run(pending, ago(20), "failed", "retried attempt");
    });

    await start({ FLEETDECK_AUDIT_RETENTION_DAYS: "30", FLEETDECK_COMMAND_RETENTION_DAYS: "7", FLEETDECK_ALERT_RETENTION_DAYS: "10" }, { dataDir });
    await until("the old rows to be pruned", () => sql(dataDir, (db) => !db.prepare(`SELECT 1 FROM "AuditLog" WHERE detail = 'old audit'`).get()), 30_000);
    await until("the old runs to be pruned", () => sql(dataDir, (db) => !db.prepare(`SELECT 1 FROM "CommandRun" WHERE command = 'old done'`).get()), 30_000);
    await until("the old alert history to be pruned", () => sql(dataDir, (db) => !db.prepare(`SELECT 1 FROM "AlertEvent" WHERE detail = 'old event'`).get()), 30_000);
    sql(dataDir, (db) => {
      expect(db.prepare(`SELECT detail FROM "AuditLog" WHERE action = 'test.old'`).all()).toEqual([{ detail: "recent audit" }]);
      expect(db.prepare(`SELECT command FROM "CommandRun" ORDER BY id`).all()).toEqual([{ command: "recent done" }]);
      expect(db.prepare(`SELECT detail FROM "AlertEvent" ORDER BY id`).all()).toEqual([{ detail: "recent event" }]);
      expect(db.prepare(`SELECT status FROM "Notification" ORDER BY id`).all()).toEqual([{ status: "sent" }, { status: "pending" }]);
      expect(db.prepare(`SELECT error FROM "NotificationAttempt" ORDER BY id`).all()).toEqual([{ error: "recent attempt" }, { error: "retried attempt" }]);
    });
  }, 120_000);

  it("keeps everything with a retention of 0", async () => {
    const dataDir = tempDir("retention-0");
    const serverId = await databaseWithServer(dataDir);
    const longAgo = new Date(Date.now() - 5000 * 24 * 3600 * 1000).toISOString().replace("Z", "+00:00");
    const insert = (detail: string) =>
      sql(dataDir, (db) => {
        db.prepare(`INSERT INTO "AuditLog" (at, action, detail) VALUES (?, 'test.old', ?)`).run(longAgo, detail);
        db.prepare(`INSERT INTO "CommandRun" ("serverId", shell, command, timeout, status, "createdAt") VALUES (?, 'sh', ?, 30, 'done', ?)`).run(serverId, detail, longAgo);
      });
    const audit = () => sql(dataDir, (db) => db.prepare(`SELECT detail FROM "AuditLog" WHERE action = 'test.old' ORDER BY id`).all());
    const runs = () => sql(dataDir, (db) => db.prepare(`SELECT command FROM "CommandRun" ORDER BY id`).all());

    // Audit retention 0, command retention 7 days: the ancient run going shows the prune has run
    // (audit entries are pruned first, in the same pass), and the ancient audit entry stays.
    insert("ancient 1");
    const second = await start({ FLEETDECK_AUDIT_RETENTION_DAYS: "0", FLEETDECK_COMMAND_RETENTION_DAYS: "7" }, { dataDir });
    await until("the prune to run", () => runs().length === 0, 60_000);
    expect(audit()).toEqual([{ detail: "ancient 1" }]);
    await second.stop();

    // And the other way round: command retention 0 keeps the ancient run.
    insert("ancient 2");
    await start({ FLEETDECK_AUDIT_RETENTION_DAYS: "30", FLEETDECK_COMMAND_RETENTION_DAYS: "0" }, { dataDir });
    await until("the prune to run", () => audit().length === 0, 60_000);
    expect(runs()).toEqual([{ command: "ancient 2" }]);
  }, 180_000);
});

describe("upgrades and backups", () => {
  it("copies an existing database before migrating it, keeping the last FLEETDECK_BACKUPS_KEEP copies", async () => {
    const dataDir = tempDir("upgrade");
    const file = path.join(dataDir, "fleetdeck.db");
    // A database as the first release left it: only the first migration applied, with a user.
    const all = fs.readdirSync(path.join(ROOT, "prisma/migrations")).filter((d) => /^\d/.test(d)).sort();
    const old = tempDir("old-migrations");
    fs.cpSync(path.join(ROOT, "prisma/migrations", all[0]), path.join(old, all[0]), { recursive: true });
    fs.copyFileSync(path.join(ROOT, "prisma/migrations/migration_lock.toml"), path.join(old, "migration_lock.toml"));
    expect(await migrate.deployMigrations(`file:${file}`, { migrationsDir: old })).toEqual([all[0]]);
    sql(dataDir, (db) => db.prepare(`INSERT INTO "User" (username, "passwordHash", role, "updatedAt") VALUES ('old-admin', 'x', 'admin', '2026-01-01T00:00:00.000+00:00')`).run());

    // Earlier copies from other upgrades: only the newest FLEETDECK_BACKUPS_KEEP (2) stay.
    const backups = path.join(dataDir, "backups");
    fs.mkdirSync(backups);
    for (const stamp of ["20200101T000000000Z", "20200102T000000000Z"]) fs.writeFileSync(path.join(backups, `${stamp}-before-x.db`), "");

    const panel = await start({ FLEETDECK_BACKUPS_KEEP: "2" }, { dataDir });
    expect(panel.logs()).toMatch(/copied the database to .*before-/);
    const copies = fs.readdirSync(backups).sort();
    expect(copies).toHaveLength(2);
    expect(copies[0]).toBe("20200102T000000000Z-before-x.db");
    expect(copies[1]).toMatch(new RegExp(`^\\d{8}T\\d{9}Z-before-${all[1]}\\.db$`));

    // The copy is the database as it was: the user, and only the first migration.
    const copy = new Database(path.join(backups, copies[1]), { readonly: true });
    try {
      expect(copy.prepare(`SELECT username FROM "User"`).all()).toEqual([{ username: "old-admin" }]);
      expect(copy.prepare(`SELECT migration_name FROM _prisma_migrations`).all()).toEqual([{ migration_name: all[0] }]);
    } finally {
      copy.close();
    }
    // And the panel migrated the original.
    expect(sql(dataDir, (db) => db.prepare(`SELECT count(*) AS n FROM _prisma_migrations`).get())).toEqual({ n: all.length });

    // A start with nothing to migrate copies nothing.
    await panel.stop();
    const again = await start({ FLEETDECK_BACKUPS_KEEP: "2" }, { dataDir });
    expect(again.logs()).not.toMatch(/copied the database/);
    expect(fs.readdirSync(backups)).toHaveLength(2);
  }, 120_000);

  it("does not copy a new database", async () => {
    const panel = await start();
    expect(panel.logs()).not.toMatch(/copied the database/);
    expect(fs.existsSync(path.join(panel.dataDir, "backups"))).toBe(false);
  }, 60_000);

  const cli = (args: string[], env: Record<string, string>) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ["--import", "tsx", "scripts/cli.ts", ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      child.on("close", (code) => resolve({ code, stdout, stderr }));
    });

  it("`backup <file>` copies a live database consistently, and refuses to overwrite", async () => {
    const panel = await start();
    const { cookie } = await login(panel.url, ADMIN.username, ADMIN.password);
    await new Panel(panel.url, cookie!).createToken(cookie!, "in the backup");
    const target = path.join(tempDir("backup"), "copy.db");
    const r = await cli(["backup", target], { DATA_DIR: panel.dataDir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/copied the database to/);
    const copy = new Database(target, { readonly: true });
    try {
      expect(copy.pragma("integrity_check", { simple: true })).toBe("ok");
      expect(copy.prepare(`SELECT note FROM "ApiToken"`).all()).toEqual([{ note: "in the backup" }]);
    } finally {
      copy.close();
    }
    const again = await cli(["backup", target], { DATA_DIR: panel.dataDir });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/exists already/);
  }, 90_000);

  it("`backup` on PostgreSQL prints the pg_dump to run and exits non-zero", async () => {
    const r = await cli(["backup", "/tmp/fleetdeck.dump"], { DATA_DIR: tempDir("pg-backup"), DATABASE_URL: "postgres://fleet:secret@db.invalid:5432/fleetdeck" });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/pg_dump --format=custom --file="\/tmp\/fleetdeck.dump" "\$DATABASE_URL"/);
    // The password is not printed.
    expect(r.stderr).not.toContain("secret");
  }, 60_000);
});
