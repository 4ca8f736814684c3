/**
 * Maintenance mode, Tactical RMM's one concept: a machine in maintenance raises no alerts, and a
 * client or site in maintenance puts all of its machines there. It is a switch (per server, client
 * or site) or a schedule: windows, one-off (start–end) or weekly (days, a time range, a time zone),
 * for a server, a client or a site. While a window is active its machines are in maintenance as if
 * the switch were on, everywhere the switch counts: the alert engine, Tactical RMM's
 * `maintenance_mode` of the agent (and of its site and client, which Tactical RMM derives from
 * their agents), the UI. Admins change both; every change is audited.
 *
 * The switches of servers live in their live entries (lib/fleet/live.ts); those of clients and
 * sites and the windows are held here, reloaded on every change in this process and every 30 s
 * (other panel processes see a change within that). Which windows are active is recomputed at
 * most once a second, so a check costs a few Set lookups.
 */
import { z } from "zod";
import { db } from "../../db";
import { audit } from "../../audit";
import { singleton } from "../../global";
import type { Principal } from "../../auth/principal";
import type { Actor } from "../actor";
import { notFound, parseInput } from "../errors";
import { requireAdmin } from "../policy";
import { live, type ServerMeta } from "../live";
import { cacheChanged, onPeerReload } from "../cluster";

export type MaintenanceTarget = "server" | "client" | "site";

// ---- windows: what they are and when they are active ---------------------------------------------------

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const targetFields = {
  target: z.enum(["server", "client", "site"], { error: "must be server, client or site" }),
  id: z.number({ error: "must be a number" }).int().positive(),
  note: z.string().trim().max(200).default(""),
};
const instant = z.iso.datetime({ offset: true, error: "must be a date and time (ISO 8601, e.g. 2030-01-31T22:00:00Z)" });
const clock = z.string().regex(HHMM, "must be a time of day HH:MM (00:00–23:59)");

export const windowInputSchema = z
  .discriminatedUnion("kind", [
    z.object({ ...targetFields, kind: z.literal("once"), startsAt: instant, endsAt: instant }),
    z.object({
      ...targetFields,
      kind: z.literal("weekly"),
      days: z
        .array(z.number({ error: "must be weekdays 0 (Sunday) to 6 (Saturday)" }).int("must be weekdays 0 (Sunday) to 6 (Saturday)").min(0, "must be weekdays 0 (Sunday) to 6 (Saturday)").max(6, "must be weekdays 0 (Sunday) to 6 (Saturday)"))
        .min(1, "Pick at least one day")
        .max(7),
      startTime: clock,
      endTime: clock,
      timeZone: z.string().trim().max(64).default("UTC").refine(isTimeZone, "must be an IANA time zone such as Europe/Berlin, or UTC"),
    }),
  ], { error: "kind must be once or weekly" })
  .superRefine((w, ctx) => {
    if (w.kind === "once" && Date.parse(w.endsAt) <= Date.parse(w.startsAt)) ctx.addIssue({ code: "custom", path: ["endsAt"], message: "must be after the start" });
    if (w.kind === "weekly" && w.startTime === w.endTime) ctx.addIssue({ code: "custom", path: ["endTime"], message: "must differ from the start time (an earlier end runs past midnight)" });
  });
export type WindowInput = z.output<typeof windowInputSchema>;

/** A window as the engine checks it. */
interface Schedule {
  kind: "once" | "weekly";
  startsAt: number;
  endsAt: number;
  days: Set<number>;
  start: number;
  end: number;
  timeZone: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const WEEKDAY: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

/** Weekday (0 = Sunday) and minute of the day of an instant, on the wall clock of a time zone. */
function wallClock(at: number, timeZone: string): { day: number; minute: number } {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { timeZone, weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    formatters.set(timeZone, f);
  }
  let day = 0;
  let hour = 0;
  let minute = 0;
  for (const part of f.formatToParts(at)) {
    if (part.type === "weekday") day = WEEKDAY[part.value] ?? 0;
    else if (part.type === "hour") hour = Number(part.value) % 24;
    else if (part.type === "minute") minute = Number(part.value);
  }
  return { day, minute: hour * 60 + minute };
}

/**
 * Whether a window is active at an instant. Weekly: on one of its days from start to end (wall
 * clock of its time zone); an end before the start runs past midnight into the next day.
 */
export function windowActive(w: Schedule, at: number): boolean {
  if (w.kind === "once") return at >= w.startsAt && at < w.endsAt;
  const { day, minute } = wallClock(at, w.timeZone);
  if (w.start < w.end) return w.days.has(day) && minute >= w.start && minute < w.end;
  return (w.days.has(day) && minute >= w.start) || (w.days.has((day + 6) % 7) && minute < w.end);
}

type WindowRow = Awaited<ReturnType<typeof db.maintenanceWindow.findMany>>[number];

function scheduleOf(row: WindowRow): Schedule {
  return {
    kind: row.kind === "weekly" ? "weekly" : "once",
    startsAt: row.startsAt?.getTime() ?? 0,
    endsAt: row.endsAt?.getTime() ?? 0,
    days: new Set(row.days.split(",").filter(Boolean).map(Number)),
    start: HHMM.test(row.startTime) ? minutesOf(row.startTime) : 0,
    end: HHMM.test(row.endTime) ? minutesOf(row.endTime) : 0,
    timeZone: isTimeZone(row.timeZone) ? row.timeZone : "UTC",
  };
}

// ---- what is in maintenance now --------------------------------------------------------------------------

const siteKey = (client: string, site: string) => `${client}\0${site}`;

interface Loaded {
  schedule: Schedule;
  server: number | null;
  client: string | null;
  site: string | null;
}

interface Active {
  second: number;
  servers: Set<number>;
  clients: Set<string>;
  sites: Set<string>;
}

export class MaintenanceState {
  private clients = new Set<string>();
  private sites = new Set<string>();
  private windows: Loaded[] = [];
  private active: Active | null = null;
  /** Machines found in maintenance by the last sweep (the push stream redraws those that change). */
  private swept = new Set<number>();

  async reload(): Promise<void> {
    const [clients, sites, windows] = await Promise.all([
      db.client.findMany({ where: { maintenanceMode: true }, select: { name: true } }),
      db.site.findMany({ where: { maintenanceMode: true }, select: { name: true, client: { select: { name: true } } } }),
      db.maintenanceWindow.findMany({ include: { client: { select: { name: true } }, site: { select: { name: true, client: { select: { name: true } } } } } }),
    ]);
    this.clients = new Set(clients.map((c) => c.name));
    this.sites = new Set(sites.map((s) => siteKey(s.client.name, s.name)));
    this.windows = windows.map((w) => ({
      schedule: scheduleOf(w),
      server: w.serverId,
      client: w.client?.name ?? null,
      site: w.site ? siteKey(w.site.client.name, w.site.name) : null,
    }));
    this.active = null;
    // Machines whose maintenance this changed are redrawn at once (lists, the push stream).
    this.sweep((id) => live.touch(id));
  }

  /** The servers, clients and sites whose windows are active (recomputed at most once a second). */
  private activeAt(now: number): Active {
    const second = Math.floor(now / 1000);
    if (this.active?.second === second) return this.active;
    const a: Active = { second, servers: new Set(), clients: new Set(), sites: new Set() };
    for (const w of this.windows) {
      if (!windowActive(w.schedule, now)) continue;
      if (w.server !== null) a.servers.add(w.server);
      if (w.client !== null) a.clients.add(w.client);
      if (w.site !== null) a.sites.add(w.site);
    }
    return (this.active = a);
  }

  /** Whether a machine is in maintenance now: its switch, its client's or site's, or an active window of any of them. */
  inMaintenance(meta: Pick<ServerMeta, "id" | "client" | "site" | "maintenanceMode">, now = Date.now()): boolean {
    if (meta.maintenanceMode || this.clients.has(meta.client) || this.sites.has(siteKey(meta.client, meta.site))) return true;
    if (!this.windows.length) return false;
    const a = this.activeAt(now);
    return a.servers.has(meta.id) || a.clients.has(meta.client) || a.sites.has(siteKey(meta.client, meta.site));
  }

  /** A client in maintenance by its switch or an active window (its machines' own switches aside). */
  clientInMaintenance(client: string, now = Date.now()): boolean {
    return this.clients.has(client) || (this.windows.length > 0 && this.activeAt(now).clients.has(client));
  }

  /** A site in maintenance by its own or its client's switch, or an active window of either. */
  siteInMaintenance(client: string, site: string, now = Date.now()): boolean {
    if (this.sites.has(siteKey(client, site)) || this.clientInMaintenance(client, now)) return true;
    return this.windows.length > 0 && this.activeAt(now).sites.has(siteKey(client, site));
  }

  /**
   * Finds the machines that entered or left maintenance without any edit of theirs (a window
   * began or ended, a client's or site's switch changed) and hands them to `touch`, so views
   * derived from their live entries (the UI's push stream) are redrawn.
   */
  sweep(touch: (id: number) => void, now = Date.now()): void {
    const next = new Set<number>();
    for (const e of live.all()) if (this.inMaintenance(e.meta, now)) next.add(e.meta.id);
    for (const id of next) if (!this.swept.has(id)) touch(id);
    for (const id of this.swept) if (!next.has(id)) touch(id);
    this.swept = next;
  }
}

export const maintenance = singleton("maintenanceState", () => new MaintenanceState());

/** A switch or window changed here: this process applies it now, and so does every other. */
async function changedHere(): Promise<void> {
  await maintenance.reload();
  cacheChanged("maintenance");
}
onPeerReload("maintenance", () => void maintenance.reload().catch((e) => console.error("fleetdeck: maintenance reload:", e)));

// ---- the switches -------------------------------------------------------------------------------------

export const maintenanceInputSchema = z.object({
  target: z.enum(["server", "client", "site"]),
  id: z.number().int().positive(),
  enabled: z.boolean(),
});

/** The name an audit entry and the UI give a target; not found when it does not exist. */
async function targetName(target: MaintenanceTarget, id: number): Promise<string> {
  if (target === "server") {
    const row = await db.server.findUnique({ where: { id }, select: { name: true } });
    if (!row) throw notFound("server", "No such server");
    return row.name;
  }
  if (target === "client") {
    const row = await db.client.findUnique({ where: { id }, select: { name: true } });
    if (!row) throw notFound("client", "No such client");
    return row.name;
  }
  const row = await db.site.findUnique({ where: { id }, select: { name: true, client: { select: { name: true } } } });
  if (!row) throw notFound("site", "No such site");
  return `${row.client.name}/${row.name}`;
}

export async function setMaintenance(p: Principal, actor: Actor, input: unknown): Promise<{ target: string; id: number; name: string; enabled: boolean }> {
  requireAdmin(p);
  const { target, id, enabled } = parseInput(maintenanceInputSchema, input);
  let name: string;
  if (target === "server") {
    const row = await db.server.update({ where: { id }, data: { maintenanceMode: enabled } }).catch(() => null);
    if (!row) throw notFound("server", "No such server");
    // The switch of a server is part of its live entry (every view, and the other panel processes).
    live.upsertServer(row);
    name = row.name;
  } else if (target === "client") {
    const row = await db.client.update({ where: { id }, data: { maintenanceMode: enabled } }).catch(() => null);
    if (!row) throw notFound("client", "No such client");
    name = row.name;
  } else {
    const row = await db.site.update({ where: { id }, data: { maintenanceMode: enabled }, include: { client: true } }).catch(() => null);
    if (!row) throw notFound("site", "No such site");
    name = `${row.client.name}/${row.name}`;
  }
  await changedHere();
  await audit({ action: `maintenance.${enabled ? "on" : "off"}`, actorId: actor.id, actorName: actor.name, target: name, detail: `${target} #${id}`, ip: actor.ip });
  return { target, id, name, enabled };
}

// ---- the windows ------------------------------------------------------------------------------------------

export interface WindowView {
  id: number;
  target: MaintenanceTarget;
  targetId: number;
  kind: "once" | "weekly";
  startsAt: string | null;
  endsAt: string | null;
  days: number[];
  startTime: string;
  endTime: string;
  timeZone: string;
  note: string;
  /** Active now. */
  active: boolean;
  /** A one-off window that is over. */
  ended: boolean;
}

function windowView(row: WindowRow, now: number): WindowView {
  const s = scheduleOf(row);
  const target: MaintenanceTarget = row.serverId !== null ? "server" : row.clientId !== null ? "client" : "site";
  return {
    id: row.id, target, targetId: row.serverId ?? row.clientId ?? row.siteId ?? 0, kind: s.kind,
    startsAt: row.startsAt?.toISOString() ?? null, endsAt: row.endsAt?.toISOString() ?? null,
    days: [...s.days].sort(), startTime: row.startTime, endTime: row.endTime, timeZone: row.timeZone, note: row.note,
    active: windowActive(s, now), ended: s.kind === "once" && now >= s.endsAt,
  };
}

const DAY_NAMES = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const describeWindow = (w: WindowInput) =>
  w.kind === "once" ? `once ${w.startsAt} – ${w.endsAt}` : `weekly ${w.days.map((d) => DAY_NAMES[d]).join(",")} ${w.startTime}–${w.endTime} ${w.timeZone}`;

export async function addMaintenanceWindow(p: Principal, actor: Actor, input: unknown): Promise<WindowView> {
  requireAdmin(p);
  const w = parseInput(windowInputSchema, input);
  const name = await targetName(w.target, w.id);
  const row = await db.maintenanceWindow.create({
    data: {
      ...(w.target === "server" ? { serverId: w.id } : w.target === "client" ? { clientId: w.id } : { siteId: w.id }),
      kind: w.kind,
      note: w.note,
      ...(w.kind === "once"
        ? { startsAt: new Date(w.startsAt), endsAt: new Date(w.endsAt) }
        : { days: [...new Set(w.days)].sort().join(","), startTime: w.startTime, endTime: w.endTime, timeZone: w.timeZone }),
    },
  });
  await changedHere();
  await audit({ action: "maintenance.window.add", actorId: actor.id, actorName: actor.name, target: name, detail: `${w.target} #${w.id} window #${row.id} ${describeWindow(w)}${w.note ? ` (${w.note})` : ""}`, ip: actor.ip });
  return windowView(row, Date.now());
}

export async function removeMaintenanceWindow(p: Principal, actor: Actor, id: number): Promise<void> {
  requireAdmin(p);
  const row = await db.maintenanceWindow.findUnique({ where: { id } });
  if (!row) throw notFound("window", "No such maintenance window");
  const view = windowView(row, Date.now());
  const name = await targetName(view.target, view.targetId).catch(() => `${view.target} #${view.targetId}`);
  await db.maintenanceWindow.delete({ where: { id } }).catch(() => {
    throw notFound("window", "No such maintenance window");
  });
  await changedHere();
  const what = view.kind === "once" ? `once ${view.startsAt} – ${view.endsAt}` : `weekly ${view.days.map((d) => DAY_NAMES[d]).join(",")} ${view.startTime}–${view.endTime} ${view.timeZone}`;
  await audit({ action: "maintenance.window.remove", actorId: actor.id, actorName: actor.name, target: name, detail: `${view.target} #${view.targetId} window #${id} ${what}`, ip: actor.ip });
}

/** What is in maintenance now: each switch, each window, and whether each machine is in maintenance. */
export async function maintenanceState(p: Principal) {
  requireAdmin(p);
  await live.ready();
  const now = Date.now();
  const [clients, sites, windows] = await Promise.all([
    db.client.findMany({ select: { id: true, name: true, maintenanceMode: true }, orderBy: { name: "asc" } }),
    db.site.findMany({ select: { id: true, name: true, maintenanceMode: true, client: { select: { name: true } } }, orderBy: { name: "asc" } }),
    db.maintenanceWindow.findMany({ orderBy: { id: "asc" } }),
  ]);
  return {
    servers: live
      .all()
      .map((e) => ({ id: e.meta.id, name: e.meta.name, client: e.meta.client, site: e.meta.site, maintenanceMode: e.meta.maintenanceMode, inMaintenance: maintenance.inMaintenance(e.meta, now) }))
      .sort((a, b) => a.id - b.id),
    clients: clients.map((c) => ({ ...c, inMaintenance: maintenance.clientInMaintenance(c.name, now) })),
    sites: sites.map((s) => ({ id: s.id, name: s.name, client: s.client.name, maintenanceMode: s.maintenanceMode, inMaintenance: maintenance.siteInMaintenance(s.client.name, s.name, now) })),
    windows: windows.map((w) => windowView(w, now)),
  };
}

