// The agent as one file: agent/main.ts with `ws` and `systeminformation` bundled by esbuild into
// dist/agent/fleetdeck-agent.cjs, which runs with plain `node` (>= 18) and nothing else.
// Beside it: `fleetdeck-agent.cjs.sha256` (sha256sum format) and `manifest.json`
// ({version, file, sha256, size, nodeArgs}), which the panel serves (lib/http/agent-download.ts).
//
// `node scripts/build-agent.mjs` builds; `ensureAgentBundle()` builds only when agent/ is newer.
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const AGENT_SOURCES = path.join(root, "agent");
export const AGENT_DIST = path.join(root, "dist/agent");
export const AGENT_BUNDLE = path.join(AGENT_DIST, "fleetdeck-agent.cjs");
export const AGENT_MANIFEST = path.join(AGENT_DIST, "manifest.json");

/**
 * Node flags every launcher of the bundle uses (the panel's local agent, `npm run agent`, the
 * systemd unit written by install.sh). The agent's heap holds a few MiB: a 1 MiB young generation
 * keeps it from growing between collections, and the old-space cap stops a runaway (thousands of
 * instances' output buffers) from taking the machine's memory. Measured with
 * bench/agent-footprint.mjs they save only about 1 MiB; most of the agent's RSS is Node's own
 * binary, and what brought it down was not loading ICU, systeminformation's unused modules and
 * per-report child processes (agent/collect.ts, agent/linux-probes.ts).
 */
export const AGENT_NODE_ARGS = ["--max-old-space-size=64", "--max-semi-space-size=1"];

function newestMtime(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

export function agentBundleIsStale() {
  if (!fs.existsSync(AGENT_MANIFEST) || !fs.existsSync(AGENT_BUNDLE)) return true;
  const built = fs.statSync(AGENT_MANIFEST).mtimeMs;
  return newestMtime(AGENT_SOURCES) > built || fs.statSync(fileURLToPath(import.meta.url)).mtimeMs > built;
}

export async function buildAgent({ quiet = false } = {}) {
  const { build } = await import("esbuild");
  fs.mkdirSync(AGENT_DIST, { recursive: true });
  const tmp = path.join(AGENT_DIST, `.build-${process.pid}.cjs`);
  await build({
    entryPoints: [path.join(AGENT_SOURCES, "main.ts")],
    outfile: tmp,
    bundle: true,
    platform: "node",
    // CommonJS: systeminformation and ws are CommonJS, and a `.cjs` file is read as such whatever
    // package.json sits above it on the target.
    format: "cjs",
    target: "node18",
    // ws loads these native speed-ups when present and falls back to JavaScript without them.
    external: ["bufferutil", "utf-8-validate"],
    banner: { js: "#!/usr/bin/env node" },
    legalComments: "none",
    minifySyntax: true,
    minifyWhitespace: true,
    logLevel: quiet ? "error" : "warning",
  });
  // The bundle must run on its own: ask it its version from a folder with no node_modules.
  const probe = spawnSync(process.execPath, [tmp, "--version"], { cwd: "/", encoding: "utf8" });
  if (probe.status !== 0 || !/^\d+\.\d+\.\d+/.test(probe.stdout)) {
    fs.rmSync(tmp, { force: true });
    throw new Error(`the agent bundle does not run: ${probe.stderr || probe.stdout}`);
  }
  const version = probe.stdout.trim();
  fs.chmodSync(tmp, 0o755);
  fs.renameSync(tmp, AGENT_BUNDLE);
  const bytes = fs.readFileSync(AGENT_BUNDLE);
  const sha256 = crypto.createHash("sha256").update(bytes).digest("hex");
  const file = path.basename(AGENT_BUNDLE);
  fs.writeFileSync(`${AGENT_BUNDLE}.sha256`, `${sha256}  ${file}\n`);
  const manifest = { version, file, sha256, size: bytes.length, nodeArgs: AGENT_NODE_ARGS };
  fs.writeFileSync(AGENT_MANIFEST, JSON.stringify(manifest, null, 2) + "\n");
  if (!quiet) console.log(`fleetdeck: agent ${version} bundled → ${path.relative(root, AGENT_BUNDLE)} (${Math.round(bytes.length / 1024)} KiB)`);
  return manifest;
}

/** Builds the bundle when it is missing or older than agent/; returns the manifest. */
export async function ensureAgentBundle(opts) {
  if (agentBundleIsStale()) return buildAgent(opts);
  return JSON.parse(fs.readFileSync(AGENT_MANIFEST, "utf8"));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const ifNeeded = process.argv.includes("--if-needed");
  (ifNeeded ? ensureAgentBundle({ quiet: true }) : buildAgent()).catch((e) => {
    console.error(`fleetdeck: cannot bundle the agent: ${e.message}`);
    process.exit(1);
  });
}
