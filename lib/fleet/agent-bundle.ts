/**
 * The agent bundle this panel serves (dist/agent, written by scripts/build-agent.mjs): its
 * manifest and bytes, re-read when the build replaces them. lib/agent-endpoints.ts serves them;
 * the UI shows the version beside each agent's.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

interface Manifest {
  version: string;
  file: string;
  sha256: string;
  size: number;
  nodeArgs: string[];
}

const DIST = () => path.join(process.cwd(), "dist/agent");

/** The current bundle, re-read when the build replaced it (under `npm run dev` it can change). */
let cached: { mtimeMs: number; manifest: Manifest; bytes: Buffer; latest: string } | null = null;
/** The mtime of a manifest whose bundle did not match it (logged and refused once). */
let mismatchLogged = 0;

export function currentBundle(): typeof cached {
  const manifestFile = path.join(DIST(), "manifest.json");
  let mtimeMs: number;
  try {
    mtimeMs = fs.statSync(manifestFile).mtimeMs;
  } catch {
    return null;
  }
  if (cached?.mtimeMs === mtimeMs) return cached;
  if (mismatchLogged === mtimeMs) return null;
  const manifest = JSON.parse(fs.readFileSync(manifestFile, "utf8")) as Manifest;
  const bytes = fs.readFileSync(path.join(DIST(), manifest.file));
  // Never publish a checksum the served bytes do not have (the file replaced by hand, a build
  // interrupted between the two writes): installers and self-updating agents would refuse it.
  const sha256 = crypto.createHash("sha256").update(bytes).digest("hex");
  if (sha256 !== manifest.sha256 || bytes.length !== manifest.size) {
    console.error(`fleetdeck: dist/agent/${manifest.file} does not match dist/agent/manifest.json: not serving it (rebuild with node scripts/build-agent.mjs)`);
    mismatchLogged = mtimeMs;
    return null;
  }
  const latest = JSON.stringify({
    version: manifest.version,
    url: bundleName(manifest.version),
    sha256: manifest.sha256,
    size: manifest.size,
    nodeArgs: manifest.nodeArgs,
  });
  cached = { mtimeMs, manifest, bytes, latest };
  return cached;
}

/** The agent version this panel serves (null when the bundle is not built), for the UI. */
export function servedAgentVersion(): string | null {
  try {
    return currentBundle()?.manifest.version ?? null;
  } catch {
    return null;
  }
}

export function bundleName(version: string): string {
  return `fleetdeck-agent-${version}.cjs`;
}
