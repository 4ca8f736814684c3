// `npm test`: type-check, build when needed, unit + API + agent tests (vitest), then browser
// tests (Playwright in Debian's Chromium, installed with apt-get when missing).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
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
results.push(["vitest", run("unit, API and agent tests (vitest)", "npx", ["vitest", "run"])]);
results.push(["playwright", ensureChromium() && run("browser tests (playwright)", "npx", ["playwright", "test"])]);

const failed = results.filter(([, ok]) => !ok).map(([name]) => name);
console.log(`\n${failed.length ? `FAILED: ${failed.join(", ")}` : "all test stages passed"}`);
process.exit(failed.length ? 1 : 0);
