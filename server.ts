/**
 * Fleetdeck's server: node:http hosting Next's request handler, with two additions in front of it
 * (DESIGN.md, "Serving"): the documented API paths are answered here straight from their handlers,
 * skipping Next's router, and agents hold their WebSocket here.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError, loadEnv, useConfig } from "./lib/env";

const root = path.dirname(fileURLToPath(import.meta.url));
const dev = process.argv.includes("--dev");

async function main() {
  const env = loadEnv();
  // Every module (and Next's bundles, in this same process) reads this one validated object.
  useConfig(env);

  // @ts-expect-error: plain ESM script without type declarations
  const { deployMigrations } = await import("./scripts/migrate-wasm.mjs");
  const applied: string[] = await deployMigrations(env.DATABASE_URL);
  if (applied.length) console.log(`fleetdeck: database migrated (${applied.join(", ")})`);

  const { startPanel } = await import("./lib/panel");
  await startPanel(env, { dev, dir: root });
}

main().catch((e) => {
  if (e instanceof ConfigError) {
    console.error(`fleetdeck: ${e.message}`);
    process.exit(2);
  }
  console.error("fleetdeck: failed to start:", e);
  process.exit(1);
});

