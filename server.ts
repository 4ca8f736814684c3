/**
 * Fleetdeck's server: node:http hosting Next's request handler, with two additions in front of it
 * (DESIGN.md, "Serving"): the documented API paths are answered here straight from their handlers,
 * skipping Next's router, and agents hold their WebSocket here.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError, loadEnv } from "./lib/env";

const root = path.dirname(fileURLToPath(import.meta.url));
const dev = process.argv.includes("--dev");

async function main() {
  const env = loadEnv();
  // The rest of the panel (and Next's bundles) read these from process.env.
  Object.assign(process.env, {
    DATABASE_URL: env.DATABASE_URL,
    NEXTAUTH_SECRET: env.NEXTAUTH_SECRET,
    NEXTAUTH_URL: env.NEXTAUTH_URL,
    DATA_DIR: env.DATA_DIR,
  });

  // @ts-expect-error: plain ESM script without type declarations
  const { deployMigrations } = await import("./scripts/migrate-wasm.mjs");
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

