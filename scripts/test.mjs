// `npm test`: type-check, build when needed, unit + API + agent tests (vitest) with a throwaway
// PostgreSQL server for the PostgreSQL API tests (Debian's postgresql, installed with apt-get when
// missing), then browser tests (Playwright in Debian's Chromium, installed the same way). The
// system's ping, which the ICMP monitor tests run, is installed the same way when missing.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { startCluster } from "./pg-cluster.mjs";
import { buildIfNeeded } from "./start.mjs";

function run(label, cmd, args, env = {}) {
  console.log(`\n▶ ${label}`);
  const r = spawnSync(cmd, args, { stdio: "inherit", env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", ...env } });
  return r.status === 0;
}

let aptUpdated = false;
/** Installs Debian packages a test stage needs (the list is fetched once per run). */
function aptInstall(label, ...packages) {
  console.log(`\n▶ installing Debian's ${packages.join(", ")} (apt-get) for ${label}`);
  if (!aptUpdated && !(aptUpdated = run("apt-get update", "apt-get", ["update", "-qq"]))) return false;
  return run(`apt-get install ${packages.join(" ")}`, "apt-get", ["install", "-y", "-qq", ...packages], { DEBIAN_FRONTEND: "noninteractive" });
}

const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
function ensureChromium() {
  return fs.existsSync(chromium) || aptInstall("the browser tests", "chromium");
}

/**
 * ICMP monitors run the system's `ping`; the probe and alert tests skip their ICMP half (saying
 * why) only where ping cannot run, so the run installs it when it is missing. Not fatal: a host
 * without apt still runs everything else.
 */
function ensurePing() {
  const onPath = (process.env.PATH ?? "").split(":").some((dir) => dir && fs.existsSync(`${dir}/ping`));
  if (!onPath && !aptInstall("the ICMP monitor tests", "iputils-ping")) console.log("  could not install ping: the ICMP tests will say they are skipped");
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
ensurePing();
results.push(["vitest", run("unit, API and agent tests (vitest)", "npx", ["vitest", "run"], cluster ? { FLEETDECK_TEST_PG_URL: cluster.url } : {})]);
cluster?.stop();
// The browser tests' panel binds a port the system gives it (playwright.config.ts), so a panel
// left running by another run cannot stop the stage.
results.push(["playwright", ensureChromium() && run("browser tests (playwright)", "npx", ["playwright", "test"])]);

const failed = results.filter(([, ok]) => !ok).map(([name]) => name);
console.log(`\n${failed.length ? `FAILED: ${failed.join(", ")}` : "all test stages passed"}`);
process.exit(failed.length ? 1 : 0);

