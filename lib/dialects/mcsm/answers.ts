import os from "node:os";
import { z } from "zod";
import { live, isOnline, type LiveEntry } from "../../fleet/live";
import { instancesOf, instanceState } from "../../fleet/instances";
import { db } from "../../db";
import { config } from "../../env";
import { ApiError } from "../guard";
import { remoteServicesSystemJson } from "./daemons";
import { daemonIdentity, daemonIdentityOf, daemonSystem, instanceDetail, instanceDetailOf, MCSM_STATUS, statusOfCode } from "./shapes";

/** The MCSManager answers that are not on the hot path: built per request from live state and the database. */

export function remoteServicesList(): z.infer<typeof daemonIdentity>[] {
  const now = Date.now();
  return live.all().map((e) => daemonIdentityOf(e, now));
}

export const remoteServicesItem = daemonIdentity.extend({ instances: z.array(instanceDetail) });

export async function remoteServices(): Promise<z.infer<typeof remoteServicesItem>[]> {
  const now = Date.now();
  const rows = await db.instance.findMany({ orderBy: { id: "asc" } });
  const byServer = new Map<number, typeof rows>();
  for (const r of rows) {
    const list = byServer.get(r.serverId);
    if (list) list.push(r);
    else byServer.set(r.serverId, [r]);
  }
  return live.all().map((e) => {
    const identity = daemonIdentityOf(e, now);
    // MCSManager cannot ask an unreachable daemon for its instances: its list is empty.
    const rows = identity.available ? (byServer.get(e.meta.id) ?? []) : [];
    return { ...identity, instances: rows.map((r) => instanceDetailOf(r, instanceState(e.meta.id, r.uuid), e, now)) };
  });
}

const MAX_PAGE_SIZE = 100;

function positiveInt(value: string | undefined, name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined || value.trim() === "") return fallback;
  if (!/^\s*\d{1,9}\s*$/.test(value) || Number(value) < 1) throw new ApiError(400, `${name} must be a whole number ≥ 1, not "${value}"`);
  return Math.min(Number(value), max);
}

/**
 * A daemon's instances, as MCSManager's daemon pages them: `page` is 1-based, `page_size` capped,
 * `instance_name` a case-insensitive substring, `status` one of MCSManager's codes; empty = no filter.
 */
export async function selectInstances(
  daemon: LiveEntry,
  q: { page?: string; page_size?: string; instance_name?: string; status?: string },
) {
  const page = positiveInt(q.page, "page", 1);
  const pageSize = positiveInt(q.page_size, "page_size", 10, MAX_PAGE_SIZE);
  let wanted: ReturnType<typeof statusOfCode> | "busy" | null = null;
  if (q.status !== undefined && q.status.trim() !== "") {
    const code = /^\s*-?\d\s*$/.test(q.status) ? Number(q.status) : NaN;
    if (code === -1) wanted = "busy";
    else {
      wanted = statusOfCode(code);
      if (!wanted) throw new ApiError(400, `status must be one of -1, 0, 1, 2, 3, not "${q.status}"`);
    }
  }
  const name = q.instance_name?.trim().toLowerCase() ?? "";
  const now = Date.now();
  const all = (await instancesOf(daemon.meta.id))
    .filter((r) => !name || r.name.toLowerCase().includes(name))
    .map((r) => instanceDetailOf(r, instanceState(daemon.meta.id, r.uuid), daemon, now))
    // Fleetdeck instances are never "busy" (-1): that filter matches nothing.
    .filter((d) => wanted === null || (wanted !== "busy" && d.status === MCSM_STATUS[wanted]));
  const maxPage = Math.max(1, Math.ceil(all.length / pageSize));
  return { page, pageSize, maxPage, total: all.length, data: all.slice((page - 1) * pageSize, page * pageSize) };
}

// ---- /api/overview --------------------------------------------------------------------------------

const PANEL_VERSION = config().npm_package_version ?? "0.1.0";

export const overviewSchema = z.object({
  version: z.string(),
  specifiedDaemonVersion: z.string(),
  process: z.object({ cpu: z.number().int(), memory: z.number().int(), cwd: z.string() }),
  record: z.object({ logined: z.number().int(), illegalAccess: z.number().int(), banips: z.number().int(), loginFailed: z.number().int() }),
  system: z.object({
    user: z.object({ uid: z.number().int(), gid: z.number().int(), username: z.string(), homedir: z.string(), shell: z.string().nullable() }),
    time: z.number().int(),
    totalmem: z.number().int(),
    freemem: z.number().int(),
    type: z.string(),
    version: z.string(),
    node: z.string(),
    hostname: z.string(),
    loadavg: z.array(z.number()),
    platform: z.string(),
    release: z.string(),
    uptime: z.number().int(),
    cpu: z.number().min(0).max(1),
  }),
  chart: z.object({ system: z.array(z.object({ cpu: z.number(), mem: z.number() })), request: z.array(z.unknown()) }),
  remoteCount: z.object({ available: z.number().int(), total: z.number().int() }),
  remote: z.array(daemonSystem),
});

function userInfo() {
  try {
    const u = os.userInfo();
    return { uid: u.uid, gid: u.gid, username: u.username, homedir: u.homedir, shell: u.shell };
  } catch {
    // A uid with no passwd entry (some containers) makes os.userInfo() throw.
    return { uid: -1, gid: -1, username: "", homedir: "", shell: null };
  }
}

/**
 * The panel's own machine, with its daemons appended as the cached remote_services_system array
 * (online daemons only; `remoteCount` still counts every daemon).
 */
export function overviewJson(): string {
  const now = Date.now();
  const entries = live.all();
  const local = entries.find((e) => e.meta.isLocal);
  const cpu = process.cpuUsage();
  const totalmem = os.totalmem();
  const freemem = os.freemem();
  const head = {
    version: PANEL_VERSION,
    specifiedDaemonVersion: local?.host?.agentVersion ?? "",
    process: { cpu: cpu.user + cpu.system, memory: process.memoryUsage().rss, cwd: process.cwd() },
    // Fleetdeck keeps these in its audit log, not as counters.
    record: { logined: 0, illegalAccess: 0, banips: 0, loginFailed: 0 },
    system: {
      user: userInfo(),
      time: now,
      totalmem,
      freemem,
      type: os.type(),
      version: os.version(),
      node: process.version,
      hostname: os.hostname(),
      loadavg: os.loadavg(),
      platform: process.platform,
      release: os.release(),
      uptime: Math.round(os.uptime()),
      cpu: Math.min(1, Math.max(0, (local?.state?.cpu ?? 0) / 100)),
    },
    chart: { system: [{ cpu: Math.round(local?.state?.cpu ?? 0), mem: totalmem ? Math.round(((totalmem - freemem) / totalmem) * 1000) / 10 : 0 }], request: [] },
    remoteCount: { available: entries.filter((e) => isOnline(e, now)).length, total: entries.length },
  } satisfies Omit<z.infer<typeof overviewSchema>, "remote">;
  const json = JSON.stringify(head);
  return `${json.slice(0, -1)},"remote":${remoteServicesSystemJson(now)}}`;
}
