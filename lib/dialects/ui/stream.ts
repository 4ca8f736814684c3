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
 *
 * What the page shows: a client that opens the stream with `view=1` (the panel's pages) names the
 * servers its tables show (`POST /api/ui/stream/view`, the rows on screen, a few hundred at most).
 * It then gets whole rows only for those, and for the others only what changes their place in
 * the page: a compact patch when a machine's status (online, offline, overdue, connected) moves,
 * whole rows when a server is added or edited, and removals and the order as before. Metrics of
 * rows off screen are sent when they come into view (sorting by a live figure uses the last
 * ones received). So a browser costs the same whatever the fleet's size; a client without
 * `view=1` (scripts) gets every changed row as before.
 *
 * Detail pages: the same POST may name `details`, the servers whose page is open. Each then comes
 * as a `server` event carrying its whole detail (what `GET /api/ui/servers/:id` answers: host
 * info, temperatures…, built by the same function and once per scope per tick) whenever it
 * changed, so a detail page does not poll while the stream is up. Only servers the scope may see
 * are sent; one it can no longer see comes as `{"id":…,"gone":true}`.
 */
import crypto from "node:crypto";
import { z } from "zod";
import type { InstanceState } from "../../../agent/protocol";
import type { Principal } from "../../auth/principal";
import { ensureTotals, totalsVersion } from "../../fleet/instance-counts";
import { agentStatus, live, type AgentStatus, type LiveEntry, type ServerMeta } from "../../fleet/live";
import { callPeer, clusterEnabled, nodeId, onPeerRequest } from "../../fleet/cluster";
import { invalid, notFound } from "../../fleet/errors";
import { canList, canUseInstance, isAdmin, scopeKey } from "../../fleet/policy";
import { pendingCounts } from "../../fleet/updates";
import { singleton } from "../../global";
import { agentDetailOf } from "../trmm/shapes";
import { daemonRowOf } from "./daemons";
import { bodyOf, uiOk, withUi } from "./envelope";
import { serverDetail, serverRow } from "./views";
import { servedAgentVersion } from "../../fleet/agent-bundle";

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
  /** Its id, for `setStreamView` (node~random: any panel process can find the one serving it). */
  id?: string;
  /**
   * The servers its page shows, when it said it would name them (`view=1`); undefined for a
   * client that gets every changed row.
   */
  view?: Set<number>;
  /** Servers named since its last tick: their whole rows go out at the next. */
  newlyViewed?: Set<number>;
  /**
   * The servers whose detail page it shows (view clients): each gets a `server` event with the
   * whole detail (`GET /api/ui/servers/:id`'s answer) when it changes, so that page need not poll.
   */
  details?: Set<number>;
  /** Details named since its last tick: they go out at the next. */
  newDetails?: Set<number>;
}

/** Most detail pages one stream may follow (a browser's open tabs share one stream per tab). */
export const MAX_DETAILS = 20;

/** Most servers a page may name (rows on screen and a margin, over every table it shows). */
export const MAX_VIEW = 1_000;

/** The diff of one list: rows to insert or replace, keys to remove, and the order when it moved. */
export interface ListDiff<Row, Key> {
  upsert: Row[];
  /** Fields that moved in rows off screen (status), merged into the rows the client has. */
  patch?: Partial<Row>[];
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
  /** Clients by id (setStreamView). */
  byId: Map<string, StreamClient>;
  /** Per server: what a status patch carries, last time it was looked at (view clients). */
  summaries: Map<number, string>;
  /** Per server: its row's meta object last time (a new one means it was edited). */
  metas: Map<number, ServerMeta>;
  /** The ids whose status moved in the previous tick, for view clients on their first tick. */
  previousPatched: Set<number>;
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
  byId: new Map(),
  summaries: new Map(),
  metas: new Map(),
  previousPatched: new Set(),
}));

/** The key under which a principal's diffs are built: the machines they see, and admin-only fields. */
export function streamScope(p: Principal): string {
  return `${scopeKey(p)}|${isAdmin(p) ? "a" : "u"}`;
}

export function clientCount(): number {
  return hub.clients.size;
}

export function addClient(client: StreamClient): () => void {
  client.id ??= `${nodeId()}~${crypto.randomBytes(12).toString("base64url")}`;
  hub.clients.add(client);
  hub.byId.set(client.id, client);
  if (!hub.timer) start();
  return () => {
    hub.clients.delete(client);
    hub.byId.delete(client.id!);
    if (hub.clients.size === 0) stop();
  };
}

/**
 * Sets the servers a client's page shows (its own stream only: the same user). False when no
 * such stream is open here. Rows newly named go out whole at the next tick.
 */
export function setLocalView(userId: number, id: string, ids: number[], details: number[] = []): boolean {
  const c = hub.byId.get(id);
  if (!c || c.principal.userId !== userId || !c.view) return false;
  const next = new Set(ids.slice(0, MAX_VIEW));
  const added = c.newlyViewed ?? new Set<number>();
  for (const n of next) if (!c.view.has(n)) added.add(n);
  c.view = next;
  c.newlyViewed = added;
  const nextDetails = new Set(details.slice(0, MAX_DETAILS));
  const newDetails = c.newDetails ?? new Set<number>();
  for (const n of nextDetails) if (!c.details?.has(n)) newDetails.add(n);
  c.details = nextDetails;
  c.newDetails = newDetails;
  return true;
}

const viewBody = z.object({
  stream: z.string().min(1).max(200),
  ids: z.array(z.number().int().nonnegative()).max(MAX_VIEW, `At most ${MAX_VIEW} servers`),
  /** Servers whose detail page is open: their whole detail comes as `server` events. */
  details: z.array(z.number().int().nonnegative()).max(MAX_DETAILS, `At most ${MAX_DETAILS} detail pages`).optional(),
});

/** `POST /api/ui/stream/view` {stream, ids}: the servers the page shows (see the header). */
export const setStreamView = withUi(async (req, me) => {
  const parsed = viewBody.safeParse(await bodyOf(req));
  if (!parsed.success) throw invalid(parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; "));
  const { stream, ids, details = [] } = parsed.data;
  let found = setLocalView(me.userId, stream, ids, details);
  // Another panel process may serve that stream (its id starts with that process's id).
  const node = stream.slice(0, stream.lastIndexOf("~"));
  if (!found && clusterEnabled() && node && node !== nodeId()) {
    found = (await callPeer(node, "/stream-view", { userId: me.userId, stream, ids, details }).catch(() => false)) === true;
  }
  if (!found) throw notFound("server", "No such stream is open (it may have just closed)");
  return uiOk({ ok: true });
});

onPeerRequest("/stream-view", async (payload) => {
  const q = payload as { userId?: unknown; stream?: unknown; ids?: unknown; details?: unknown };
  if (typeof q.userId !== "number" || typeof q.stream !== "string" || !Array.isArray(q.ids)) return false;
  const ints = (a: unknown[]) => a.filter((n): n is number => Number.isSafeInteger(n));
  return setLocalView(q.userId, q.stream, ints(q.ids), Array.isArray(q.details) ? ints(q.details) : []);
});

function start(): void {
  hub.watch = live.watch();
  hub.statuses.clear();
  hub.instances.clear();
  hub.scopes.clear();
  hub.previous = new Set();
  // The first tick establishes the baseline (every status and instance list) without sending it:
  // new clients fetch the lists themselves.
  const now = Date.now();
  hub.summaries.clear();
  hub.metas.clear();
  hub.previousPatched = new Set();
  for (const e of live.all()) {
    const status = agentStatus(e, now);
    hub.statuses.set(e.meta.id, status);
    hub.instances.set(e.meta.id, e.instances);
    hub.summaries.set(e.meta.id, `${status}|${e.connected ? 1 : 0}`);
    hub.metas.set(e.meta.id, e.meta);
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

    // For clients that show only some rows: whose status moved, which rows were edited or added.
    const patched = new Set<number>();
    const edited = new Set<number>();
    for (const id of changed) {
      const e = live.get(id);
      if (!e) continue;
      const summary = `${hub.statuses.get(id)}|${e.connected ? 1 : 0}`;
      if (hub.summaries.get(id) !== summary) {
        hub.summaries.set(id, summary);
        patched.add(id);
      }
      if (hub.metas.get(id) !== e.meta) {
        hub.metas.set(id, e.meta);
        edited.add(id);
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
      const membership = updateMembership(scope);
      const ctx = { now, pending, totalsMoved, wanted: (t: Topic) => wanted(key, t) };
      const whole = clients.filter((c) => !c.view);
      if (whole.length) {
        // A client on its first tick also gets the previous tick's changes: the list it fetched on
        // connecting may predate them (lists are cached for a tick).
        const freshFrames = whole.some((c) => c.fresh) ? buildFrames(scope, new Set([...hub.previous, ...changed]), { ...ctx, totalsMoved: true }, membership) : null;
        const frames = buildFrames(scope, changed, ctx, membership);
        for (const c of whole) {
          const f = c.fresh && freshFrames ? freshFrames : frames;
          c.fresh = false;
          let out = "";
          for (const topic of ["servers", "agents", "daemons"] as const) if (c.topics.has(topic) && f[topic]) out += f[topic];
          if (c.topics.has("instances") && instancesChanged.length) out += instancesFrame(c.principal, instancesChanged);
          if (out) c.send(out);
        }
      }
      const viewers = clients.filter((c) => c.view);
      if (viewers.length) {
        const pieces = new ViewPieces(scope, ctx, membership);
        for (const c of viewers) {
          let out = viewFrames(c, pieces, { changed, patched, edited });
          if (c.details?.size || c.newDetails?.size) out += detailFrames(c, pieces, changed);
          if (c.topics.has("instances") && instancesChanged.length) out += instancesFrame(c.principal, instancesChanged);
          if (out) c.send(out);
        }
      }
    }
    hub.previous = changed;
    hub.previousPatched = patched;
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

/** Servers that left a scope's view this tick, and the new order, when servers were added, removed or edited. */
interface Membership {
  removed: LiveEntry[];
  order?: number[];
}

/** Recomputes the scope's visible set when servers were added, removed or edited (once per tick). */
function updateMembership(scope: ScopeState): Membership {
  if (scope.metaGeneration === live.metaGeneration) return { removed: [] };
  const visible = live.all().filter((e) => canList(scope.principal, e.meta));
  const ids = new Set(visible.map((e) => e.meta.id));
  const removed = scope.metaGeneration !== -1 ? scope.visible.filter((e) => !ids.has(e.meta.id)) : [];
  Object.assign(scope, { visible, visibleIds: ids, metaGeneration: live.metaGeneration });
  return { removed, order: visible.map((e) => e.meta.id) };
}

interface TickContext {
  now: number;
  pending: Map<number, number>;
  totalsMoved: boolean;
  wanted: (t: Topic) => boolean;
}

/** The scope's frames for one tick, with every changed row it sees (clients without a view). */
function buildFrames(scope: ScopeState, changed: Set<number>, ctx: TickContext, membership: Membership): Frames {
  const p = scope.principal;
  const { removed, order } = membership;
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

const LIST_TOPICS = ["servers", "agents", "daemons"] as const;
type ListTopic = (typeof LIST_TOPICS)[number];

/**
 * The JSON of a scope's rows, patches, removals and order for one tick, each made once however
 * many clients of the scope need it (clients that show only some rows).
 */
class ViewPieces {
  private rows = new Map<string, string>();
  private patches = new Map<string, string>();
  private fixed = new Map<string, string>();
  private details = new Map<number, string>();
  private agentVersion: string | null | undefined;
  readonly admin: boolean;
  constructor(
    readonly scope: ScopeState,
    readonly ctx: TickContext,
    readonly membership: Membership,
  ) {
    this.admin = isAdmin(scope.principal);
  }

  row(topic: ListTopic, e: LiveEntry): string {
    const k = `${topic}:${e.meta.id}`;
    let json = this.rows.get(k);
    if (json === undefined) {
      const { now, pending } = this.ctx;
      const row = topic === "servers" ? serverRow(e, { admin: this.admin }, now) : topic === "agents" ? agentDetailOf(e, pending.get(e.meta.id) ?? 0, now) : daemonRowOf(e, now);
      this.rows.set(k, (json = JSON.stringify(row)));
    }
    return json;
  }

  /** A server's whole detail, as `GET /api/ui/servers/:id` answers it to this scope. */
  detail(e: LiveEntry): string {
    let json = this.details.get(e.meta.id);
    if (json === undefined) {
      if (this.agentVersion === undefined) this.agentVersion = servedAgentVersion();
      json = JSON.stringify(serverDetail(e, { admin: this.admin, panelAgentVersion: this.agentVersion }, this.ctx.now));
      this.details.set(e.meta.id, json);
    }
    return json;
  }

  /** The fields of a row that say where it stands (status), keyed as the client keys its rows. */
  patch(topic: ListTopic, e: LiveEntry): string {
    const k = `${topic}:${e.meta.id}`;
    let json = this.patches.get(k);
    if (json === undefined) {
      const status = hub.statuses.get(e.meta.id) ?? agentStatus(e, this.ctx.now);
      const online = status === "online";
      const lastSeen = e.lastActive === null ? null : new Date(e.lastActive).toISOString();
      const p =
        topic === "servers" ? { id: e.meta.id, status, online, connected: e.connected, lastActive: e.lastActive }
        : topic === "agents" ? { agent_id: e.meta.agentId, status, connected: e.connected, last_seen: lastSeen }
        : { id: e.meta.id, online, lastActive: e.lastActive };
      this.patches.set(k, (json = JSON.stringify(p)));
    }
    return json;
  }

  /** `"remove":[…]` and `"order":[…]` of a topic's diff, as JSON members. */
  tail(topic: ListTopic): string {
    let json = this.fixed.get(topic);
    if (json === undefined) {
      const { removed, order } = this.membership;
      const key = (e: LiveEntry): string | number => (topic === "agents" ? e.meta.agentId : e.meta.id);
      json = `"remove":${JSON.stringify(removed.map(key))}`;
      if (order) json += `,"order":${JSON.stringify(topic === "agents" ? this.scope.visible.map((e) => e.meta.agentId) : order)}`;
      this.fixed.set(topic, json);
    }
    return json;
  }
}

/** A view client's frames: whole rows for what it shows, patches for the rest (see the header). */
function viewFrames(c: StreamClient, pieces: ViewPieces, t: { changed: Set<number>; patched: Set<number>; edited: Set<number> }): string {
  const { scope, membership, ctx } = pieces;
  const fresh = c.fresh;
  c.fresh = false;
  const view = c.view!;
  const newly = c.newlyViewed ?? new Set<number>();
  c.newlyViewed = new Set();
  const whole: LiveEntry[] = [];
  const wholeIds = new Set<number>();
  const take = (id: number) => {
    if (wholeIds.has(id) || !scope.visibleIds.has(id)) return;
    const e = live.get(id);
    if (!e) return;
    wholeIds.add(id);
    whole.push(e);
  };
  for (const id of view) if (t.changed.has(id) || newly.has(id) || (fresh && hub.previous.has(id))) take(id);
  for (const id of t.edited) take(id);
  const patches: LiveEntry[] = [];
  const patchFrom = (ids: Set<number>) => {
    for (const id of ids) {
      if (wholeIds.has(id) || !scope.visibleIds.has(id)) continue;
      const e = live.get(id);
      if (e) patches.push(e);
    }
  };
  patchFrom(t.patched);
  if (fresh) patchFrom(hub.previousPatched);
  const moved = membership.removed.length > 0 || membership.order !== undefined;
  let out = "";
  for (const topic of LIST_TOPICS) {
    if (!c.topics.has(topic) || (topic === "daemons" && !pieces.admin)) continue;
    let rows = whole;
    if (topic === "daemons" && ctx.totalsMoved) {
      // Instance counts moved: the daemons on screen get theirs.
      rows = [...whole];
      for (const id of view) {
        const e = !wholeIds.has(id) && scope.visibleIds.has(id) ? live.get(id) : undefined;
        if (e) rows.push(e);
      }
    }
    if (!rows.length && !patches.length && !moved) continue;
    const upsert = rows.map((e) => pieces.row(topic, e)).join(",");
    const patch = patches.map((e) => pieces.patch(topic, e)).join(",");
    out += `event: ${topic}\ndata: {"upsert":[${upsert}],"patch":[${patch}],${pieces.tail(topic)}}\n\n`;
  }
  return out;
}

/**
 * A view client's `server` events: the whole detail of each server whose page it shows, when the
 * server changed this tick or the page was just named (also after a reconnection, when the page
 * names it again). A server it may no longer see (deleted, or out of its scope) comes as
 * `{"id":…,"gone":true}`: the page refetches and shows the API's own answer (not found).
 */
function detailFrames(c: StreamClient, pieces: ViewPieces, changed: Set<number>): string {
  const newly = c.newDetails ?? new Set<number>();
  c.newDetails = new Set();
  const removed = new Set(pieces.membership.removed.map((e) => e.meta.id));
  let out = "";
  for (const id of c.details ?? []) {
    const e = pieces.scope.visibleIds.has(id) ? live.get(id) : undefined;
    // A server it may not see says so once (named, or just left its sight), never when it changes.
    if (e ? changed.has(id) || newly.has(id) : newly.has(id) || removed.has(id)) {
      out += e ? `event: server\ndata: ${pieces.detail(e)}\n\n` : frame("server", { id, gone: true });
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
