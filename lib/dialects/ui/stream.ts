/**
 * The UI's push stream (Server-Sent Events at /api/ui/stream, served by lib/ui-stream.ts): what
 * changed in the live state since the last tick, about once a second, as diffs of the lists the
 * pages show (servers, agents, daemons) and the instances' states.
 *
 * Cost: one browser must cost the panel little whatever the fleet's size. Each tick takes the ids
 * that changed (lib/fleet/live.ts `watch`, a set filled on the ingest path) plus those whose
 * online status moved with the clock, and builds each topic's diff ONCE per access scope
 * (`scopeKey`, as the pre-serialized API answers are cached): every client of the scope gets the
 * same bytes. A client that cannot keep up is dropped (it reconnects and refetches) rather than
 * buffered without bound.
 */
import type { InstanceState } from "../../../agent/protocol";
import type { Principal } from "../../auth/principal";
import { ensureTotals, totalsVersion } from "../../fleet/instance-counts";
import { agentStatus, live, type AgentStatus, type LiveEntry } from "../../fleet/live";
import { canList, canUseInstance, isAdmin, scopeKey } from "../../fleet/policy";
import { pendingCounts } from "../../fleet/updates";
import { singleton } from "../../global";
import { agentDetailOf } from "../trmm/shapes";
import { daemonRowOf } from "./daemons";
import { serverRow } from "./views";

export const TOPICS = ["servers", "agents", "daemons", "instances"] as const;
export type Topic = (typeof TOPICS)[number];

export const TICK_MS = 1_000;
export const HEARTBEAT_MS = 15_000;
/** What the browser waits before reconnecting after the stream drops (EventSource's `retry:`). */
export const RETRY_MS = 2_000;
/**
 * Bytes a client may have queued and unsent before it is dropped. A whole-fleet tick at 10,000
 * servers is about a megabyte; a client this far behind is better served by a fresh list.
 */
export const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
/** Streams open at once, over all users: each holds a socket and a little memory. */
export const MAX_CLIENTS = 2_000;

/** One connected browser (or script): the transport is lib/ui-stream.ts's business. */
export interface StreamClient {
  principal: Principal;
  topics: ReadonlySet<Topic>;
  /** Writes an already-framed SSE chunk; returns false when the client was dropped. */
  send(chunk: string): boolean;
  /** Set until the client's first tick: it gets the changes of the tick before too (see `tick`). */
  fresh: boolean;
}

/** The diff of one list: rows to insert or replace, keys to remove, and the order when it moved. */
export interface ListDiff<Row, Key> {
  upsert: Row[];
  remove: Key[];
  /** Every key in display order; only when servers were added, removed or edited. */
  order?: Key[];
}

export interface InstancesDiff {
  servers: { serverId: number; instances: InstanceState[] }[];
}

/** What a scope remembers between ticks: the machines it sees, for removals and order. */
interface ScopeState {
  principal: Principal;
  metaGeneration: number;
  visible: LiveEntry[];
  visibleIds: Set<number>;
}

interface Hub {
  clients: Set<StreamClient>;
  timer: NodeJS.Timeout | null;
  heartbeat: NodeJS.Timeout | null;
  watch: { take(): Set<number>; stop(): void } | null;
  /** Last status sent per server: a server going offline changes nothing but the clock. */
  statuses: Map<number, AgentStatus>;
  /** The instances array last seen per server (the agent replaces it on every change). */
  instances: Map<number, InstanceState[]>;
  /** The ids changed in the previous tick, for clients on their first tick. */
  previous: Set<number>;
  scopes: Map<string, ScopeState>;
  totalsVersion: number;
}

const hub: Hub = singleton("uiStreamHub", () => ({
  clients: new Set<StreamClient>(),
  timer: null,
  heartbeat: null,
  watch: null,
  statuses: new Map(),
  instances: new Map(),
  previous: new Set(),
  scopes: new Map(),
  totalsVersion: -1,
}));

/** The key under which a principal's diffs are built: the machines they see, and admin-only fields. */
export function streamScope(p: Principal): string {
  return `${scopeKey(p)}|${isAdmin(p) ? "a" : "u"}`;
}

export function clientCount(): number {
  return hub.clients.size;
}

export function addClient(client: StreamClient): () => void {
  hub.clients.add(client);
  if (!hub.timer) start();
  return () => {
    hub.clients.delete(client);
    if (hub.clients.size === 0) stop();
  };
}

function start(): void {
  hub.watch = live.watch();
  hub.statuses.clear();
  hub.instances.clear();
  hub.scopes.clear();
  hub.previous = new Set();
  // The first tick establishes the baseline (every status and instance list) without sending it:
  // new clients fetch the lists themselves.
  const now = Date.now();
  for (const e of live.all()) {
    hub.statuses.set(e.meta.id, agentStatus(e, now));
    hub.instances.set(e.meta.id, e.instances);
  }
  hub.totalsVersion = totalsVersion();
  hub.timer = setInterval(() => void tick().catch((e) => console.error("fleetdeck: UI stream tick failed:", e)), TICK_MS);
  hub.heartbeat = setInterval(() => {
    // A comment line: keeps proxies from closing an idle stream and lets either side notice a dead one.
    for (const c of hub.clients) c.send(`: keep-alive ${Date.now()}\n\n`);
  }, HEARTBEAT_MS);
  hub.timer.unref();
  hub.heartbeat.unref();
}

function stop(): void {
  if (hub.timer) clearInterval(hub.timer);
  if (hub.heartbeat) clearInterval(hub.heartbeat);
  hub.timer = hub.heartbeat = null;
  hub.watch?.stop();
  hub.watch = null;
  hub.scopes.clear();
}

let ticking = false;

/** One tick: collect what changed, build each scope's diffs once, send them to its clients. */
export async function tick(now = Date.now()): Promise<void> {
  if (ticking || !hub.watch) return;
  ticking = true;
  try {
    const changed = hub.watch.take();
    // Clock-driven changes: a server that stopped reporting goes offline with no event at all.
    for (const e of live.all()) {
      const status = agentStatus(e, now);
      if (hub.statuses.get(e.meta.id) !== status) {
        hub.statuses.set(e.meta.id, status);
        changed.add(e.meta.id);
      }
    }
    const totalsMoved = hub.totalsVersion !== totalsVersion();
    hub.totalsVersion = totalsVersion();

    const instancesChanged: { serverId: number; instances: InstanceState[] }[] = [];
    for (const id of changed) {
      const e = live.get(id);
      const list = e?.instances ?? [];
      if (hub.instances.get(id) !== list) {
        hub.instances.set(id, list);
        if (e) instancesChanged.push({ serverId: id, instances: list });
      }
    }

    const wanted = (scope: string, topic: Topic) => [...hub.clients].some((c) => c.topics.has(topic) && streamScope(c.principal) === scope);
    const byScope = new Map<string, StreamClient[]>();
    for (const c of hub.clients) {
      const key = streamScope(c.principal);
      const list = byScope.get(key);
      if (list) list.push(c);
      else byScope.set(key, [c]);
    }
    for (const key of hub.scopes.keys()) if (!byScope.has(key)) hub.scopes.delete(key);

    const pending = wantedAnywhere("agents") ? await pendingCounts().catch(() => new Map<number, number>()) : new Map<number, number>();
    if (wantedAnywhere("daemons")) await ensureTotals();

    for (const [key, clients] of byScope) {
      const scope = scopeState(key, clients[0].principal);
      // A client on its first tick also gets the previous tick's changes: the list it fetched on
      // connecting may predate them (lists are cached for a tick). Built first, as a peek, so it
      // sees the same removals and order as the scope's own frames.
      const freshFrames = clients.some((c) => c.fresh)
        ? buildFrames(scope, new Set([...hub.previous, ...changed]), { now, pending, totalsMoved: true, wanted: (t) => wanted(key, t) }, true)
        : null;
      const frames = buildFrames(scope, changed, { now, pending, totalsMoved, wanted: (t) => wanted(key, t) });
      for (const c of clients) {
        const f = c.fresh && freshFrames ? freshFrames : frames;
        c.fresh = false;
        let out = "";
        for (const topic of ["servers", "agents", "daemons"] as const) if (c.topics.has(topic) && f[topic]) out += f[topic];
        if (c.topics.has("instances") && instancesChanged.length) out += instancesFrame(c.principal, instancesChanged);
        if (out) c.send(out);
      }
    }
    hub.previous = changed;
  } finally {
    ticking = false;
  }
}

function wantedAnywhere(topic: Topic): boolean {
  for (const c of hub.clients) if (c.topics.has(topic)) return true;
  return false;
}

function scopeState(key: string, principal: Principal): ScopeState {
  let s = hub.scopes.get(key);
  if (!s) {
    s = { principal, metaGeneration: -1, visible: [], visibleIds: new Set() };
    hub.scopes.set(key, s);
  }
  return s;
}

type Frames = Partial<Record<"servers" | "agents" | "daemons", string>>;

function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * The scope's frames for one tick. When servers were added, removed or edited, the scope's
 * visible set is recomputed: removals and the new order go out with the changed rows.
 * `peek` builds without moving the scope's remembered state (a fresh client's catch-up frames).
 */
function buildFrames(
  scope: ScopeState,
  changed: Set<number>,
  ctx: { now: number; pending: Map<number, number>; totalsMoved: boolean; wanted: (t: Topic) => boolean },
  peek = false,
): Frames {
  const p = scope.principal;
  let removed: LiveEntry[] = [];
  let order: number[] | undefined;
  if (scope.metaGeneration !== live.metaGeneration) {
    const visible = live.all().filter((e) => canList(p, e.meta));
    const ids = new Set(visible.map((e) => e.meta.id));
    if (scope.metaGeneration !== -1) removed = scope.visible.filter((e) => !ids.has(e.meta.id));
    order = visible.map((e) => e.meta.id);
    if (!peek) Object.assign(scope, { visible, visibleIds: ids, metaGeneration: live.metaGeneration });
    else {
      // A peek must still see the current set.
      scope = { ...scope, visible, visibleIds: ids };
    }
  }
  const rows: LiveEntry[] = [];
  for (const id of changed) {
    const e = live.get(id);
    if (e && scope.visibleIds.has(id)) rows.push(e);
  }
  const out: Frames = {};
  const admin = isAdmin(p);
  if (ctx.wanted("servers") && (rows.length || removed.length || order)) {
    out.servers = frame("servers", {
      upsert: rows.map((e) => serverRow(e, { admin }, ctx.now)),
      remove: removed.map((e) => e.meta.id),
      ...(order ? { order } : {}),
    } satisfies ListDiff<unknown, number>);
  }
  if (ctx.wanted("agents") && (rows.length || removed.length || order)) {
    out.agents = frame("agents", {
      upsert: rows.map((e) => agentDetailOf(e, ctx.pending.get(e.meta.id) ?? 0, ctx.now)),
      remove: removed.map((e) => e.meta.agentId),
      ...(order ? { order: scope.visible.map((e) => e.meta.agentId) } : {}),
    });
  }
  if (admin && ctx.wanted("daemons")) {
    // Daemon rows show instance counts, which move with definitions (totalsVersion) too.
    const daemonRows = ctx.totalsMoved ? scope.visible : rows;
    if (daemonRows.length || removed.length || order) {
      out.daemons = frame("daemons", { upsert: daemonRows.map((e) => daemonRowOf(e, ctx.now)), remove: removed.map((e) => e.meta.id), ...(order ? { order } : {}) });
    }
  }
  return out;
}

/** Instance states the client may see: every one for an admin, their assigned ones otherwise. */
function instancesFrame(p: Principal, changes: { serverId: number; instances: InstanceState[] }[]): string {
  if (isAdmin(p)) return frame("instances", { servers: changes } satisfies InstancesDiff);
  const mine = changes
    .map((c) => ({ serverId: c.serverId, instances: c.instances.filter((i) => canUseInstance(p, i.uuid)) }))
    .filter((c) => c.instances.length > 0);
  return mine.length ? frame("instances", { servers: mine } satisfies InstancesDiff) : "";
}
