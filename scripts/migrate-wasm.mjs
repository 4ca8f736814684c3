// Prisma migrations without Prisma's native schema engine (which its CLI would download):
// drives @prisma/schema-engine-wasm through the same driver adapter the panel uses.
//   node scripts/migrate-wasm.mjs deploy         apply the migrations of DATABASE_URL's provider
//   node scripts/migrate-wasm.mjs create NAME    write a new migration for SQLite and PostgreSQL
// Each provider has its own set (prisma/migrations, prisma/postgres/migrations), both made from
// the one schema in prisma/schema.prisma. A copy of the schema is kept beside each migration
// (schema.prisma.snapshot) so that `create` diffs without a shadow database or any connection.
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";
import { PROVIDERS, providerOf, writePostgresSchema } from "./prisma-schemas.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const filters = { externalTables: [], externalEnums: [] };

/** The database cannot be reached at all: the panel prints this one line and exits. */
export class DatabaseUnreachable extends Error {
  name = "DatabaseUnreachable";
}

// One instance per process: the JS glue caches views of the module's memory, so instantiating a
// second module under it reads garbage.
let wasm;
function loadWasm() {
  return (wasm ??= instantiate());
}

async function instantiate() {
  const pkgDir = path.join(root, "node_modules/@prisma/schema-engine-wasm");
  const bg = await import("@prisma/schema-engine-wasm/schema_engine_bg");
  const bytes = fs.readFileSync(path.join(pkgDir, "schema_engine_bg.wasm"));
  const { instance } = await WebAssembly.instantiate(bytes, { "./schema_engine_bg.js": bg });
  bg.__wbg_set_wasm(instance.exports);
  instance.exports.__wbindgen_start();
  return bg;
}

async function adapterFactory(provider, url) {
  if (provider === "postgresql") {
    const { PrismaPg } = await import("@prisma/adapter-pg");
    return new PrismaPg({ connectionString: url, connectionTimeoutMillis: 10_000 });
  }
  const { PrismaBetterSqlite3 } = await import("@prisma/adapter-better-sqlite3");
  return new PrismaBetterSqlite3({ url });
}

function migrationDirs(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
}

function migrationsList(dir) {
  const lock = path.join(dir, "migration_lock.toml");
  return {
    baseDir: dir,
    lockfile: { path: "migration_lock.toml", content: fs.existsSync(lock) ? fs.readFileSync(lock, "utf8") : null },
    shadowDbInitScript: "",
    migrationDirectories: migrationDirs(dir).map((d) => ({
      path: d,
      migrationFile: {
        path: "migration.sql",
        content: { tag: "ok", value: fs.readFileSync(path.join(dir, d, "migration.sql"), "utf8") },
      },
    })),
  };
}

async function withEngine(provider, url, fn) {
  const bg = await loadWasm();
  const schema = PROVIDERS[provider].schema;
  const files = [{ path: schema, content: fs.readFileSync(schema, "utf8") }];
  // Freeing the engine does not close its connections, and an open SQLite connection keeps a
  // lock that makes the caller's own first write fail with SQLITE_BUSY: close them ourselves.
  const factory = await adapterFactory(provider, url);
  const opened = [];
  const connect = factory.connect.bind(factory);
  factory.connect = async (...args) => {
    const adapter = await connect(...args);
    opened.push(adapter);
    return adapter;
  };
  const engine = await bg.SchemaEngine.new(
    { datamodels: files.map((f) => [f.path, f.content]) },
    (msg) => process.env.DEBUG_SCHEMA_ENGINE && console.error("[schema-engine]", msg),
    bindMigrationAwareSqlAdapterFactory(factory),
  );
  try {
    return await fn(engine, files);
  } finally {
    engine.free?.();
    await Promise.all(opened.map((a) => a.dispose?.().catch(() => undefined)));
  }
}

/**
 * Fails with DatabaseUnreachable when a PostgreSQL server cannot be reached or refuses us, so the
 * panel can say so in one line instead of a migration engine's stack. (A SQLite file is created.)
 */
export async function assertReachable(url) {
  if (providerOf(url) !== "postgresql") return;
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  // A server that goes away mid-handshake emits "error" besides rejecting connect().
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("SELECT 1");
  } catch (e) {
    const where = describe(url);
    const reason = String(e?.message || e?.code || e).split("\n")[0];
    throw new DatabaseUnreachable(`cannot reach PostgreSQL at ${where}: ${reason}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** host:port/database of a URL, without the credentials. */
function describe(url) {
  try {
    const u = new URL(url);
    return `${u.hostname || "localhost"}:${u.port || 5432}${u.pathname}`;
  } catch {
    return "DATABASE_URL";
  }
}

/**
 * Applies every pending migration of the URL's provider; returns the names applied.
 * `migrationsDir` replaces the provider's folder (tests make an older database with it).
 */
export async function deployMigrations(url, { migrationsDir } = {}) {
  const provider = providerOf(url);
  await assertReachable(url);
  return withEngine(provider, url, async (engine) => {
    const r = await engine.applyMigrations({ migrationsList: migrationsList(migrationsDir ?? PROVIDERS[provider].migrations), filters });
    return r.appliedMigrationNames ?? [];
  });
}

function openSqlite(file, options) {
  const Database = createRequire(import.meta.url)("better-sqlite3");
  return new Database(file, options);
}

/** A SQLite file: URL's path. */
export const sqliteFile = (url) => path.resolve(url.replace(/^file:/, "").replace(/\?.*$/, ""));

/**
 * Copies a live SQLite database to `target` consistently (`VACUUM INTO`: one read transaction,
 * so writers may go on; the copy is compact and has no WAL beside it). Refuses to overwrite.
 */
export function copySqlite(url, target) {
  if (fs.existsSync(target)) throw new Error(`${target} exists already`);
  fs.mkdirSync(path.dirname(path.resolve(target)), { recursive: true });
  const conn = openSqlite(sqliteFile(url), { readonly: true, fileMustExist: true });
  try {
    conn.pragma("busy_timeout = 5000");
    conn.prepare("VACUUM INTO ?").run(path.resolve(target));
  } finally {
    conn.close();
  }
}

/**
 * Before migrating an existing SQLite database, keeps a consistent copy of it in `dir` (named
 * <stamp>-before-<first pending migration>.db) and only the `keep` most recent such copies, so an
 * upgrade that goes wrong can be undone by copying the file back. Nothing is copied for a new or
 * empty database, one with no pending migration, PostgreSQL (pg_dump is the tool there), or
 * keep = 0. Returns the copy's path, or null.
 */
export function backupBeforeMigrating(url, { dir, keep }) {
  if (providerOf(url) !== "sqlite" || keep <= 0) return null;
  const file = sqliteFile(url);
  if (!fs.existsSync(file)) return null;
  const conn = openSqlite(file, { readonly: true, fileMustExist: true });
  let pending;
  try {
    const tables = conn.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").get().n;
    if (!tables) return null;
    let applied = new Set();
    try {
      applied = new Set(
        conn.prepare("SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL").all().map((r) => r.migration_name),
      );
    } catch {
      // Tables but no migration record: not made by us, but still worth keeping before we touch it.
    }
    pending = migrationDirs(PROVIDERS.sqlite.migrations).filter((m) => !applied.has(m));
  } finally {
    conn.close();
  }
  if (!pending.length) return null;
  const stamp = new Date().toISOString().replace(/[-:.]/g, "");
  const target = path.join(dir, `${stamp}-before-${pending[0]}.db`);
  copySqlite(url, target);
  const copies = fs.readdirSync(dir).filter((f) => /^\d{8}T\d{9}Z-before-.+\.db$/.test(f)).sort();
  for (const old of copies.slice(0, Math.max(0, copies.length - keep))) fs.rmSync(path.join(dir, old), { force: true });
  return target;
}

/** The SQL that takes the last migration's snapshot to the current schema, or null. */
async function pendingSql(provider, url) {
  const dir = PROVIDERS[provider].migrations;
  return withEngine(provider, url, async (engine, files) => {
    const last = migrationDirs(dir).at(-1);
    const from = last
      ? { tag: "schemaDatamodel", files: [{ path: files[0].path, content: fs.readFileSync(path.join(dir, last, "schema.prisma.snapshot"), "utf8") }] }
      : { tag: "empty" };
    const r = await engine.diff({ from, to: { tag: "schemaDatamodel", files }, script: true, exitCode: null, filters });
    const sql = (r.stdout ?? "").trim();
    return !sql || sql.startsWith("-- This is an empty migration") ? null : { sql, schema: files[0].content };
  });
}

/**
 * Writes the migration for every provider whose schema changed, under one shared name, so a
 * schema change cannot reach SQLite and forget PostgreSQL. Returns the folders written.
 */
export async function createMigration(name) {
  writePostgresSchema();
  // Diffing two schema files reads no tables, but the PostgreSQL engine will not start without a
  // server to talk to: lend it a throwaway one (SQLite's is an in-memory database).
  const { startCluster } = await import("./pg-cluster.mjs");
  const cluster = await startCluster({ log: (m) => console.log(m) });
  const changes = [];
  try {
    for (const [provider, url] of [["sqlite", "file::memory:"], ["postgresql", cluster.url]]) {
      const change = await pendingSql(provider, url);
      if (change) changes.push({ provider, ...change });
    }
  } finally {
    cluster.stop();
  }
  if (!changes.length) return [];
  let stamp = new Date().toISOString().replace(/[-:TZ.]/g, "").slice(0, 14);
  for (const provider of Object.keys(PROVIDERS)) {
    const last = migrationDirs(PROVIDERS[provider].migrations).at(-1);
    // Keep lexical order == creation order in both sets.
    if (last && stamp <= last.slice(0, 14)) stamp = String(BigInt(last.slice(0, 14)) + 1n);
  }
  return changes.map(({ provider, sql, schema }) => {
    const base = PROVIDERS[provider].migrations;
    const dir = path.join(base, `${stamp}_${name}`);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "migration.sql"), sql + "\n");
    fs.writeFileSync(path.join(dir, "schema.prisma.snapshot"), schema);
    const lock = path.join(base, "migration_lock.toml");
    if (!fs.existsSync(lock)) fs.writeFileSync(lock, `provider = "${provider}"\n`);
    return path.relative(root, dir);
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [cmd, name] = process.argv.slice(2);
  // `deploy --json` (the panel's server.ts): one JSON line on stdout for the parent to read,
  // {"applied": [names]} or {"unreachable": message}.
  const json = process.argv.includes("--json");
  try {
    if (cmd === "deploy") {
      const url = process.env.DATABASE_URL ?? `file:${path.join(root, "data/fleetdeck.db")}`;
      if (url.startsWith("file:")) fs.mkdirSync(path.dirname(path.resolve(url.slice(5))), { recursive: true });
      const applied = await deployMigrations(url);
      if (json) console.log(JSON.stringify({ applied }));
      else console.log(applied.length ? `applied: ${applied.join(", ")}` : "database is up to date");
    } else if (cmd === "create" && name && /^[a-z0-9_]+$/.test(name)) {
      const dirs = await createMigration(name);
      console.log(dirs.length ? dirs.map((d) => `created ${d}`).join("\n") : "no schema changes");
    } else {
      console.error("usage: migrate-wasm.mjs deploy | create <name_in_snake_case>");
      process.exit(2);
    }
  } catch (e) {
    if (!(e instanceof DatabaseUnreachable)) throw e;
    if (json) console.log(JSON.stringify({ unreachable: e.message }));
    else console.error(e.message);
    process.exit(1);
  }
  process.exit(0);
}
