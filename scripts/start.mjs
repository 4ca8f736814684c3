// `npm start`: builds what is older than its sources — the agent bundle (scripts/build-agent.mjs),
// the compiled server (scripts/build-server.mjs) and Next's production build — then runs the
// compiled server.ts with plain node (it migrates the database and serves). Nothing else to
// configure.
import { spawnSync, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ensureAgentBundle } from "./build-agent.mjs";
import { buildServer, SERVER_BUNDLE, SERVER_SOURCES } from "./build-server.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const distDir = process.env.NEXT_DIST_DIR || ".next";
const SOURCES = ["app", "components", "lib", "messages", "public", "next.config.mjs", "package.json", "postcss.config.mjs", "tsconfig.json"];

function newestMtime(p) {
  const full = path.join(root, p);
  if (!fs.existsSync(full)) return 0;
  const stat = fs.statSync(full);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of fs.readdirSync(full)) {
    if (entry === "generated" || entry === "node_modules") continue;
    newest = Math.max(newest, newestMtime(path.join(p, entry)));
  }
  return newest;
}

export function needsBuild() {
  const buildId = path.join(root, distDir, "BUILD_ID");
  if (!fs.existsSync(buildId)) return true;
  const built = fs.statSync(buildId).mtimeMs;
  return SOURCES.some((s) => newestMtime(s) > built);
}

export function serverNeedsBuild() {
  if (!fs.existsSync(SERVER_BUNDLE)) return true;
  const built = fs.statSync(SERVER_BUNDLE).mtimeMs;
  return SERVER_SOURCES.some((s) => newestMtime(s) > built);
}

/** The agent bundle and the compiled server (each a fraction of a second), then Next's build. */
export async function buildIfNeeded() {
  try {
    await ensureAgentBundle();
    if (serverNeedsBuild()) await buildServer();
  } catch (e) {
    console.error(`fleetdeck: the build failed: ${e.message}`);
    process.exit(1);
  }
  if (!needsBuild()) return;
  console.log("fleetdeck: building the panel (first start or changed sources)…");
  const r = spawnSync(process.execPath, [path.join(root, "node_modules/next/dist/bin/next"), "build"], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
  });
  if (r.status !== 0) {
    console.error("fleetdeck: the build failed");
    process.exit(r.status ?? 1);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildIfNeeded();
  // No --enable-source-maps: it keeps the parsed map in memory (about 35 MiB measured with
  // bench/panel-start.mjs). dist/server.cjs is not minified, so its stack traces stay readable.
  const child = spawn(process.execPath, [SERVER_BUNDLE], {
    cwd: root,
    stdio: "inherit",
    env: { NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1", ...process.env },
  });
  for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
  // `npm start` runs this through `sh -c`, and a SIGTERM sent to npm (a service manager stopping
  // it, `kill <pid>`) ends npm and that shell without reaching us: the panel would live on as an
  // orphan holding the port. When our parent goes away, stop as if we had been sent SIGTERM.
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(watch);
    child.kill("SIGTERM");
  }, 500);
  watch.unref();
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
