/**
 * Several panel processes, one fleet (PostgreSQL only). Each process holds the WebSockets of the
 * agents that happened to connect to it (lib/fleet/hub.ts); this module makes every process see
 * and reach the whole fleet:
 *
 * - Small messages fan out through PostgreSQL's LISTEN/NOTIFY on one channel: every ~300 ms a
 *   process publishes, in chunks under NOTIFY's 8000-byte limit, the compact live states, host
 *   reports, instance states and connects/disconnects of the agents it holds; peers apply them in
 *   one batch to their in-memory live state (lib/fleet/live.ts), so reads stay in-memory.
 * - Bulk payloads (a request to an agent held elsewhere with its whole body and answer — console
 *   output, command output, file transfers; a newcomer's snapshot of the fleet) go over plain
 *   HTTP to the holder's internal listener, signed with an HMAC of the shared session secret.
 *   Streamed output (an instance's console, a running command's output: lib/fleet/live-output.ts)
 *   is one streaming HTTP answer per watched topic from the holder (`/watch`, a line of JSON per
 *   event), fanned out by the process serving the browsers, and closed when the last one leaves.
 * - Each process registers its internal URL and a heartbeat counter in the Setting table; a peer
 *   whose counter stops moving is dead: the agents it held are shown offline until they reconnect
 *   to a live process (the agent retries with back-off).
 * - Background jobs run on one process at a time: the holder of a session-level advisory lock on
 *   the LISTEN connection. If that process dies, PostgreSQL drops its connection and its lock, and
 *   another process takes the lease within LEASE_RETRY_MS.
 *
 * On SQLite there is one process: nothing here starts, `runsJobs()` is true, and nothing is remote.
 */
import crypto from "node:crypto";
import http from "node:http";
import os from "node:os";
import type { AddressInfo } from "node:net";
import pg from "pg";
import type { HostInfo, InstanceState, LiveState } from "../../agent/protocol";
import { config } from "../env";
import { db, databaseProvider } from "../db";
import { singleton } from "../global";
import { deadlineLimits, requestDeadline, type RequestDeadline } from "../http/deadline";
import { live, type LiveEntry } from "./live";
import type { AgentHello } from "./hub";

const CHANNEL = "fleetdeck_cluster";
/** NOTIFY refuses payloads of 8000 bytes or more; stay under with room for the envelope. */
const MAX_NOTIFY_BYTES = 7_600;
const FLUSH_MS = 300;
const HEARTBEAT_MS = 2_000;
/** A peer whose heartbeat has not moved for this long (by our clock) is dead. */
const PEER_DEAD_MS = 8_000;
const LEASE_RETRY_MS = 3_000;
const LEASE_KEY = 0x666c6474; // "fldt": the background-jobs lease
const NODE_PREFIX = "cluster.node.";
/** Signed internal requests older or newer than this are refused (replays, skewed clocks). */
const SIGNATURE_WINDOW_MS = 60_000;

/** `outputKeys`: the output topics a streamed request publishes under on the holder (live-output.ts). */
type Ask = (serverId: number, method: string, params: unknown, timeoutMs: number, outputKeys?: string[]) => Promise<unknown>;

/** The fields of LiveState, in the order the compact form carries them (temperatures apart). */
const STATE_FIELDS = [
  "cpu", "memUsed", "memTotal", "swapUsed", "diskUsed", "netInTransfer", "netOutTransfer", "netInSpeed", "netOutSpeed",
  "uptime", "load1", "load5", "load15", "tcpConnCount", "udpConnCount", "processCount",
] as const;

function packState(s: LiveState): unknown[] {
  const out: unknown[] = STATE_FIELDS.map((f) => s[f]);
  out.push(s.process.cpuMicros, s.process.memory, s.temperatures.length ? s.temperatures : 0);
  return out;
}

function unpackState(a: unknown[]): LiveState {
  const s = {} as Record<string, unknown>;
  STATE_FIELDS.forEach((f, i) => (s[f] = a[i]));
  const n = STATE_FIELDS.length;
  s.process = { cpuMicros: a[n], memory: a[n + 1] };
  s.temperatures = Array.isArray(a[n + 2]) ? a[n + 2] : [];
  return s as unknown as LiveState;
}

/**
 * One item of a batch: [kind, serverId, ...]. s = state [intervalMs, packed], h = host,
 * i = instances, a = the agent's hello (capabilities), c = connected [ip], d = disconnected, m = server row changed, r = server removed,
 * k = secret rotated, u = pending updates changed, v = a shared value [value] (an update scan's progress: shareValue).
 */
type Item = [string, number, ...unknown[]];

interface Peer {
  url: string;
  value: string;
  seenAt: number;
}

interface State {
  nodeId: string;
  enabled: boolean;
  listener: pg.Client | null;
  notifier: pg.Pool | null;
  internal: http.Server | null;
  url: string;
  holders: Map<number, string>;
  peers: Map<string, Peer>;
  /** Processes judged gone, with the registry row they left: not taken for new peers while it stays the same. */
  gone: Map<string, string>;
  dirty: Map<number, string>;
  meta: Item[];
  leased: boolean;
  beat: number;
  timers: NodeJS.Timeout[];
  stopped: boolean;
  /** Set while applying a peer's change to live: the hook must not publish it back. */
  applying: boolean;
  ask: Ask | null;
  drop: ((serverId: number) => void) | null;
}

const state: State = singleton("cluster", () => ({
  nodeId: `${os.hostname().slice(0, 24)}-${process.pid}-${crypto.randomBytes(3).toString("hex")}`,
  enabled: false,
  listener: null,
  notifier: null,
  internal: null,
  url: "",
  holders: new Map(),
  peers: new Map(),
  gone: new Map(),
  dirty: new Map(),
  meta: [],
  leased: false,
  beat: 0,
  timers: [],
  stopped: false,
  applying: false,
  ask: null,
  drop: null,
}));

export function clusterEnabled(): boolean {
  return state.enabled;
}

export function nodeId(): string {
  return state.nodeId;
}

/** Whether this process runs the fleet's background jobs now (always, on SQLite). */
export function runsJobs(): boolean {
  return !state.enabled || state.leased;
}

/** The process holding a server's agent, when it is another process. */
export function remoteHolder(serverId: number): string | undefined {
  const h = state.holders.get(serverId);
  return h && h !== state.nodeId ? h : undefined;
}

// ---- publishing (called from wiring.ts for the agents this process holds) ----

/** An agent held here changed: `kind` s(tate), h(ost), i(nstances), c(onnected), d(isconnected). */
export function localChange(serverId: number, kind: "s" | "h" | "i" | "c" | "d" | "a"): void {
  if (!state.enabled) return;
  if (kind === "c") {
    // The agent left another process for this one: that process may have died (the usual
    // reason). Asked at once, rather than after PEER_DEAD_MS without its heartbeat.
    const before = state.holders.get(serverId);
    if (before && before !== state.nodeId) void probePeer(before);
    state.holders.set(serverId, state.nodeId);
  }
  if (kind === "d" && state.holders.get(serverId) === state.nodeId) state.holders.delete(serverId);
  // Presence and reports overwrite each other: a connect must not be lost behind a later state.
  const prev = state.dirty.get(serverId) ?? "";
  if (!prev.includes(kind)) state.dirty.set(serverId, prev + kind);
}

/**
 * A small value of this process's own that every process should answer with (an update scan's
 * progress): published with the next batch; peers hand it to the handler registered for `kind`
 * (onSharedValue), which also says what this process carries for a newcomer's snapshot. Keep it
 * well under NOTIFY's limit.
 */
export function shareValue(kind: "v", serverId: number, value: unknown): void {
  if (!state.enabled) return;
  state.meta.push([kind, serverId, value]);
  void flush();
}

interface SharedValueHandler {
  /** A peer's value for a server (from: the peer's process id). */
  apply(serverId: number, value: unknown, from: string): void;
  /** The values this process carries, for a process that joins later. */
  carried(): [number, unknown][];
}
// On globalThis: Next's bundles load their own copy of this module (and of the modules registering).
const valueHandlers = singleton("clusterValueHandlers", () => new Map<string, SharedValueHandler>());
export function onSharedValue(kind: "v", handler: SharedValueHandler): void {
  valueHandlers.set(kind, handler);
}

const goneHandlers = singleton("clusterGoneHandlers", () => new Map<string, (nodeId: string) => void>());
/**
 * Runs `fn` with the id of a panel process that is gone (stopped, killed, or silent past
 * PEER_DEAD_MS), on every process that notices: what it was carrying must be settled by the
 * survivors (idempotently: each of them is told).
 */
export function onPeerGone(name: string, fn: (nodeId: string) => void): void {
  goneHandlers.set(name, fn);
}

/** This process and the peers it believes alive. */
export function liveNodeIds(): string[] {
  return [state.nodeId, ...state.peers.keys()];
}

/** A change of the servers' rows or of data other processes cache (from live.ts's hook). */
export function metaChange(kind: "m" | "r" | "k" | "u" | "x", serverId: number): void {
  if (!state.enabled || state.applying) return;
  state.meta.push([kind, serverId]);
  void flush();
}

function itemsOf(id: number, kinds: string): Item[] {
  const e = live.get(id);
  const out: Item[] = [];
  if (kinds.includes("d")) {
    out.push(["d", id]);
    return out;
  }
  if (!e) return out;
  if (kinds.includes("c")) out.push(["c", id, e.lastIp]);
  if (kinds.includes("a")) out.push(["a", id, e.agent]);
  if (kinds.includes("h") && e.host) out.push(["h", id, e.host]);
  if (kinds.includes("i")) out.push(["i", id, e.instances]);
  if (kinds.includes("s") && e.state) out.push(["s", id, e.intervalMs, packState(e.state)]);
  return out;
}

/** Packs items into payloads under NOTIFY's limit; an item too large alone becomes a "pull" item. */
function chunk(items: Item[]): string[] {
  const head = `{"n":${JSON.stringify(state.nodeId)},"b":[`;
  const payloads: string[] = [];
  let cur: string[] = [];
  let size = head.length + 2;
  for (const item of items) {
    let json = JSON.stringify(item);
    // A host report with hundreds of addresses or GPUs: peers fetch it from us instead.
    if (json.length + head.length + 2 > MAX_NOTIFY_BYTES) json = JSON.stringify(["p", item[1], item[0]]);
    if (size + json.length + 1 > MAX_NOTIFY_BYTES && cur.length) {
      payloads.push(head + cur.join(",") + "]}");
      cur = [];
      size = head.length + 2;
    }
    cur.push(json);
    size += json.length + 1;
  }
  if (cur.length) payloads.push(head + cur.join(",") + "]}");
  return payloads;
}

let flushing = false;
async function flush(): Promise<void> {
  if (!state.enabled || flushing || !state.notifier) return;
  if (!state.dirty.size && !state.meta.length) return;
  flushing = true;
  const dirty = state.dirty;
  const meta = state.meta;
  state.dirty = new Map();
  state.meta = [];
  try {
    const items: Item[] = [...meta];
    for (const [id, kinds] of dirty) items.push(...itemsOf(id, kinds));
    const payloads = chunk(items);
    // One round trip for the whole batch; PostgreSQL delivers them in order at commit.
    if (payloads.length) await state.notifier.query(`SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p`, [CHANNEL, payloads]);
  } catch {
    // PostgreSQL is unreachable: keep what was not sent, newest kinds merged, for the next flush.
    for (const [id, kinds] of dirty) {
      const now = state.dirty.get(id) ?? "";
      let merged = now;
      for (const k of kinds) if (!merged.includes(k)) merged += k;
      state.dirty.set(id, merged);
    }
    state.meta.unshift(...meta);
  } finally {
    flushing = false;
  }
}

// ---- applying what peers publish ----

function applyItems(from: string, items: Item[]): void {
  const peer = state.peers.get(from);
  if (peer) peer.seenAt = Date.now();
  state.applying = true;
  try {
    for (const item of items) applyItem(from, item);
  } finally {
    state.applying = false;
  }
}

function applyItem(from: string, item: Item): void {
  const [kind, id] = item;
  switch (kind) {
    case "c":
      // The agent connected to another process: a connection to this one is a stale leftover
      // (a network blip the agent noticed first). Dropped before the peer's news is applied.
      if (state.holders.get(id) === state.nodeId) state.drop?.(id);
      state.holders.set(id, from);
      live.applyRemote(id, { connected: true, lastIp: String(item[2] ?? "") });
      return;
    case "d":
      if (state.holders.get(id) !== from) return; // it moved on to another process already
      state.holders.delete(id);
      live.applyRemote(id, { connected: false });
      return;
    case "a":
      live.applyRemote(id, { agent: (item[2] ?? null) as AgentHello | null });
      return;
    case "h":
      live.applyRemote(id, { host: item[2] as HostInfo });
      return;
    case "i":
      live.applyRemote(id, { instances: item[2] as InstanceState[] });
      return;
    case "s":
      if (!state.holders.has(id)) state.holders.set(id, from);
      live.applyRemote(id, { intervalMs: Number(item[2]), state: unpackState(item[3] as unknown[]) });
      return;
    case "p":
      void pullEntries(from, [id]);
      return;
    case "m":
      void db.server.findUnique({ where: { id } }).then((row) => {
        state.applying = true;
        try {
          if (row) live.upsertServer(row);
        } finally {
          state.applying = false;
        }
      }, () => undefined);
      return;
    case "r":
      live.removeServer(id);
      return;
    case "k":
      live.secretChanged(id);
      return;
    case "u":
      invalidators.get("u")?.(id);
      return;
    case "x": {
      const what = SHARED_CACHES[id];
      if (what) reloaders.get(what)?.();
      return;
    }
    case "v":
      valueHandlers.get("v")?.apply(id, item[2], from);
      return;
  }
}

/**
 * Definitions every process holds whole in memory and reads on its hot paths: the alert rules
 * (evaluated by the process holding each agent), the service monitors (sent to the agents each
 * process holds) and maintenance (client and site switches, scheduled windows). A change made
 * through one process is announced (cacheChanged) and every other process reloads it at once
 * (onPeerReload), instead of evaluating or probing with what it loaded at start.
 */
export type SharedCache = "alertRules" | "monitors" | "maintenance";
const SHARED_CACHES: readonly SharedCache[] = ["alertRules", "monitors", "maintenance"];
const reloaders = singleton("clusterReloaders", () => new Map<SharedCache, () => void>());

/** This process changed `what` in the database: the other processes reload it. */
export function cacheChanged(what: SharedCache): void {
  metaChange("x", SHARED_CACHES.indexOf(what));
}

/** How this process reloads `what` when another process changed it. */
export function onPeerReload(what: SharedCache, reload: () => void): void {
  reloaders.set(what, reload);
}

// On globalThis with the rest: Next's bundles load their own copy of this module.
const invalidators = singleton("clusterInvalidators", () => new Map<string, (id: number) => void>());
/** Lets a module drop a cache of its own when a peer says the data behind it changed. */
export function onPeerChange(kind: "u", fn: (id: number) => void): void {
  invalidators.set(kind, fn);
}

function onNotification(msg: pg.Notification): void {
  if (msg.channel !== CHANNEL || !msg.payload) return;
  let parsed: { n?: string; b?: Item[]; hello?: boolean; bye?: boolean };
  try {
    parsed = JSON.parse(msg.payload);
  } catch {
    return;
  }
  const from = parsed.n;
  if (!from || from === state.nodeId) return;
  if (parsed.bye) return forgetPeer(from);
  if (parsed.hello) {
    void refreshPeers();
    return;
  }
  if (Array.isArray(parsed.b)) applyItems(from, parsed.b);
}

function forgetPeer(id: string, row?: string): void {
  const known = state.peers.get(id);
  state.peers.delete(id);
  const value = row ?? known?.value;
  if (value !== undefined) state.gone.set(id, value);
  for (const [name, fn] of goneHandlers) {
    try {
      fn(id);
    } catch (e) {
      console.error(`fleetdeck: settling what panel process ${id} carried (${name}) failed:`, e);
    }
  }
  state.applying = true;
  try {
    for (const [serverId, holder] of [...state.holders]) {
      if (holder !== id) continue;
      state.holders.delete(serverId);
      live.applyRemote(serverId, { connected: false });
    }
  } finally {
    state.applying = false;
  }
}

// ---- the process registry ----

async function heartbeat(): Promise<void> {
  state.beat++;
  const value = JSON.stringify({ url: state.url, beat: state.beat, pid: process.pid, host: os.hostname() });
  const key = NODE_PREFIX + state.nodeId;
  await db.setting.upsert({ where: { key }, create: { key, value }, update: { value } }).catch(() => undefined);
}

let refreshedAt = Date.now();
async function refreshPeers(): Promise<void> {
  let rows: { key: string; value: string }[];
  try {
    rows = await db.setting.findMany({ where: { key: { startsWith: NODE_PREFIX } }, select: { key: true, value: true } });
  } catch {
    return; // PostgreSQL unreachable: judge nobody dead on missing data.
  }
  const now = Date.now();
  // Back from an outage (or a stalled loop): nobody could write a heartbeat meanwhile, so every
  // peer gets a fresh period to show one before it is judged.
  if (now - refreshedAt > PEER_DEAD_MS / 2) for (const peer of state.peers.values()) peer.seenAt = now;
  refreshedAt = now;
  const seen = new Set<string>();
  for (const row of rows) {
    const id = row.key.slice(NODE_PREFIX.length);
    if (id === state.nodeId) continue;
    seen.add(id);
    if (state.gone.get(id) === row.value) {
      // Its last heartbeat: the process is gone. The lease holder tidies the registry.
      if (state.leased) await db.setting.deleteMany({ where: { key: row.key, value: row.value } }).catch(() => undefined);
      continue;
    }
    state.gone.delete(id); // beating again (it was cut off, not dead): a peer once more
    let url = "";
    try {
      url = String((JSON.parse(row.value) as { url?: string }).url ?? "");
    } catch {
      continue;
    }
    const known = state.peers.get(id);
    if (!known) {
      state.peers.set(id, { url, value: row.value, seenAt: now });
      // A process we have not seen before: fetch what it holds (it may hold agents already).
      void pullSnapshot(id);
    } else if (known.value !== row.value) {
      known.value = row.value;
      known.url = url;
      known.seenAt = now;
    } else if (now - known.seenAt > PEER_DEAD_MS) {
      forgetPeer(id, row.value);
      // The lease holder tidies the registry; a late heartbeat of a live process writes it again.
      if (state.leased) await db.setting.deleteMany({ where: { key: row.key } }).catch(() => undefined);
    }
  }
  for (const id of [...state.peers.keys()]) if (!seen.has(id)) forgetPeer(id);
  for (const id of [...state.gone.keys()]) if (!seen.has(id)) state.gone.delete(id);
}

/**
 * Whether a peer still runs, asked of its internal listener: a refused connection means no
 * process listens there any more (a killed process's port is closed at once). Anything else —
 * an answer, a time-out, an unreachable host — is left to the heartbeat.
 */
async function probePeer(id: string): Promise<void> {
  const peer = state.peers.get(id);
  if (!peer) return;
  const refused = await new Promise<boolean>((resolve) => {
    const req = http.get(peer.url + "/alive", { timeout: 3_000, agent: false }, (res) => {
      res.resume();
      resolve(false);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", (e: NodeJS.ErrnoException) => resolve(e.code === "ECONNREFUSED"));
  });
  if (refused && state.peers.get(id) === peer) {
    console.log(`fleetdeck: panel process ${id} is gone (its listener refuses connections)`);
    forgetPeer(id);
  }
}

// ---- process-to-process HTTP ----

function sign(ts: string, method: string, path: string, body: string): string {
  return crypto.createHmac("sha256", config().NEXTAUTH_SECRET).update(`${ts}\n${method}\n${path}\n`).update(body).digest("base64url");
}

/**
 * The headers that sign a request to a peer: `signed` is its body, or for a streamed body its
 * parameters (sent in a header: a stream is not read before the request is known to be a peer's).
 */
export function signedHeaders(method: string, path: string, signed: string): Record<string, string> {
  const ts = String(Date.now());
  return { "x-fleetdeck-ts": ts, "x-fleetdeck-sig": sign(ts, method, path, signed) };
}

/** Whether a request to the internal listener comes from a process of this fleet. */
export function verified(req: http.IncomingMessage, body: string): boolean {
  const ts = String(req.headers["x-fleetdeck-ts"] ?? "");
  const sig = String(req.headers["x-fleetdeck-sig"] ?? "");
  if (!/^\d{1,16}$/.test(ts) || Math.abs(Date.now() - Number(ts)) > SIGNATURE_WINDOW_MS) return false;
  const want = Buffer.from(sign(ts, req.method ?? "", req.url ?? "", body));
  const got = Buffer.from(sig);
  return got.length === want.length && crypto.timingSafeEqual(got, want);
}

/** The internal URL of a live peer process (for the streams of lib/fleet/cluster-streams.ts). */
export function peerUrl(peerId: string): string {
  const peer = state.peers.get(peerId);
  if (!peer) throw Object.assign(new Error("the process holding this agent is gone"), { peerGone: true });
  return peer.url;
}

async function peerCall(peerId: string, path: string, payload: unknown, timeoutMs: number): Promise<unknown> {
  const peer = state.peers.get(peerId);
  if (!peer) throw Object.assign(new Error("the process holding this agent is gone"), { peerGone: true });
  const body = payload === undefined ? "" : JSON.stringify(payload);
  const ts = String(Date.now());
  const method = payload === undefined ? "GET" : "POST";
  const res = await fetch(peer.url + path, {
    method,
    headers: { "content-type": "application/json", "x-fleetdeck-ts": ts, "x-fleetdeck-sig": sign(ts, method, path, body) },
    body: payload === undefined ? undefined : body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!res.ok) throw new Error(`peer answered ${res.status}`);
  return res.json();
}

interface SnapshotEntry {
  id: number;
  host: HostInfo | null;
  state: LiveState | null;
  intervalMs: number;
  lastIp: string;
  instances: InstanceState[];
  agent: AgentHello | null;
}

function snapshotOf(ids?: number[]): SnapshotEntry[] {
  const out: SnapshotEntry[] = [];
  const want = ids ?? [...state.holders].filter(([, h]) => h === state.nodeId).map(([id]) => id);
  for (const id of want) {
    const e: LiveEntry | undefined = live.get(id);
    if (!e || !e.connected || state.holders.get(id) !== state.nodeId) continue;
    out.push({ id, host: e.host, state: e.state, intervalMs: e.intervalMs, lastIp: e.lastIp, instances: e.instances, agent: e.agent });
  }
  return out;
}

function applySnapshot(from: string, entries: SnapshotEntry[]): void {
  state.applying = true;
  try {
    for (const s of entries) {
      state.holders.set(s.id, from);
      live.applyRemote(s.id, { connected: true, lastIp: s.lastIp, host: s.host ?? undefined, instances: s.instances, state: s.state ?? undefined, intervalMs: s.intervalMs, agent: s.agent ?? null });
    }
  } finally {
    state.applying = false;
  }
}

async function pullSnapshot(peerId: string): Promise<void> {
  try {
    applySnapshot(peerId, (await peerCall(peerId, "/snapshot", undefined, 30_000)) as SnapshotEntry[]);
    const values = (await peerCall(peerId, "/values", undefined, 10_000)) as Record<string, [number, unknown][]>;
    for (const [kind, list] of Object.entries(values)) for (const [id, value] of list) valueHandlers.get(kind)?.apply(id, value, peerId);
  } catch {
    // Its batches will bring its agents as they report.
  }
}

async function pullEntries(peerId: string, ids: number[]): Promise<void> {
  try {
    applySnapshot(peerId, (await peerCall(peerId, "/snapshot", { ids }, 10_000)) as SnapshotEntry[]);
  } catch {
    /* next report brings it */
  }
}

/** Why a request routed to another process failed, in the hub's terms. */
export class RemoteAskError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "AgentRequestError";
  }
}

/** Asks the agent held by another process, through that process; its answer or its error comes back. */
export async function askRemote(serverId: number, method: string, params: unknown, timeoutMs: number, outputKeys?: string[]): Promise<unknown> {
  const holder = remoteHolder(serverId);
  if (!holder) throw new RemoteAskError("offline", `the agent of server #${serverId} is not connected`);
  let answer: { ok: boolean; data?: unknown; code?: string; error?: string };
  try {
    answer = (await peerCall(holder, "/ask", { serverId, method, params, timeoutMs, ...(outputKeys?.length ? { outputKeys } : {}) }, timeoutMs + 5_000)) as typeof answer;
  } catch (e) {
    throw new RemoteAskError("offline", `the panel process holding the agent of server #${serverId} did not answer: ${(e as Error).message}`);
  }
  if (answer.ok) return answer.data;
  throw new RemoteAskError(answer.code ?? "internal", answer.error ?? "the agent failed");
}

function readBody(req: http.IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on("data", (d: Buffer) => {
      size += d.length;
      if (size > limit) {
        reject(new Error("too large"));
        req.destroy();
      } else parts.push(d);
    });
    req.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
    req.on("error", reject);
  });
}

/** A route of the internal listener that reads or writes a stream; it verifies the signature itself. */
export type InternalStreamRoute = (req: http.IncomingMessage, res: http.ServerResponse, deadline: RequestDeadline) => void;
const streamRoutes = singleton("clusterStreamRoutes", () => new Map<string, InternalStreamRoute>());
/** Serves `path` on the internal listener with `route` (lib/fleet/cluster-streams.ts: file transfers). */
export function onInternalStream(path: string, route: InternalStreamRoute): void {
  streamRoutes.set(path, route);
}

async function serveInternal(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const deadline = requestDeadline(req, res, deadlineLimits(config()));
  const stream = streamRoutes.get(req.url ?? "");
  if (stream && req.method === "POST") return stream(req, res, deadline);
  const send = (status: number, body: unknown) => {
    const json = JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(json) });
    res.end(json);
  };
  let body: string;
  try {
    body = await readBody(req, 64 * 1024 * 1024);
  } catch {
    return send(413, { error: "too large" });
  }
  if (req.url === "/alive") return send(200, {});
  if (!verified(req, body)) return send(401, { error: "bad signature" });
  if (req.url === "/values") {
    const out: Record<string, [number, unknown][]> = {};
    for (const [kind, h] of valueHandlers) out[kind] = h.carried();
    return send(200, out);
  }
  if (req.url === "/snapshot") {
    const ids = body ? ((JSON.parse(body) as { ids?: number[] }).ids ?? undefined) : undefined;
    return send(200, snapshotOf(ids));
  }
  if (req.url === "/ask" && req.method === "POST" && state.ask) {
    const q = JSON.parse(body) as { serverId: number; method: string; params: unknown; timeoutMs: number; outputKeys?: string[] };
    const keys = Array.isArray(q.outputKeys) ? q.outputKeys.filter((k): k is string => typeof k === "string").slice(0, 8) : undefined;
    try {
      return send(200, { ok: true, data: await state.ask(q.serverId, q.method, q.params, Math.min(q.timeoutMs, 3_600_000), keys) });
    } catch (e) {
      const code = (e as { code?: unknown })?.code;
      return send(200, { ok: false, code: typeof code === "string" ? code : "internal", error: (e as Error)?.message ?? String(e) });
    }
  }
  if (req.url === "/watch" && req.method === "POST") return serveWatch(req, res, body);
  const handler = req.method === "POST" ? peerHandlers.get(req.url ?? "") : undefined;
  if (handler) {
    try {
      return send(200, { ok: true, data: await handler(body ? JSON.parse(body) : null) });
    } catch (e) {
      return send(200, { ok: false, error: (e as Error)?.message ?? String(e) });
    }
  }
  send(404, { error: "not found" });
}

// ---- small requests of other modules to a given process ----

type PeerHandler = (payload: unknown) => Promise<unknown>;
const peerHandlers = singleton("clusterPeerHandlers", () => new Map<string, PeerHandler>());

/** Answers `path` from peers (a signed POST with a JSON payload) with `fn`'s result. */
export function onPeerRequest(path: string, fn: PeerHandler): void {
  peerHandlers.set(path, fn);
}

/** Asks one process (by its node id) to answer `path` (registered there with onPeerRequest). */
export async function callPeer(node: string, path: string, payload: unknown, timeoutMs = 5_000): Promise<unknown> {
  const answer = (await peerCall(node, path, payload, timeoutMs)) as { ok: boolean; data?: unknown; error?: string };
  if (!answer.ok) throw new Error(answer.error ?? "the peer failed");
  return answer.data;
}

// ---- streamed output between processes (lib/fleet/live-output.ts) ----

/** Events of one output topic of an agent held here, for a peer: returns the unsubscribe. */
type WatchHandler = (serverId: number, key: string, emit: (event: { t: string }) => void) => () => void;
const watchHandler = singleton("clusterWatch", () => ({ fn: null as WatchHandler | null }));

/** Lets live-output.ts serve peers' `/watch` from this process's agents. */
export function onPeerWatch(fn: WatchHandler): void {
  watchHandler.fn = fn;
}

/** A peer far behind on a watch stream is cut off (it ends its watchers, who read again). */
const MAX_WATCH_BUFFER = 1024 * 1024;

function serveWatch(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
  let q: { serverId?: unknown; key?: unknown };
  try {
    q = JSON.parse(body) as typeof q;
  } catch {
    q = {};
  }
  const fn = watchHandler.fn;
  if (!fn || typeof q.serverId !== "number" || typeof q.key !== "string") {
    res.writeHead(400, { "content-type": "application/json" }).end('{"error":"bad watch"}');
    return;
  }
  res.writeHead(200, { "content-type": "application/x-ndjson", "cache-control": "no-store" });
  res.socket?.setNoDelay(true);
  let done = false;
  let stop: (() => void) | null = null;
  const finish = () => {
    if (done) return;
    done = true;
    stop?.();
  };
  stop = fn(q.serverId, q.key, (event) => {
    if (done) return;
    if (res.writableLength > MAX_WATCH_BUFFER) {
      finish();
      res.destroy();
      return;
    }
    res.write(JSON.stringify(event) + "\n");
    if (event.t === "end") {
      finish();
      res.end();
    }
  });
  if (done) stop();
  res.on("close", finish);
}

/**
 * Streams the events of an output topic from the process holding the agent: `onEvent` for each,
 * `onClose` once when the stream ends for any reason. Returns what cancels it.
 */
export function watchRemote(serverId: number, key: string, onEvent: (event: unknown) => void, onClose: () => void): () => void {
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    onClose();
  };
  const holder = remoteHolder(serverId);
  const peer = holder ? state.peers.get(holder) : undefined;
  if (!peer) {
    setImmediate(close);
    return () => undefined;
  }
  const body = JSON.stringify({ serverId, key });
  const ts = String(Date.now());
  const target = new URL("/watch", peer.url);
  const req = http.request(target, {
    method: "POST",
    headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), "x-fleetdeck-ts": ts, "x-fleetdeck-sig": sign(ts, "POST", "/watch", body) },
  });
  req.on("response", (res) => {
    if (res.statusCode !== 200) {
      res.resume();
      close();
      return;
    }
    res.setEncoding("utf8");
    let buffered = "";
    res.on("data", (text: string) => {
      buffered += text;
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (!line || closed) continue;
        try {
          onEvent(JSON.parse(line));
        } catch {
          /* a line cut by a dying peer */
        }
      }
    });
    res.on("end", close);
    res.on("close", close);
    res.on("error", close);
  });
  req.on("error", close);
  req.end(body);
  return () => {
    closed = true;
    req.destroy();
  };
}

/** The address peers reach this process at: loopback when the panel listens there, else this host's. */
function advertisedHost(host: string): string {
  if (host === "127.0.0.1" || host === "localhost" || host === "::1") return "127.0.0.1";
  if (host !== "0.0.0.0" && host !== "::") return host;
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return os.hostname();
}

// ---- the LISTEN connection, the lease, start and stop ----

async function connectListener(): Promise<void> {
  const client = new pg.Client({ connectionString: config().DATABASE_URL, application_name: `fleetdeck:${state.nodeId}`.slice(0, 63), keepAlive: true });
  client.on("notification", onNotification);
  client.on("error", () => undefined);
  client.on("end", () => {
    if (state.listener !== client) return;
    state.listener = null;
    state.leased = false;
    if (!state.stopped) setTimeout(() => void reconnect(), 1_000).unref();
  });
  await client.connect();
  await client.query(`LISTEN ${CHANNEL}`);
  state.listener = client;
}

/**
 * Re-reads the servers' rows: changes made by other processes while this one was not listening
 * (before its LISTEN began at start, or during a database outage) arrived as no notification.
 */
async function resyncServers(): Promise<void> {
  const rows = await db.server.findMany();
  const seen = new Set<number>();
  state.applying = true;
  try {
    for (const row of rows) {
      seen.add(row.id);
      live.upsertServer(row);
    }
    for (const e of live.all()) if (!seen.has(e.meta.id)) live.removeServer(e.meta.id);
  } finally {
    state.applying = false;
  }
}

async function reconnect(): Promise<void> {
  if (state.stopped || state.listener) return;
  try {
    await connectListener();
    // Messages sent while we were away are lost: resynchronise from every peer, and tell ours.
    await resyncServers().catch(() => undefined);
    for (const id of state.peers.keys()) void pullSnapshot(id);
    for (const id of state.holders.keys()) if (state.holders.get(id) === state.nodeId) localChange(id, "c");
    await tryLease();
  } catch {
    setTimeout(() => void reconnect(), 1_000).unref();
  }
}

async function tryLease(): Promise<void> {
  const client = state.listener;
  if (!client || state.leased) return;
  try {
    const r = await client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1) AS ok", [LEASE_KEY]);
    if (r.rows[0]?.ok && state.listener === client) {
      state.leased = true;
      console.log(`fleetdeck: this process (${state.nodeId}) runs the fleet's background jobs`);
    }
  } catch {
    /* retried */
  }
}

/**
 * Joins the cluster (PostgreSQL only): the internal listener, the LISTEN connection, the registry
 * and the timers. `ask` runs a request on an agent held here (the hub's request); `drop` closes
 * the connection of an agent held here that has connected to another process since.
 */
export async function startCluster(ask: Ask, drop: (serverId: number) => void): Promise<{ stop(): Promise<void> }> {
  if (databaseProvider() !== "postgresql") return { stop: async () => undefined };
  state.ask = ask;
  state.drop = drop;
  state.stopped = false;
  const env = config();
  // Peers' requests: node's header limit, and each request's own deadline (serveInternal), as on
  // the panel's port — a streamed upload is cut only when it stalls.
  const internal = http.createServer({ headersTimeout: 15_000, requestTimeout: 0 }, (req, res) => void serveInternal(req, res).catch(() => res.destroy()));
  const bindHost = env.HOST === "localhost" ? "127.0.0.1" : env.HOST;
  // exclusive: in a node:cluster worker a plain listen(0) would share one port among the workers,
  // and a peer's request would reach whichever worker, not the one holding the agent.
  await new Promise<void>((resolve, reject) => internal.once("error", reject).listen({ port: 0, host: bindHost, exclusive: true }, resolve));
  state.internal = internal;
  state.url = `http://${advertisedHost(env.HOST)}:${(internal.address() as AddressInfo).port}`;
  state.notifier = new pg.Pool({ connectionString: env.DATABASE_URL, max: 2, application_name: "fleetdeck-notify", connectionTimeoutMillis: 5_000 });
  state.notifier.on("error", () => undefined);
  await connectListener();
  state.enabled = true;
  live.onMetaChange = metaChange;
  // A server another process added between our first read and our LISTEN would stay unknown.
  await resyncServers();
  await heartbeat();
  await refreshPeers();
  await state.notifier.query("SELECT pg_notify($1, $2)", [CHANNEL, JSON.stringify({ n: state.nodeId, hello: true })]).catch(() => undefined);
  await tryLease();
  state.timers = [
    setInterval(() => void flush(), FLUSH_MS),
    setInterval(() => void heartbeat().then(refreshPeers), HEARTBEAT_MS),
    setInterval(() => void tryLease(), LEASE_RETRY_MS),
  ];
  for (const t of state.timers) t.unref();
  return {
    async stop() {
      state.stopped = true;
      for (const t of state.timers) clearInterval(t);
      // Tell peers at once rather than after PEER_DEAD_MS: our agents are about to reconnect elsewhere.
      await state.notifier?.query("SELECT pg_notify($1, $2)", [CHANNEL, JSON.stringify({ n: state.nodeId, bye: true })]).catch(() => undefined);
      await db.setting.deleteMany({ where: { key: NODE_PREFIX + state.nodeId } }).catch(() => undefined);
      const l = state.listener;
      state.listener = null;
      state.enabled = false;
      await l?.end().catch(() => undefined);
      await state.notifier?.end().catch(() => undefined);
      state.internal?.close();
    },
  };
}

/** For tests and /readyz-like probes: who holds what. */
export function clusterView(): { node: string; peers: string[]; leased: boolean } {
  return { node: state.nodeId, peers: [...state.peers.keys()], leased: state.leased };
}
