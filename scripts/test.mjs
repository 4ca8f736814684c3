// `npm test`: type-check, build when needed, unit + API + agent tests (vitest) with a throwaway
// PostgreSQL server for the PostgreSQL API tests (Debian's postgresql, installed with apt-get when
// missing), then browser tests (Playwright in Debian's Chromium, installed the same way).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { startCluster } from "./pg-cluster.mjs";
import { buildIfNeeded } from "./start.mjs";

function run(label, cmd, args, env = {}) {
  console.log(`\n▶ ${label}`);
  const r = spawnSync(cmd, args, { stdio: "inherit", env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", ...env } });
  return r.status === 0;
}

const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
function ensureChromium() {
  if (fs.existsSync(chromium)) return true;
  console.log("\n▶ installing Debian's chromium (apt-get) for the browser tests");
  return run("apt-get update", "apt-get", ["update", "-qq"]) && run("apt-get install chromium", "apt-get", ["install", "-y", "-qq", "chromium"], { DEBIAN_FRONTEND: "noninteractive" });
}

const results = [];
results.push(["typecheck", run("type-check (tsc --noEmit)", "npx", ["tsc", "--noEmit", "-p", "."])]);
await buildIfNeeded();
// Stopped and removed when this script exits, however it exits (pg-cluster.mjs).
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => process.exit(130));
let cluster = null;
try {
  console.log("\n▶ starting a throwaway PostgreSQL cluster for tests/api/postgres.test.ts");
  cluster = await startCluster();
  console.log(`  listening on 127.0.0.1:${cluster.port} (${cluster.dir})`);
} catch (e) {
  console.error(`  could not start PostgreSQL: ${e.message}`);
}
results.push(["postgresql", cluster !== null]);
results.push(["vitest", run("unit, API and agent tests (vitest)", "npx", ["vitest", "run"], cluster ? { FLEETDECK_TEST_PG_URL: cluster.url } : {})]);
cluster?.stop();
// The browser tests' panel binds a port the system gives it (playwright.config.ts), so a panel
// left running by another run cannot stop the stage.
results.push(["playwright", ensureChromium() && run("browser tests (playwright)", "npx", ["playwright", "test"])]);

const failed = results.filter(([, ok]) => !ok).map(([name]) => name);
console.log(`\n${failed.length ? `FAILED: ${failed.join(", ")}` : "all test stages passed"}`);
process.exit(failed.length ? 1 : 0);

