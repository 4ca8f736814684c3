/**
 * Service monitors (Nezha's model): HTTP(S) GET, ICMP ping and TCP connect checks that agents run
 * and report. The panel keeps the latest result of every (monitor, server) in memory, per-minute
 * averages and loss for a day, hourly ones for 30 days, and nothing older.
 */
import net from "node:net";
import { z } from "zod";
import type { MonitorResult, MonitorTask } from "../../agent/protocol";
import { db } from "../db";
import { audit } from "../audit";
import { singleton } from "../global";
import type { Principal } from "../auth/principal";
import type { Actor } from "./actor";
import { forbidden, invalid, notFound, parseInput } from "./errors";
import { can, canList, isAdmin, listsAll, requirePermission, seesWholeFleet } from "./policy";
import { live } from "./live";
import { cacheChanged, onPeerReload } from "./cluster";

export const MONITOR_TYPES = { http: 1, icmp: 2, tcp: 3 } as const;
export type MonitorType = 1 | 2 | 3;
export const MIN_INTERVAL_SEC = 10;

/** A host name or address a probe may be pointed at; never an option-looking word ("-f"). */
function isHost(host: string): boolean {
  if (net.isIP(host)) return true;
  return /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*\.?$/.test(host);
}

/** `host:port` or `[v6]:port` → its parts, or null. */
export function parseHostPort(target: string): { host: string; port: number } | null {
  const m = /^\[([0-9A-Fa-f:.]+)\]:(\d{1,5})$/.exec(target) ?? /^([^:\s]+):(\d{1,5})$/.exec(target);
  if (!m) return null;
  const port = Number(m[2]);
  if (port < 1 || port > 65535 || !isHost(m[1])) return null;
  return { host: m[1], port };
}

/** Why a target does not suit a monitor type, or null when it does. */
export function targetProblem(type: number, target: string): string | null {
  if (type === MONITOR_TYPES.http) {
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      return "must be an http:// or https:// URL";
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") return "must be an http:// or https:// URL";
    if (!url.hostname) return "must name a host";
    return null;
  }
  if (type === MONITOR_TYPES.icmp) return isHost(target) ? null : "must be a host name or an IP address";
  if (type === MONITOR_TYPES.tcp) return parseHostPort(target) ? null : "must be host:port (port 1–65535)";
  return null;
}

const latency = z.number().min(0, "must be at least 0 ms").max(600_000, "must be at most 600000 ms").nullable().default(null);

export const monitorInputSchema = z
  .object({
    name: z.string().trim().min(1, "Name is required").max(100),
    type: z.union([z.literal(1), z.literal(2), z.literal(3)], { error: "must be 1 (HTTP GET), 2 (ICMP ping) or 3 (TCP connect)" }),
    target: z.string().trim().min(1, "Target is required").max(2048),
    intervalSec: z.number().int("must be whole seconds").min(MIN_INTERVAL_SEC, `must be at least ${MIN_INTERVAL_SEC} seconds`).max(86_400).default(30),
    cover: z.union([z.literal(0), z.literal(1)]).default(0),
    serverIds: z.array(z.number().int().positive()).max(10_000).default([]),
    minLatency: latency,
    maxLatency: latency,
    enabled: z.boolean().default(true),
  })
  .superRefine((m, ctx) => {
    const problem = targetProblem(m.type, m.target);
    if (problem) ctx.addIssue({ code: "custom", path: ["target"], message: problem });
    if (m.minLatency !== null && m.maxLatency !== null && m.minLatency > m.maxLatency) {
      ctx.addIssue({ code: "custom", path: ["maxLatency"], message: "must not be below the minimum latency" });
    }
  });
export type MonitorInput = z.input<typeof monitorInputSchema>;

export interface MonitorDef {
  id: number;
  name: string;
  type: MonitorType;
  target: string;
  intervalSec: number;
  cover: 0 | 1;
  serverIds: number[];
  minLatency: number | null;
  maxLatency: number | null;
  enabled: boolean;
}

type MonitorRow = Awaited<ReturnType<typeof db.monitor.findMany>>[number];

const idList = (s: string): number[] => s.split(",").filter(Boolean).map(Number).filter(Number.isSafeInteger);

function defOf(row: MonitorRow): MonitorDef {
  return {
    id: row.id, name: row.name, type: row.type as MonitorType, target: row.target, intervalSec: row.intervalSec,
    cover: row.cover === 1 ? 1 : 0, serverIds: idList(row.serverIds), minLatency: row.minLatency, maxLatency: row.maxLatency, enabled: row.enabled,
  };
}

/** Whether a server runs a monitor: cover 0 = every server except the list, 1 = only the list. */
export function covers(m: Pick<MonitorDef, "cover" | "serverIds" | "enabled">, serverId: number): boolean {
  if (!m.enabled) return false;
  const listed = m.serverIds.includes(serverId);
  return m.cover === 1 ? listed : !listed;
}

// ---- the definitions, cached (agents and alert rules read them on every result) -----------------

interface Registry {
  byId: Map<number, MonitorDef>;
  loading: Promise<void> | null;
  version: number;
  listeners: Set<() => void>;
}

const registry = singleton<Registry>("monitorRegistry", () => ({ byId: new Map(), loading: null, version: 0, listeners: new Set() }));

export function monitorsReady(): Promise<void> {
  return (registry.loading ??= (async () => {
    for (const row of await db.monitor.findMany()) registry.byId.set(row.id, defOf(row));
    registry.version++;
  })());
}

export const monitorById = (id: number): MonitorDef | undefined => registry.byId.get(id);
export const allMonitors = (): MonitorDef[] => [...registry.byId.values()].sort((a, b) => a.id - b.id);

/** The monitors one server must run (what the panel sends its agent). */
export function monitorsOfServer(serverId: number): MonitorDef[] {
  return allMonitors().filter((m) => covers(m, serverId));
}

/** The same, as the agent protocol's tasks. */
export function monitorTasksOf(serverId: number): MonitorTask[] {
  return monitorsOfServer(serverId).map((m) => ({ id: m.id, type: m.type, target: m.target, intervalSec: m.intervalSec }));
}

/** Called after any monitor changes (the agent hub re-sends each agent its monitors). */
export function onMonitorsChanged(listener: () => void): () => void {
  registry.listeners.add(listener);
  return () => registry.listeners.delete(listener);
}

/** Monitors changed here: listeners here, and every other process reloads them (reloadFromPeer). */
function changed(): void {
  tellListeners();
  cacheChanged("monitors");
}

/** Another panel process changed the monitors: read them again, then as for a change made here. */
function reloadFromPeer(): void {
  void (async () => {
    await monitorsReady();
    const rows = await db.monitor.findMany();
    registry.byId.clear();
    for (const row of rows) registry.byId.set(row.id, defOf(row));
    tellListeners();
  })().catch((e) => console.error("fleetdeck: monitors reload:", e));
}
onPeerReload("monitors", reloadFromPeer);

function tellListeners(): void {
  registry.version++;
  for (const l of registry.listeners) {
    try {
      l();
    } catch (e) {
      console.error("fleetdeck: monitor change listener failed:", e);
    }
  }
}

const dataOf = (m: z.output<typeof monitorInputSchema>) => ({ ...m, serverIds: [...new Set(m.serverIds)].join(",") });

/**
 * Who may add, change or delete a monitor: admins, and users with the monitoring grant for a
 * monitor that runs only on machines they may list (every machine, when they see the whole fleet).
 */
export function mayManageMonitor(p: Principal, m: Pick<MonitorDef, "cover" | "serverIds">): boolean {
  if (isAdmin(p) || seesWholeFleet(p)) return true;
  return m.cover === 1 && listsAll(p, m.serverIds);
}

/** A new or changed monitor a non-admin may not make: field errors saying why. */
function checkReach(p: Principal, m: Pick<MonitorDef, "cover" | "serverIds">): void {
  if (mayManageMonitor(p, m)) return;
  if (m.cover !== 1) throw invalid("cover: you may run monitors only on the servers you list (cover 1)", { cover: ["must be 1 (only the listed servers): you may not reach every server"] });
  throw invalid("serverIds: names a server you may not list", { serverIds: ["names a server you may not list"] });
}

export async function createMonitor(p: Principal, actor: Actor, input: unknown): Promise<MonitorDef> {
  requirePermission(p, "canManageMonitoring");
  const m = parseInput(monitorInputSchema, input);
  await Promise.all([monitorsReady(), live.ready()]);
  checkReach(p, m);
  const row = await db.monitor.create({ data: dataOf(m) });
  registry.byId.set(row.id, defOf(row));
  changed();
  await audit({ action: "monitor.create", actorId: actor.id, actorName: actor.name, target: row.name, detail: `#${row.id} type=${row.type} ${row.target}`, ip: actor.ip });
  return defOf(row);
}

export async function updateMonitor(p: Principal, actor: Actor, id: number, patch: unknown): Promise<MonitorDef> {
  requirePermission(p, "canManageMonitoring");
  await Promise.all([monitorsReady(), live.ready()]);
  const current = registry.byId.get(id);
  if (!current) throw notFound("monitor", "No such monitor");
  if (!mayManageMonitor(p, current)) throw forbidden("This monitor runs on servers outside your access");
  // Validated as a whole (a new type must suit the target it keeps, and the reverse).
  const m = parseInput(monitorInputSchema, { ...current, ...(typeof patch === "object" && patch ? patch : {}) });
  checkReach(p, m);
  const row = await db.monitor.update({ where: { id }, data: dataOf(m) });
  registry.byId.set(id, defOf(row));
  changed();
  await audit({ action: "monitor.update", actorId: actor.id, actorName: actor.name, target: row.name, detail: `#${id}`, ip: actor.ip });
  return defOf(row);
}

export async function deleteMonitor(p: Principal, actor: Actor, id: number): Promise<void> {
  requirePermission(p, "canManageMonitoring");
  await Promise.all([monitorsReady(), live.ready()]);
  const current = registry.byId.get(id);
  if (!current) throw notFound("monitor", "No such monitor");
  if (!mayManageMonitor(p, current)) throw forbidden("This monitor runs on servers outside your access");
  await db.monitor.delete({ where: { id } });
  registry.byId.delete(id);
  results.forgetMonitor(id);
  changed();
  await audit({ action: "monitor.delete", actorId: actor.id, actorName: actor.name, target: current.name, detail: `#${id}`, ip: actor.ip });
}

// ---- results -------------------------------------------------------------------------------------

/** One probe as an agent reports it (agent/protocol.ts). */
export type ProbeResult = MonitorResult;

export interface LatestResult {
  at: number;
  ok: boolean;
  delayMs: number;
  certDaysLeft: number | null;
  error: string;
}

export interface ResultRow {
  monitorId: number;
  serverId: number;
  at: Date;
  resolution: 60 | 3600;
  avgDelay: number;
  up: number;
  down: number;
  certDaysLeft: number | null;
}

interface Minute {
  start: number;
  up: number;
  down: number;
  delaySum: number;
  cert: number | null;
}

const MINUTE = 60_000;
const HOUR = 3_600_000;
export const MINUTE_ROWS_KEPT_MS = 24 * HOUR;
export const HOUR_ROWS_KEPT_MS = 30 * 24 * HOUR;

/** Results are averaged per minute in memory and written in batches: ingest does no write per probe. */
class MonitorResults {
  latest = new Map<string, LatestResult & { monitorId: number; serverId: number }>();
  private minutes = new Map<string, Minute>();
  private pending: ResultRow[] = [];
  private flushing: Promise<void> | null = null;

  record(serverId: number, r: ProbeResult): void {
    const key = `${r.monitorId}:${serverId}`;
    const prev = this.latest.get(key);
    if (!prev || prev.at <= r.at) {
      this.latest.set(key, { monitorId: r.monitorId, serverId, at: r.at, ok: r.ok, delayMs: r.ok ? r.delayMs : 0, certDaysLeft: r.certDaysLeft ?? null, error: r.ok ? "" : (r.error ?? "down") });
    }
    const start = Math.floor(r.at / MINUTE) * MINUTE;
    let m = this.minutes.get(key);
    if (m && m.start !== start) {
      if (start < m.start) return; // a late probe of a minute already written: dropped
      this.emit(r.monitorId, serverId, m);
      m = undefined;
    }
    if (!m) this.minutes.set(key, (m = { start, up: 0, down: 0, delaySum: 0, cert: null }));
    if (r.ok) {
      m.up++;
      m.delaySum += r.delayMs;
    } else m.down++;
    if (r.certDaysLeft !== undefined && r.certDaysLeft !== null) m.cert = m.cert === null ? r.certDaysLeft : Math.min(m.cert, r.certDaysLeft);
  }

  private emit(monitorId: number, serverId: number, m: Minute): void {
    this.pending.push({
      monitorId, serverId, at: new Date(m.start), resolution: 60, avgDelay: m.up ? m.delaySum / m.up : 0, up: m.up, down: m.down, certDaysLeft: m.cert,
    });
  }

  /** Closes minutes that are over even when no new probe came. */
  closeStale(now = Date.now()): void {
    for (const [key, m] of this.minutes) {
      if (now >= m.start + 2 * MINUTE) {
        const [monitorId, serverId] = key.split(":").map(Number);
        this.emit(monitorId, serverId, m);
        this.minutes.delete(key);
      }
    }
  }

  forgetMonitor(monitorId: number): void {
    for (const map of [this.latest, this.minutes] as Map<string, unknown>[]) for (const key of map.keys()) if (key.startsWith(`${monitorId}:`)) map.delete(key);
    this.pending = this.pending.filter((r) => r.monitorId !== monitorId);
  }

  async flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    const batch = this.pending.splice(0);
    if (!batch.length) return;
    this.flushing = storeResultRows(batch).finally(() => (this.flushing = null));
    return this.flushing;
  }
}

export const results = singleton("monitorResults", () => new MonitorResults());

/**
 * Writes result rows in small chunks, dropping those of monitors or servers deleted meanwhile.
 * Also what tests and imports use to put history in directly.
 */
export async function storeResultRows(rows: ResultRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 250) {
    const chunk = rows.slice(i, i + 250);
    try {
      await db.monitorResult.createMany({ data: chunk });
    } catch {
      const ids = [...new Set(chunk.map((r) => r.monitorId))];
      const alive = new Set((await db.monitor.findMany({ where: { id: { in: ids } }, select: { id: true } })).map((m) => m.id));
      const kept = chunk.filter((r) => alive.has(r.monitorId));
      if (kept.length) await db.monitorResult.createMany({ data: kept }).catch((e) => console.error("fleetdeck: monitor results not saved:", e));
    }
    await new Promise((r) => setImmediate(r));
  }
}

/** Accepts a batch of probe results from a server's agent (only monitors it should run). */
export function recordResults(serverId: number, batch: ProbeResult[]): ProbeResult[] {
  const accepted: ProbeResult[] = [];
  for (const r of batch) {
    const m = registry.byId.get(r.monitorId);
    if (!m || !covers(m, serverId)) continue;
    results.record(serverId, r);
    accepted.push(r);
  }
  return accepted;
}

/**
 * Minute rows older than a day become hourly rows (averaged over the minutes that had an
 * answer, loss summed); hourly rows older than 30 days are deleted.
 */
export async function downsampleResults(now = Date.now()): Promise<void> {
  const cutoff = new Date(Math.floor((now - MINUTE_ROWS_KEPT_MS) / HOUR) * HOUR);
  const old = await db.monitorResult.findMany({ where: { resolution: 60, at: { lt: cutoff } }, orderBy: { at: "asc" }, take: 50_000 });
  if (old.length) {
    const hours = new Map<string, ResultRow & { weight: number }>();
    for (const r of old) {
      const start = Math.floor(r.at.getTime() / HOUR) * HOUR;
      const key = `${r.monitorId}:${r.serverId}:${start}`;
      let h = hours.get(key);
      if (!h) hours.set(key, (h = { monitorId: r.monitorId, serverId: r.serverId, at: new Date(start), resolution: 3600, avgDelay: 0, up: 0, down: 0, certDaysLeft: null, weight: 0 }));
      h.avgDelay += r.avgDelay * r.up;
      h.weight += r.up;
      h.up += r.up;
      h.down += r.down;
      if (r.certDaysLeft !== null) h.certDaysLeft = h.certDaysLeft === null ? r.certDaysLeft : Math.min(h.certDaysLeft, r.certDaysLeft);
    }
    const rows = [...hours.values()].map(({ weight, ...h }) => ({ ...h, avgDelay: weight ? h.avgDelay / weight : 0 }));
    await db.$transaction([
      db.monitorResult.createMany({ data: rows }),
      db.monitorResult.deleteMany({ where: { id: { in: old.map((r) => r.id) } } }),
    ]);
  }
  await db.monitorResult.deleteMany({ where: { resolution: 3600, at: { lt: new Date(now - HOUR_ROWS_KEPT_MS) } } });
}

// ---- reading -----------------------------------------------------------------------------------------

export interface MonitorStatus {
  serverId: number;
  serverName: string;
  at: number;
  ok: boolean;
  delayMs: number;
  certDaysLeft: number | null;
  error: string;
}

/**
 * Every monitor with its latest result on each server the caller may list, and whether the caller
 * may edit or delete it (`manageable`).
 */
export async function listMonitors(p: Principal): Promise<(MonitorDef & { status: MonitorStatus[]; manageable: boolean })[]> {
  await Promise.all([monitorsReady(), live.ready()]);
  const byMonitor = new Map<number, MonitorStatus[]>();
  const seen = new Set<string>();
  const add = (monitorId: number, serverId: number, s: Omit<MonitorStatus, "serverId" | "serverName">) => {
    const key = `${monitorId}:${serverId}`;
    if (seen.has(key)) return;
    const entry = live.get(serverId);
    if (!entry || !canList(p, entry.meta)) return;
    seen.add(key);
    const list = byMonitor.get(monitorId) ?? [];
    list.push({ serverId, serverName: entry.meta.name, ...s });
    byMonitor.set(monitorId, list);
  };
  for (const l of results.latest.values()) add(l.monitorId, l.serverId, l);
  // After a restart: the last minute row until the agents report again.
  const recent = await db.monitorResult.findMany({ where: { resolution: 60, at: { gte: new Date(Date.now() - HOUR) } }, orderBy: { at: "desc" }, take: 5_000 });
  for (const r of recent) add(r.monitorId, r.serverId, { at: r.at.getTime(), ok: r.up > 0, delayMs: r.avgDelay, certDaysLeft: r.certDaysLeft, error: r.up > 0 ? "" : "down" });
  const manager = can(p, "canManageMonitoring");
  return allMonitors().map((m) => ({ ...m, status: (byMonitor.get(m.id) ?? []).sort((a, b) => a.serverId - b.serverId), manageable: manager && mayManageMonitor(p, m) }));
}

export interface MonitorSeries {
  monitorId: number;
  monitorName: string;
  type: MonitorType;
  points: { at: number; avgDelay: number; loss: number }[];
}

/** A server's charts: per monitor, minute (day) or hourly (30 days) latency and packet loss (%). */
export async function serverMonitorSeries(serverId: number, range: "day" | "month"): Promise<MonitorSeries[]> {
  await monitorsReady();
  const since = new Date(Date.now() - (range === "day" ? MINUTE_ROWS_KEPT_MS : HOUR_ROWS_KEPT_MS));
  const rows = await db.monitorResult.findMany({
    where: { serverId, at: { gte: since }, ...(range === "day" ? { resolution: 60 } : {}) },
    orderBy: [{ monitorId: "asc" }, { at: "asc" }],
  });
  const out = new Map<number, MonitorSeries>();
  for (const r of rows) {
    const m = registry.byId.get(r.monitorId);
    if (!m) continue;
    let s = out.get(r.monitorId);
    if (!s) out.set(r.monitorId, (s = { monitorId: m.id, monitorName: m.name, type: m.type, points: [] }));
    const total = r.up + r.down;
    s.points.push({ at: r.at.getTime(), avgDelay: Math.round(r.avgDelay * 100) / 100, loss: total ? Math.round((r.down / total) * 1000) / 10 : 0 });
  }
  return [...out.values()];
}

export interface NezhaMonitorHistory {
  monitorId: number;
  serverId: number;
  monitorName: string;
  serverName: string;
  createdAt: number[];
  avgDelay: number[];
}

/**
 * Nezha v0's monitor history of one server: the last 24 hours of its ICMP and TCP monitors (the
 * only kinds Nezha keeps per reporting server), ordered by monitor then time, each time truncated
 * to the minute in unix ms.
 */
export async function nezhaMonitorHistory(serverId: number, serverName: string, now = Date.now()): Promise<NezhaMonitorHistory[]> {
  await monitorsReady();
  const rows = await db.monitorResult.findMany({
    where: { serverId, resolution: 60, at: { gte: new Date(now - 24 * HOUR) }, monitor: { type: { in: [MONITOR_TYPES.icmp, MONITOR_TYPES.tcp] } } },
    orderBy: [{ monitorId: "asc" }, { at: "asc" }],
    select: { monitorId: true, at: true, avgDelay: true },
  });
  const out: NezhaMonitorHistory[] = [];
  let cur: NezhaMonitorHistory | null = null;
  for (const r of rows) {
    if (!cur || cur.monitorId !== r.monitorId) {
      cur = { monitorId: r.monitorId, serverId, monitorName: registry.byId.get(r.monitorId)?.name ?? "", serverName, createdAt: [], avgDelay: [] };
      out.push(cur);
    }
    cur.createdAt.push(Math.floor(r.at.getTime() / MINUTE) * MINUTE);
    cur.avgDelay.push(r.avgDelay);
  }
  return out;
}
