/**
 * Tactical RMM's JSON shapes of an agent, its command history and its pending updates, as zod
 * (the OpenAPI document is generated from these) and the functions that fill them from the
 * fleet's live state and rows. Field names follow Tactical RMM's serializers so that scripts
 * written for it read them unchanged; Fleetdeck-only fields are marked as such.
 */
import { z } from "zod";
import { agentStatus, type LiveEntry } from "../../fleet/live";
import { maintenance } from "../../fleet/alerts/maintenance";

/** `GET /agents/?detail=false` (Tactical RMM's AgentHostnameSerializer). */
export const trmmAgentBrief = z.object({
  id: z.number().int(),
  hostname: z.string(),
  agent_id: z.string(),
  client: z.string().describe("Client name"),
  site: z.string().describe("Site name"),
});

/** `GET /agents/` (the agent table's fields). */
export const trmmAgentRow = z.object({
  id: z.number().int(),
  agent_id: z.string(),
  hostname: z.string(),
  site_name: z.string(),
  client_name: z.string(),
  monitoring_type: z.enum(["server", "workstation"]),
  description: z.string(),
  status: z.enum(["online", "offline", "overdue"]),
  last_seen: z.string().nullable().describe("ISO 8601; null when the agent never reported"),
  boot_time: z.number().describe("Unix seconds"),
  plat: z.string().describe("windows, linux, darwin…"),
  goarch: z.string().describe("amd64, arm64, 386…"),
  operating_system: z.string(),
  public_ip: z.string(),
  cpu_model: z.array(z.string()),
  local_ips: z.string().describe("Comma-separated"),
  version: z.string().describe("Agent version"),
  needs_reboot: z
    .boolean()
    .describe(
      "The machine asks for a reboot: /var/run/reboot-required on Debian/Ubuntu, `needs-restarting -r` on RHEL-family. " +
        "false where the machine has no such signal (macOS, other Linux families, Windows agents of Fleetdeck) or the agent is older than protocol 3: see needs_reboot_known",
    ),
  has_patches_pending: z.boolean(),
  logged_username: z
    .string()
    .describe("The users logged in now (utmp, as `who` lists them), comma-separated; empty when nobody is, or when unknown (see logged_username_known)"),
  maintenance_mode: z
    .boolean()
    .describe(
      "Alerts of this agent are muted: its own switch (PUT /agents/{agent_id}/, admins), its client's or site's (Tactical RMM puts every agent of a client or site in maintenance), or a scheduled maintenance window of any of them active now",
    ),
  // Fleetdeck-only: what the two fields above cannot say themselves.
  needs_reboot_known: z.boolean().describe("Fleetdeck: false when needs_reboot cannot be known on this machine (see needs_reboot)"),
  logged_username_known: z.boolean().describe("Fleetdeck: false when the logged-in users cannot be known (no `who`, Windows, agent older than protocol 3)"),
  clock_skew_ms: z.number().int().nullable().describe("Fleetdeck: the machine's clock minus the panel's at its last report (network delay included); null before any report"),
});

/** `GET /agents/{agent_id}/`. */
export const trmmAgentDetail = trmmAgentRow.extend({
  client: z.string(),
  site: z.string(),
  total_ram: z.number().describe("GB"),
  // Fleetdeck-only:
  name: z.string().describe("Fleetdeck: the name the panel shows"),
  connected: z.boolean().describe("Fleetdeck: the agent's WebSocket is open now (commands can reach it)"),
  pending_updates: z.number().int().describe("Fleetdeck: updates found by the last scan"),
});

export const trmmHistoryItem = z.object({
  id: z.number().int(),
  time: z.string().describe("ISO 8601"),
  type: z.literal("cmd_run"),
  command: z.string(),
  username: z.string(),
  results: z.string().nullable().describe("Combined output; null while the command runs"),
  agent: z.string().describe("agent_id"),
  // Fleetdeck-only:
  shell: z.string(),
  timeout: z.number().int(),
  status: z.enum(["running", "done", "timeout", "failed"]),
  exit_code: z.number().int().nullable(),
  finished_at: z.string().nullable(),
});

export const trmmWinUpdate = z.object({
  id: z.number().int(),
  kb: z.string().describe("Windows KB number; always empty: Fleetdeck's agents report Linux/macOS package managers' updates, which have no KB"),
  title: z.string().describe("Package name and version from → to"),
  description: z.string(),
  severity: z
    .string()
    .describe('"security" or "normal" where the package manager says so (apt: offered by a -security suite; dnf/yum: updateinfo); empty where it cannot say (apk, pacman, brew, agents older than protocol 3)'),
  installed: z.boolean().describe("Always false: these are the updates still pending"),
  downloaded: z.boolean().describe("Always false: whether a package is already in the local cache is not reported"),
  action: z.string(),
  result: z.string(),
  date_installed: z.string().nullable(),
  // Fleetdeck-only: what the package manager reported.
  name: z.string(),
  current_version: z.string(),
  new_version: z.string(),
  source: z.string(),
  manager: z.string().describe("apt, dnf, yum, apk, pacman, brew…"),
  scanned_at: z.string(),
});

const GOARCH: Record<string, string> = { x64: "amd64", ia32: "386", arm64: "arm64", arm: "arm", ppc64: "ppc64le", s390x: "s390x", riscv64: "riscv64" };
const PLAT: Record<string, string> = { win32: "windows", darwin: "darwin", linux: "linux", freebsd: "freebsd" };

function operatingSystem(e: LiveEntry): string {
  const h = e.host;
  if (!h) return "";
  const bits = /64/.test(h.arch) ? "64 bit" : h.arch ? "32 bit" : "";
  const name = h.platformVersion || h.platform;
  const kernel = h.platform === "linux" && h.release ? ` (kernel ${h.release})` : "";
  return [name, bits].filter(Boolean).join(", ") + kernel;
}

export function agentBriefOf(e: LiveEntry): z.infer<typeof trmmAgentBrief> {
  return { id: e.meta.id, hostname: e.host?.hostname || e.meta.name, agent_id: e.meta.agentId, client: e.meta.client, site: e.meta.site };
}

export function agentRowOf(e: LiveEntry, pendingUpdates: number, now = Date.now()): z.infer<typeof trmmAgentRow> {
  const h = e.host;
  return {
    id: e.meta.id,
    agent_id: e.meta.agentId,
    hostname: h?.hostname || e.meta.name,
    site_name: e.meta.site,
    client_name: e.meta.client,
    monitoring_type: e.meta.monitoringType === "workstation" ? "workstation" : "server",
    description: e.meta.description,
    status: agentStatus(e, now),
    last_seen: e.lastActive === null ? null : new Date(e.lastActive).toISOString(),
    boot_time: h?.bootTime ?? 0,
    plat: h ? (PLAT[h.platform] ?? h.platform) : "",
    goarch: h ? (GOARCH[h.arch] ?? h.arch) : "",
    operating_system: operatingSystem(e),
    public_ip: h?.ipv4 || h?.ipv6 || e.lastIp,
    cpu_model: h?.cpu ?? [],
    local_ips: (h?.localIps ?? []).join(", "),
    version: h?.agentVersion ?? "",
    needs_reboot: e.state?.needsReboot === true,
    has_patches_pending: pendingUpdates > 0,
    logged_username: (e.state?.users ?? []).join(", "),
    maintenance_mode: maintenance.inMaintenance(e.meta, now),
    needs_reboot_known: typeof e.state?.needsReboot === "boolean",
    logged_username_known: Array.isArray(e.state?.users),
    clock_skew_ms: e.clockSkewMs === null ? null : Math.round(e.clockSkewMs),
  };
}

export function agentDetailOf(e: LiveEntry, pendingUpdates: number, now = Date.now()): z.infer<typeof trmmAgentDetail> {
  return {
    ...agentRowOf(e, pendingUpdates, now),
    client: e.meta.client,
    site: e.meta.site,
    total_ram: e.host ? Math.round((e.host.memTotal / 1024 ** 3) * 10) / 10 : 0,
    name: e.meta.name,
    connected: e.connected,
    pending_updates: pendingUpdates,
  };
}

type Status = z.infer<typeof trmmHistoryItem>["status"];
const STATUSES: readonly Status[] = ["running", "done", "timeout", "failed"];

export interface CommandRunRow {
  id: number;
  username: string;
  shell: string;
  command: string;
  timeout: number;
  status: string;
  exitCode: number | null;
  output: string;
  createdAt: Date;
  finishedAt: Date | null;
}

export function historyItemOf(run: CommandRunRow, agentId: string): z.infer<typeof trmmHistoryItem> {
  const status = STATUSES.find((s) => s === run.status) ?? "failed";
  return {
    id: run.id,
    time: run.createdAt.toISOString(),
    type: "cmd_run",
    command: run.command,
    username: run.username,
    results: status === "running" ? null : run.output,
    agent: agentId,
    shell: run.shell,
    timeout: run.timeout,
    status,
    exit_code: run.exitCode,
    finished_at: run.finishedAt?.toISOString() ?? null,
  };
}

export interface PendingUpdateRow {
  id: number;
  name: string;
  currentVersion: string;
  newVersion: string;
  source: string;
  manager: string;
  severity: string;
  scannedAt: Date;
}

export function winUpdateOf(u: PendingUpdateRow): z.infer<typeof trmmWinUpdate> {
  const versions = u.currentVersion ? `${u.currentVersion} → ${u.newVersion}` : u.newVersion;
  return {
    id: u.id,
    kb: "",
    title: versions ? `${u.name} ${versions}` : u.name,
    description: u.source ? `${u.manager} (${u.source})` : u.manager,
    severity: u.severity,
    installed: false,
    downloaded: false,
    action: "nothing",
    result: "n/a",
    date_installed: null,
    name: u.name,
    current_version: u.currentVersion,
    new_version: u.newVersion,
    source: u.source,
    manager: u.manager,
    scanned_at: u.scannedAt.toISOString(),
  };
}
