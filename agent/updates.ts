/**
 * `updates.scan`: lists pending package updates from the local package manager's cached metadata.
 * Never refreshes the metadata (no `apt-get update`): the scan makes no network assumptions.
 */
import type { PendingUpdate, RequestMap } from "./protocol";
import { runProcess } from "./process";
import { isRecord, which } from "./util";

type ScanResult = RequestMap["updates.scan"]["result"];

/** The whole scan (every process it runs) finishes within this time. */
export const SCAN_TIMEOUT_MS = 120_000;
const SCAN_MAX_BYTES = 8 * 1024 * 1024;

const C_ENV: NodeJS.ProcessEnv = { ...process.env, LC_ALL: "C", LANG: "C", LANGUAGE: "C" };

/** `pkg/source newver arch [upgradable from: oldver]` (apt list --upgradable). */
export function parseAptUpgradable(output: string): PendingUpdate[] {
  const updates: PendingUpdate[] = [];
  const re = /^([^\s/]+)\/(\S+)\s+(\S+)\s+\S+\s+\[upgradable from:\s*([^\]]+)\]/;
  for (const line of output.split("\n")) {
    const m = re.exec(line.trim());
    // The source lists the suites offering the version (e.g. "bookworm-security,bookworm-updates"):
    // one ending in -security means the archive published it as a security update.
    if (m) updates.push({ name: m[1], source: m[2], newVersion: m[3], currentVersion: m[4].trim(), severity: m[2].split(",").some((s) => s.endsWith("-security")) ? "security" : "normal" });
  }
  return updates;
}

/** `name.arch  version  repo` lines (dnf/yum check-update). */
export function parseDnfCheckUpdate(output: string): PendingUpdate[] {
  const updates: PendingUpdate[] = [];
  for (const raw of output.split("\n")) {
    const line = raw.trim();
    // Stop at the "Obsoleting Packages" section; skip headers and wrapped lines.
    if (/^obsoleting packages/i.test(line)) break;
    const parts = line.split(/\s+/);
    if (parts.length !== 3) continue;
    const [nameArch, version, repo] = parts;
    if (!/^[^\s]+\.[A-Za-z0-9_]+$/.test(nameArch) || !/\d/.test(version)) continue;
    const dot = nameArch.lastIndexOf(".");
    updates.push({ name: nameArch.slice(0, dot), newVersion: version, currentVersion: "", source: repo });
  }
  return updates;
}

/**
 * Package names from `dnf/yum updateinfo list --security` lines (`ADVISORY  TYPE  name-ver-rel.arch`).
 * The NEVRA's name is everything before its last two dash-separated parts.
 */
export function parseUpdateinfoSecurity(output: string): Set<string> {
  const names = new Set<string>();
  for (const raw of output.split("\n")) {
    const parts = raw.trim().split(/\s+/);
    if (parts.length < 3) continue;
    const nevra = parts[parts.length - 1];
    const m = /^(.+)-[^-]+-[^-]+$/.exec(nevra);
    if (m) names.add(m[1].replace(/^\d+:/, ""));
  }
  return names;
}

/** Marks dnf/yum results security/normal from updateinfo; leaves "" when updateinfo cannot say. */
async function addDnfSeverity(bin: string, updates: PendingUpdate[], deadline: number): Promise<void> {
  if (updates.length === 0) return;
  const r = await run(bin, ["updateinfo", "list", "--security", "-q", "-C"], deadline).catch(() => null);
  if (!r || r.exitCode !== 0) return;
  const security = parseUpdateinfoSecurity(r.output);
  for (const u of updates) u.severity = security.has(u.name) ? "security" : "normal";
}

/** `name-1.2.3-r0  <  1.2.4-r0` lines (apk version -l '<'). */
export function parseApkVersion(output: string): PendingUpdate[] {
  const updates: PendingUpdate[] = [];
  const re = /^(.+?)-(\d\S*)\s+<\s+(\S+)/;
  for (const line of output.split("\n")) {
    const m = re.exec(line.trim());
    if (m) updates.push({ name: m[1], currentVersion: m[2], newVersion: m[3], source: "" });
  }
  return updates;
}

/** `name old -> new` lines (pacman -Qu). */
export function parsePacmanQu(output: string): PendingUpdate[] {
  const updates: PendingUpdate[] = [];
  const re = /^(\S+)\s+(\S+)\s+->\s+(\S+)/;
  for (const line of output.split("\n")) {
    const m = re.exec(line.trim());
    if (m) updates.push({ name: m[1], currentVersion: m[2], newVersion: m[3], source: "" });
  }
  return updates;
}

/** `brew outdated --json=v2`. */
export function parseBrewOutdated(output: string): PendingUpdate[] {
  let doc: unknown;
  try {
    doc = JSON.parse(output);
  } catch {
    return [];
  }
  if (!isRecord(doc)) return [];
  const updates: PendingUpdate[] = [];
  for (const [key, source] of [
    ["formulae", "homebrew/core"],
    ["casks", "homebrew/cask"],
  ] as const) {
    const list = doc[key];
    if (!Array.isArray(list)) continue;
    for (const item of list) {
      if (!isRecord(item) || typeof item.name !== "string") continue;
      const installed = Array.isArray(item.installed_versions) ? item.installed_versions : [item.installed_versions];
      const current = installed.filter((v): v is string => typeof v === "string").join(", ");
      updates.push({
        name: item.name,
        currentVersion: current,
        newVersion: typeof item.current_version === "string" ? item.current_version : "",
        source,
      });
    }
  }
  return updates;
}

async function run(file: string, args: string[], deadline: number): Promise<{ output: string; exitCode: number | null }> {
  const timeoutMs = Math.max(1000, deadline - Date.now());
  const r = await runProcess(file, args, { timeoutMs, maxBytes: SCAN_MAX_BYTES, env: C_ENV });
  if (r.timedOut) throw new Error(`${file} ${args.join(" ")} did not finish within ${SCAN_TIMEOUT_MS / 1000} s`);
  return r;
}

/** Fills currentVersion from rpm for dnf/yum results (one rpm call; best effort). */
async function addRpmVersions(updates: PendingUpdate[], deadline: number): Promise<void> {
  const rpm = await which("rpm");
  if (!rpm || updates.length === 0) return;
  const names = [...new Set(updates.map((u) => u.name))];
  const r = await run(rpm, ["-q", "--qf", "%{NAME} %{VERSION}-%{RELEASE}\\n", ...names], deadline).catch(() => null);
  if (!r) return;
  const current = new Map<string, string>();
  for (const line of r.output.split("\n")) {
    const [name, version] = line.trim().split(" ");
    if (name && version && !current.has(name)) current.set(name, version);
  }
  for (const u of updates) u.currentVersion = current.get(u.name) ?? "";
}

export async function scanUpdates(): Promise<ScanResult> {
  const deadline = Date.now() + SCAN_TIMEOUT_MS;
  if (process.platform === "linux") {
    const apt = await which("apt");
    if (apt && (await which("dpkg"))) {
      const r = await run(apt, ["list", "--upgradable"], deadline);
      if (r.exitCode !== 0) throw new Error(`apt list --upgradable failed (exit ${r.exitCode}): ${r.output.trim().slice(0, 300)}`);
      return { manager: "apt", updates: parseAptUpgradable(r.output) };
    }
    for (const manager of ["dnf", "yum"] as const) {
      const bin = await which(manager);
      if (!bin) continue;
      // Exit code 100 = updates available, 0 = none; -C = cached metadata only.
      const r = await run(bin, ["check-update", "-q", "-C"], deadline);
      if (r.exitCode !== 0 && r.exitCode !== 100) {
        throw new Error(`${manager} check-update failed (exit ${r.exitCode}): ${r.output.trim().slice(0, 300)}`);
      }
      const updates = parseDnfCheckUpdate(r.output);
      await addRpmVersions(updates, deadline);
      await addDnfSeverity(bin, updates, deadline);
      return { manager, updates };
    }
    const apk = await which("apk");
    if (apk) {
      const r = await run(apk, ["version", "-l", "<"], deadline);
      return { manager: "apk", updates: parseApkVersion(r.output) };
    }
    const pacman = await which("pacman");
    if (pacman) {
      // Exit code 1 with no output = nothing to upgrade.
      const r = await run(pacman, ["-Qu"], deadline);
      return { manager: "pacman", updates: parsePacmanQu(r.output) };
    }
  }
  if (process.platform === "darwin" || process.platform === "linux") {
    const brew = await which("brew");
    if (brew) {
      const r = await run(brew, ["outdated", "--json=v2"], deadline);
      const jsonStart = r.output.indexOf("{");
      return { manager: "brew", updates: parseBrewOutdated(jsonStart >= 0 ? r.output.slice(jsonStart) : "") };
    }
  }
  return { manager: "none", updates: [] };
}
