import type { HostInfo, InstanceState, LiveState } from "../../agent/protocol";
import { db } from "../db";
import { singleton } from "../global";
import { countryOf } from "./geo";
import type { AgentHello } from "./hub";

/** The server fields every view and dialect shows (the database row, minus secrets). */
export interface ServerMeta {
  id: number;
  name: string;
  tag: string;
  note: string;
  hideForGuest: boolean;
  /** Tactical RMM's maintenance mode: the machine's alerts are muted (read by the alert engine). */
  maintenanceMode: boolean;
  displayIndex: number;
  agentId: string;
  isLocal: boolean;
  client: string;
  site: string;
  monitoringType: string;
  description: string;
  remarks: string;
  createdAt: Date;
}

export interface LiveEntry {
  meta: ServerMeta;
  host: HostInfo | null;
  state: LiveState | null;
  /** Unix ms of the last accepted report; null when the agent never reported. */
  lastActive: number | null;
  /** Estimated report interval (ms), learnt from the gaps between reports. */
  intervalMs: number;
  lastIp: string;
  /** Country of lastIp (Nezha's CountryCode); "" for a private or unknown address. */
  country: string;
  connected: boolean;
  instances: InstanceState[];
  /**
   * What the agent said of itself when it last connected: protocol, version and capabilities
   * (what its machine's owner allowed it to run). null until it connects after the panel started:
   * the agent then decides for itself when asked.
   */
  agent: AgentHello | null;
  /**
   * How far the machine's clock is ahead (+) or behind (−) of the panel's, from its last report
   * (network delay included, so a few hundred ms mean nothing); null before any report.
   */
  clockSkewMs: number | null;
  /** The agent process's own CPU use, percent of one CPU between its last two reports; null before two. */
  agentCpuPercent: number | null;
  /** Bumped whenever anything of this entry changes: keys caches of what is derived from it. */
  version: number;
}

const DEFAULT_INTERVAL_MS = 2_000;

/** Shared by every report without temperatures (most of them): one empty list, never written. */
const NO_TEMPERATURES: LiveState["temperatures"] = Object.freeze([]) as unknown as LiveState["temperatures"];

/**
 * The fields stateCopy and overwriteState carry: a field added to LiveState and not to them makes
 * the line below fail to compile, rather than be dropped from every report.
 */
type CarriedField =
  | "cpu" | "memUsed" | "memTotal" | "swapUsed" | "diskUsed" | "netInTransfer" | "netOutTransfer" | "netInSpeed" | "netOutSpeed"
  | "uptime" | "load1" | "load5" | "load15" | "tcpConnCount" | "udpConnCount" | "processCount" | "temperatures" | "process"
  | "users" | "needsReboot" | "instanceUsage";
const everyFieldCarried: [Record<Exclude<keyof LiveState, CarriedField>, never>, Record<Exclude<keyof LiveState["process"], "cpuMicros" | "memory">, never>] = [{}, {}];
void everyFieldCarried;

/** A server's first report, copied into an object of the one shape every entry's state has. */
function stateCopy(s: LiveState): LiveState {
  return {
    cpu: s.cpu, memUsed: s.memUsed, memTotal: s.memTotal, swapUsed: s.swapUsed, diskUsed: s.diskUsed,
    netInTransfer: s.netInTransfer, netOutTransfer: s.netOutTransfer, netInSpeed: s.netInSpeed, netOutSpeed: s.netOutSpeed,
    uptime: s.uptime, load1: s.load1, load5: s.load5, load15: s.load15, tcpConnCount: s.tcpConnCount, udpConnCount: s.udpConnCount,
    processCount: s.processCount, temperatures: s.temperatures.length ? s.temperatures : NO_TEMPERATURES,
    process: { cpuMicros: s.process.cpuMicros, memory: s.process.memory },
    users: s.users, needsReboot: s.needsReboot, instanceUsage: s.instanceUsage,
  };
}

/**
 * Lays a report over the previous one held for its server, field by field. Keeping each new
 * report's object instead would hand the garbage collector 10,000 of them every few seconds with
 * 10,000 agents, each living just long enough (until the next report) to be moved to the old
 * generation: the panel's heap then grows by hundreds of MiB between collections.
 */
function overwriteState(t: LiveState, s: LiveState): void {
  t.cpu = s.cpu;
  t.memUsed = s.memUsed;
  t.memTotal = s.memTotal;
  t.swapUsed = s.swapUsed;
  t.diskUsed = s.diskUsed;
  t.netInTransfer = s.netInTransfer;
  t.netOutTransfer = s.netOutTransfer;
  t.netInSpeed = s.netInSpeed;
  t.netOutSpeed = s.netOutSpeed;
  t.uptime = s.uptime;
  t.load1 = s.load1;
  t.load5 = s.load5;
  t.load15 = s.load15;
  t.tcpConnCount = s.tcpConnCount;
  t.udpConnCount = s.udpConnCount;
  t.processCount = s.processCount;
  t.temperatures = s.temperatures.length ? s.temperatures : NO_TEMPERATURES;
  t.process.cpuMicros = s.process.cpuMicros;
  t.process.memory = s.process.memory;
  t.users = s.users;
  t.needsReboot = s.needsReboot;
  t.instanceUsage = s.instanceUsage;
}
/** Tactical RMM's "overdue": offline for this long. */
export const OVERDUE_AFTER_MS = 30 * 60_000;

/**
 * Offline after about three missed reports (never sooner than 5 s, never later than a minute).
 * The one definition of online used by every view and every dialect.
 */
export function offlineAfterMs(entry: LiveEntry): number {
  return Math.min(60_000, Math.max(5_000, entry.intervalMs * 3 + 1_000));
}

export function isOnline(entry: LiveEntry, now = Date.now()): boolean {
  return entry.lastActive !== null && now - entry.lastActive <= offlineAfterMs(entry);
}

/**
 * Whether the server's agent may do this: true, false (its owner did not allow it: refuse at
 * once), or null (unknown — not connected since the panel started, or an agent too old to say:
 * ask it, it refuses itself).
 */
export function capability(entry: LiveEntry, what: "commands" | "instances"): boolean | null {
  return entry.agent?.capabilities[what] ?? null;
}

export type AgentStatus = "online" | "offline" | "overdue";
export function agentStatus(entry: LiveEntry, now = Date.now()): AgentStatus {
  if (isOnline(entry, now)) return "online";
  return entry.lastActive !== null && now - entry.lastActive > OVERDUE_AFTER_MS ? "overdue" : "offline";
}

type ServerRow = Omit<ServerMeta, "maintenanceMode"> & { maintenanceMode?: boolean; hostJson?: string | null; lastActive?: Date | null; lastIp?: string };

function metaOf(row: ServerRow): ServerMeta {
  return {
    id: row.id, name: row.name, tag: row.tag, note: row.note, hideForGuest: row.hideForGuest, maintenanceMode: row.maintenanceMode ?? false,
    displayIndex: row.displayIndex, agentId: row.agentId, isLocal: row.isLocal, client: row.client,
    site: row.site, monitoringType: row.monitoringType, description: row.description, remarks: row.remarks,
    createdAt: row.createdAt,
  };
}

/** Stable order for every list: higher display index first (as Nezha shows it), then id. */
function byDisplayOrder(a: LiveEntry, b: LiveEntry): number {
  return b.meta.displayIndex - a.meta.displayIndex || a.meta.id - b.meta.id;
}

/**
 * Latest state of every server, in memory (as Nezha keeps it): reads of the documented endpoints
 * never touch the history tables. The database stays the source of truth for the servers
 * themselves and keeps the last host report and last-active time across restarts.
 */
export class LiveStore {
  private entries = new Map<number, LiveEntry>();
  private sorted: LiveEntry[] | null = null;
  private loading: Promise<void> | null = null;
  /** Bumped on every change: lets callers cache what they derive (serialized answers). */
  generation = 0;
  /** The stamp of lists cached for a tick (lib/http/encoded.ts TickCache): what they must not be stale about. */
  get listStamp(): string {
    return `${this.metaGeneration}:${this.presenceGeneration}`;
  }
  /** Bumped only when servers are added, removed or edited (not by reports). */
  metaGeneration = 0;
  /**
   * Bumped when an agent connects, disconnects, or reports its host or instances (rare; never by
   * the metrics reports):
   * with metaGeneration, what a list cached for a tick must never be stale about.
   */
  presenceGeneration = 0;
  /** Called when a server is deleted or its secret rotated: its agent must be cut off. */
  onRevoke: (serverId: number) => void = () => undefined;
  /** Called when this process edits, removes or re-keys a server (lib/fleet/cluster.ts tells the others). */
  onMetaChange: (kind: "m" | "r" | "k", serverId: number) => void = () => undefined;
  /** Called with each accepted state report (history, subscribers). */
  onReport: (entry: LiveEntry, at: number) => void = () => undefined;

  /** Loads the servers from the database once per process. */
  ready(): Promise<void> {
    return (this.loading ??= (async () => {
      const rows = await db.server.findMany();
      for (const row of rows) {
        if (this.entries.has(row.id)) continue;
        let host: HostInfo | null = null;
        try {
          host = row.hostJson ? (JSON.parse(row.hostJson) as HostInfo) : null;
        } catch {
          host = null;
        }
        this.entries.set(row.id, {
          meta: metaOf(row), host, state: null, lastActive: row.lastActive?.getTime() ?? null,
          intervalMs: DEFAULT_INTERVAL_MS, lastIp: row.lastIp, country: countryOf(row.lastIp), connected: false, instances: [], agent: null, clockSkewMs: null, agentCpuPercent: null, version: 0,
        });
      }
      this.changed(undefined, true);
    })());
  }

  /**
   * Change watchers (the UI's push stream): each holds the ids changed since it last looked. The
   * ingest path only adds an id to a set that already exists: no allocation per report.
   */
  private watchers: Set<number>[] = [];

  /**
   * Records the ids of entries that change (reports, connects, edits, removals) from now on.
   * `take()` hands them over and starts a new set; `stop()` ends the recording.
   */
  watch(): { take(): Set<number>; stop(): void } {
    const w = { set: new Set<number>() };
    this.watchers.push(w.set);
    return {
      take: () => {
        const taken = w.set;
        w.set = new Set();
        this.watchers[this.watchers.indexOf(taken)] = w.set;
        return taken;
      },
      stop: () => {
        this.watchers = this.watchers.filter((s) => s !== w.set);
      },
    };
  }

  private changed(entry?: LiveEntry, meta = false): void {
    if (entry) {
      entry.version++;
      for (const w of this.watchers) w.add(entry.meta.id);
    }
    if (meta) {
      this.sorted = null;
      this.metaGeneration++;
    }
    this.generation++;
  }

  get(id: number): LiveEntry | undefined {
    return this.entries.get(id);
  }

  /**
   * Something shown with this entry changed outside it (its maintenance state, by a scheduled
   * window or its client's or site's switch): what is derived from it must be redrawn (its version
   * and the list stamp move, watchers are told). Nothing is sent to other panel processes.
   */
  touch(id: number): void {
    const e = this.entries.get(id);
    if (e) this.changed(e, true);
  }

  byAgentId(agentId: string): LiveEntry | undefined {
    for (const e of this.entries.values()) if (e.meta.agentId === agentId) return e;
    return undefined;
  }

  /** Every server in display order (cached until something changes). */
  all(): LiveEntry[] {
    return (this.sorted ??= [...this.entries.values()].sort(byDisplayOrder));
  }

  upsertServer(row: ServerRow): void {
    let entry = this.entries.get(row.id);
    if (entry) entry.meta = metaOf(row);
    else {
      entry = {
        meta: metaOf(row), host: null, state: null, lastActive: null, intervalMs: DEFAULT_INTERVAL_MS,
        lastIp: "", country: "", connected: false, instances: [], agent: null, clockSkewMs: null, agentCpuPercent: null, version: 0,
      };
      this.entries.set(row.id, entry);
    }
    this.changed(entry, true);
    this.onMetaChange("m", row.id);
  }

  removeServer(id: number): void {
    this.entries.delete(id);
    this.persisted.delete(id);
    for (const w of this.watchers) w.add(id);
    this.changed(undefined, true);
    this.onRevoke(id);
    this.onMetaChange("r", id);
  }

  secretChanged(id: number): void {
    this.onRevoke(id);
    this.onMetaChange("k", id);
  }

  /**
   * What another panel process reports of an agent it holds (lib/fleet/cluster.ts), applied
   * without the local side effects (history, database writes): those are the holder's.
   */
  applyRemote(
    id: number,
    patch: { connected?: boolean; lastIp?: string; host?: HostInfo; instances?: InstanceState[]; state?: LiveState; intervalMs?: number; agent?: AgentHello | null },
  ): void {
    const e = this.entries.get(id);
    if (!e) return;
    if (patch.connected !== undefined || patch.host || patch.instances || patch.agent !== undefined) this.presenceGeneration++;
    if (patch.agent !== undefined) e.agent = patch.agent;
    if (patch.connected !== undefined) e.connected = patch.connected;
    if (patch.lastIp !== undefined) e.lastIp = patch.lastIp;
    if (patch.host) e.host = patch.host;
    if (patch.instances) e.instances = patch.instances;
    if (patch.intervalMs) e.intervalMs = patch.intervalMs;
    if (patch.state) {
      e.state = patch.state;
      e.lastActive = Date.now();
      // The holder persists last-active times of its agents: not this process.
      this.persisted.set(id, e.lastActive);
    }
    this.changed(e);
  }

  connected(id: number, ip: string): void {
    const e = this.entries.get(id);
    if (!e) return;
    e.connected = true;
    e.lastIp = ip;
    e.country = countryOf(ip);
    this.presenceGeneration++;
    this.changed(e);
  }

  agentHello(id: number, hello: AgentHello): void {
    const e = this.entries.get(id);
    if (!e) return;
    e.agent = hello;
    this.changed(e);
  }

  disconnected(id: number): void {
    const e = this.entries.get(id);
    if (!e) return;
    e.connected = false;
    this.presenceGeneration++;
    this.changed(e);
  }

  hostReported(id: number, host: HostInfo): void {
    const e = this.entries.get(id);
    if (!e) return;
    e.host = host;
    this.presenceGeneration++;
    this.changed(e);
    void db.server.update({ where: { id }, data: { hostJson: JSON.stringify(host), lastIp: e.lastIp } }).catch(() => undefined);
  }

  stateReported(id: number, state: LiveState, at: number, skewMs = 0): void {
    const e = this.entries.get(id);
    if (!e) return;
    const now = Date.now();
    if (e.lastActive !== null) {
      const gap = now - e.lastActive;
      // An exponential average of the gaps; long gaps are outages, not the cadence.
      if (gap > 0 && gap < 60_000) e.intervalMs = Math.round(e.intervalMs * 0.7 + gap * 0.3);
    }
    if (e.state && e.lastActive !== null && now > e.lastActive && state.process.cpuMicros >= e.state.process.cpuMicros) {
      e.agentCpuPercent = ((state.process.cpuMicros - e.state.process.cpuMicros) / 1000 / (now - e.lastActive)) * 100;
    }
    if (e.state) overwriteState(e.state, state);
    else e.state = stateCopy(state);
    e.lastActive = now;
    e.clockSkewMs = skewMs;
    this.changed(e);
    this.onReport(e, at);
  }

  instancesReported(id: number, instances: InstanceState[]): void {
    const e = this.entries.get(id);
    if (!e) return;
    e.instances = instances;
    this.presenceGeneration++;
    this.changed(e);
  }

  /** What persistLastActive last wrote per server, so an idle server costs no write. */
  private persisted = new Map<number, number>();

  /**
   * Persists last-active times (so "last seen" survives a restart); called periodically. Only the
   * servers that reported since the last call, to the second (what "last seen" shows; memory keeps
   * the millisecond): one UPDATE per second of the interval with the ids that last reported in
   * it, a few dozen statements a minute in one transaction however many agents report. (One
   * update per server cost 10,000 statements a minute with 10,000 agents, about 85 ms of CPU
   * per 500 and the garbage of each statement's query plan.)
   */
  async persistLastActive(): Promise<void> {
    const bySecond = new Map<number, number[]>();
    const written: [number, number][] = [];
    for (const e of this.entries.values()) {
      if (e.lastActive === null || this.persisted.get(e.meta.id) === e.lastActive) continue;
      const second = Math.floor(e.lastActive / 1000) * 1000;
      let ids = bySecond.get(second);
      if (!ids) bySecond.set(second, (ids = []));
      ids.push(e.meta.id);
      written.push([e.meta.id, e.lastActive]);
    }
    if (!written.length) return;
    const updates: { second: number; ids: number[] }[] = [];
    for (const [second, ids] of bySecond) for (let i = 0; i < ids.length; i += 500) updates.push({ second, ids: ids.slice(i, i + 500) });
    for (let i = 0; i < updates.length; i += 100) {
      const chunk = updates.slice(i, i + 100);
      try {
        // On PostgreSQL each update is a round trip to the server: many of them on a busy host can
        // outlast Prisma's default 5 s transaction timeout.
        await db.$transaction(
          chunk.map((u) => db.server.updateMany({ where: { id: { in: u.ids } }, data: { lastActive: new Date(u.second) } })),
          { timeout: 30_000 },
        );
      } catch (e) {
        console.error("fleetdeck: could not save last-active times (kept in memory, retried next time):", e);
        return;
      }
      await new Promise((r) => setImmediate(r));
    }
    for (const [id, at] of written) this.persisted.set(id, at);
  }
}

export const live: LiveStore = singleton("liveStore", () => new LiveStore());
