/**
 * Fleetdeck's server: node:http hosting Next's request handler, with two additions in front of it
 * (DESIGN.md, "Serving"): the documented API paths are answered here straight from their handlers,
 * skipping Next's router, and agents hold their WebSocket here.
 */
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ConfigError, loadEnv, useConfig } from "./lib/env";

// `npm start` runs this file compiled to dist/server.cjs (scripts/build-server.mjs); `npm run dev`
// and the tests run it as it is, through tsx. Either way the project is the folder above dist/.
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.basename(here) === "dist" ? path.dirname(here) : here;
const dev = process.argv.includes("--dev");

async function main() {
  const env = loadEnv();
  // Every module (and Next's bundles, in this same process) reads this one validated object.
  useConfig(env);

  // Loaded from the project at run time, not compiled in: the script finds the migrations and the
  // schema engine's WebAssembly relative to itself.
  const { deployMigrations, backupBeforeMigrating } = (await import(pathToFileURL(path.join(root, "scripts/migrate-wasm.mjs")).href)) as {
    deployMigrations(url: string): Promise<string[]>;
    backupBeforeMigrating(url: string, opts: { dir: string; keep: number }): string | null;
  };
  // An upgrade that goes wrong must be undoable: a copy of the database as it was comes first.
  const copy = backupBeforeMigrating(env.DATABASE_URL, { dir: path.join(env.DATA_DIR, "backups"), keep: env.FLEETDECK_BACKUPS_KEEP });
  if (copy) console.log(`fleetdeck: copied the database to ${copy} before migrating it`);
  const applied: string[] = await deployMigrations(env.DATABASE_URL);
  if (applied.length) console.log(`fleetdeck: database migrated (${applied.join(", ")})`);

  const { startPanel } = await import("./lib/panel");
  await startPanel(env, { dev, dir: root });
}

main().catch((e) => {
  // A bad configuration or a database that cannot be reached is the operator's to fix: one line.
  if (e instanceof ConfigError || (e instanceof Error && e.name === "DatabaseUnreachable")) {
    console.error(`fleetdeck: ${e.message}`);
    process.exit(e instanceof ConfigError ? 2 : 1);
  }
  console.error("fleetdeck: failed to start:", e);
  process.exit(1);
});

