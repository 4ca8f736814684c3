// `npm start`: builds what is older than its sources — the agent bundle (scripts/build-agent.mjs),
// the compiled server (scripts/build-server.mjs) and Next's production build — then runs the
// compiled server.ts with plain node (it migrates the database and serves). Nothing else to
// configure.
import { spawnSync, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ensureAgentBundle } from "./build-agent.mjs";
import { buildServer, newestMtime, SERVER_BUNDLE, serverBundleIsStale } from "./build-server.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const distDir = process.env.NEXT_DIST_DIR || ".next";
const SOURCES = ["app", "components", "lib", "messages", "public", "next.config.mjs", "package.json", "postcss.config.mjs", "tsconfig.json"];

/**
 * How node runs the panel, for its memory (measured with bench/ingest.mjs, 10,000 agents; README,
 * "Performance"). Each holds under that load (≥ 3,000 reports/s, none lost):
 * - --max-semi-space-size=4: V8's young generation grows to 16 MiB a half by default, 32 MiB
 *   held for short-lived objects; 4 MiB keeps scavenges cheap (a few ms) and rare enough.
 * - --heap-growing-percent=30: after each full collection V8 lets the heap grow to 1.3 times what
 *   survived before the next one, instead of up to 4 times on a machine with memory to spare
 *   (and a fast collector): with 10,000 agents that was hundreds of MiB of garbage held between
 *   collections. Full collections come every several seconds under that load and take tens of ms.
 */
export const PANEL_NODE_FLAGS = ["--max-semi-space-size=4", "--heap-growing-percent=30"];

/**
 * The memory flags this node's V8 knows. They are V8's, not node's, and V8 drops flags between
 * versions; node refuses to start with one it does not know ("bad option"), so a newer node
 * would make `npm start` fail. One it does not list is left out, with a line saying so: the
 * panel then runs with V8's defaults for it (more memory, same behaviour).
 */
export function supportedPanelFlags(flags = PANEL_NODE_FLAGS) {
  const listed = spawnSync(process.execPath, ["--v8-options"], { encoding: "utf8" }).stdout ?? "";
  // Without a listing (a node that cannot print it) the flags are passed as measured.
  if (!listed) return flags;
  return flags.filter((flag) => {
    const name = flag.split("=")[0];
    const known = listed.includes(`${name} `) || listed.includes(`${name.replaceAll("-", "_").replace(/^__/, "--")} `);
    if (!known) console.error(`fleetdeck: this node does not know ${name}; the panel runs without it (it only lowers memory)`);
    return known;
  });
}
/**
 * glibc's malloc gives memory of 32 KiB and more straight back to the system when it is freed
 * (its default threshold starts at 128 KiB and rises). V8's compilers (Prisma's WebAssembly query
 * compiler above all) allocate their working memory in 32 KiB pieces from other threads, and
 * without this 60–80 MiB of freed pieces stayed in malloc's per-thread arenas for the process's
 * life. Ignored where the C library is not glibc. An operator's own setting is kept.
 */
export const PANEL_ENV = { MALLOC_MMAP_THRESHOLD_: "32768" };

export function needsBuild() {
  const buildId = path.join(root, distDir, "BUILD_ID");
  if (!fs.existsSync(buildId)) return true;
  const built = fs.statSync(buildId).mtimeMs;
  return SOURCES.some((s) => newestMtime(s) > built);
}

/** The agent bundle and the compiled server (each a fraction of a second), then Next's build. */
export async function buildIfNeeded() {
  try {
    await ensureAgentBundle();
    if (serverBundleIsStale()) await buildServer();
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
  const child = spawn(process.execPath, [...supportedPanelFlags(), SERVER_BUNDLE], {
    cwd: root,
    stdio: "inherit",
    env: { NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1", ...PANEL_ENV, ...process.env },
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
