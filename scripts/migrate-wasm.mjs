// Prisma migrations without Prisma's native schema engine (which its CLI would download):
// drives @prisma/schema-engine-wasm through the same driver adapter the panel uses.
//   node scripts/migrate-wasm.mjs deploy         apply prisma/migrations to DATABASE_URL
//   node scripts/migrate-wasm.mjs create NAME    write a new migration from the schema change
// A copy of the schema is kept beside each migration (schema.prisma.snapshot) so that `create`
// can diff without a shadow database.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const schemaPath = path.join(root, "prisma/schema.prisma");
const migrationsDir = path.join(root, "prisma/migrations");
const filters = { externalTables: [], externalEnums: [] };

async function loadWasm() {
  const pkgDir = path.join(root, "node_modules/@prisma/schema-engine-wasm");
  const bg = await import("@prisma/schema-engine-wasm/schema_engine_bg");
  const bytes = fs.readFileSync(path.join(pkgDir, "schema_engine_bg.wasm"));
  const { instance } = await WebAssembly.instantiate(bytes, { "./schema_engine_bg.js": bg });
  bg.__wbg_set_wasm(instance.exports);
  instance.exports.__wbindgen_start();
  return bg;
}

async function adapterFactory(url) {
  if (url.startsWith("postgres")) {
    const { PrismaPg } = await import("@prisma/adapter-pg");
    return new PrismaPg({ connectionString: url });
  }
  const { PrismaBetterSqlite3 } = await import("@prisma/adapter-better-sqlite3");
  return new PrismaBetterSqlite3({ url });
}

function schemaFiles() {
  return [{ path: schemaPath, content: fs.readFileSync(schemaPath, "utf8") }];
}

function migrationDirs() {
  if (!fs.existsSync(migrationsDir)) return [];
  return fs.readdirSync(migrationsDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
}

function migrationsList() {
  const lock = path.join(migrationsDir, "migration_lock.toml");
  return {
    baseDir: migrationsDir,
    lockfile: { path: "migration_lock.toml", content: fs.existsSync(lock) ? fs.readFileSync(lock, "utf8") : null },
    shadowDbInitScript: "",
    migrationDirectories: migrationDirs().map((d) => ({
      path: d,
      migrationFile: {
        path: "migration.sql",
        content: { tag: "ok", value: fs.readFileSync(path.join(migrationsDir, d, "migration.sql"), "utf8") },
      },
    })),
  };
}

async function withEngine(url, fn) {
  const bg = await loadWasm();
  const files = schemaFiles();
  // Freeing the engine does not close its connections, and an open SQLite connection keeps a
  // lock that makes the caller's own first write fail with SQLITE_BUSY: close them ourselves.
  const factory = await adapterFactory(url);
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

/** Applies every pending migration; returns the names applied. */
export async function deployMigrations(url) {
  return withEngine(url, async (engine) => {
    const r = await engine.applyMigrations({ migrationsList: migrationsList(), filters });
    return r.appliedMigrationNames ?? [];
  });
}

async function createMigration(url, name) {
  return withEngine(url, async (engine, files) => {
    const last = migrationDirs().at(-1);
    const from = last
      ? { tag: "schemaDatamodel", files: [{ path: schemaPath, content: fs.readFileSync(path.join(migrationsDir, last, "schema.prisma.snapshot"), "utf8") }] }
      : { tag: "empty" };
    const r = await engine.diff({ from, to: { tag: "schemaDatamodel", files }, script: true, exitCode: null, filters });
    const sql = (r.stdout ?? "").trim();
    if (!sql || sql.startsWith("-- This is an empty migration")) return null;
    let stamp = new Date().toISOString().replace(/[-:TZ.]/g, "").slice(0, 14);
    if (last && stamp <= last.slice(0, 14)) stamp = String(BigInt(last.slice(0, 14)) + 1n);
    const dir = path.join(migrationsDir, `${stamp}_${name}`);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "migration.sql"), sql + "\n");
    fs.writeFileSync(path.join(dir, "schema.prisma.snapshot"), files[0].content);
    const lock = path.join(migrationsDir, "migration_lock.toml");
    if (!fs.existsSync(lock)) fs.writeFileSync(lock, `provider = "${url.startsWith("postgres") ? "postgresql" : "sqlite"}"\n`);
    return path.relative(root, dir);
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [cmd, name] = process.argv.slice(2);
  const url = process.env.DATABASE_URL ?? `file:${path.join(root, "data/fleetdeck.db")}`;
  if (url.startsWith("file:")) fs.mkdirSync(path.dirname(path.resolve(url.slice(5))), { recursive: true });
  if (cmd === "deploy") {
    const applied = await deployMigrations(url);
    console.log(applied.length ? `applied: ${applied.join(", ")}` : "database is up to date");
  } else if (cmd === "create" && name && /^[a-z0-9_]+$/.test(name)) {
    const dir = await createMigration(url, name);
    console.log(dir ? `created ${dir}` : "no schema changes");
  } else {
    console.error("usage: migrate-wasm.mjs deploy | create <name_in_snake_case>");
    process.exit(2);
  }
  process.exit(0);
}
