/**
 * Live output: an instance's console and a running command's output, pushed to whoever watches
 * them as the agent sends it (protocol 6, agent/protocol.ts "Streamed output").
 *
 * Output is organised in topics, one per (server, key):
 * - `i:<uuid>`: an instance's console. While a topic has listeners the agent is told to push that
 *   instance's output (`watch`); the topic keeps a mirror of the agent's ring buffer, read once
 *   (`instance.output`, whose `seq` says which chunk it ends at) and continued by the chunks, so a
 *   new listener gets the whole scroll-back at once and then every chunk. A chunk number skipped
 *   (output dropped by a flooding instance) makes the topic read the buffer again (at most once a
 *   second) and start its listeners over. An agent of protocol 5 has no `watch`: its topics end
 *   at once with "unsupported", and the browser polls `instance.output` as before.
 * - `r:<runId>` (every command run) and `k:<userId>:<key>` (a key the browser chose before
 *   sending its command: it can listen before the run exists): a command's output. The topic is
 *   fed by the request's output chunks and ends with the request; it keeps what came so far for
 *   late listeners (within a memory budget).
 *
 * Events to listeners: `reset` (everything so far: replace what is shown), `out` (append), `end`
 * (the topic is over: offline, unsupported, failed, done).
 *
 * Topics live on the process holding the agent. A process serving browsers for an agent held
 * by another process relays the topic over one streaming HTTP answer from the holder
 * (lib/fleet/cluster.ts `watchRemote`), shared by all its listeners.
 */
import {
  MAX_OUTPUT_BYTES,
  STREAMING_PROTOCOL_VERSION,
  type CommandOutputChunk,
  type InstanceOutputChunk,
  type RequestMap,
  type RequestMethod,
} from "../../agent/protocol";
import { getSingleton, singleton } from "../global";
import { onPeerWatch, remoteHolder, watchRemote } from "./cluster";
import type { AgentHub } from "./hub";
import { live } from "./live";

export type EndReason = "offline" | "unsupported" | "failed" | "done";
export type OutputEvent = { t: "reset"; text: string } | { t: "out"; text: string } | { t: "end"; reason: EndReason; message?: string };
export type OutputListener = (event: OutputEvent) => void;

/** What a topic keeps for new listeners: as much as the agent's ring buffer holds. */
const MIRROR_CHARS = 64 * 1024;
/** Output kept, over every command topic nobody listens to yet. */
const RUN_BUDGET_CHARS = 32 * 1024 * 1024;
/** A console's buffer is read again at most this often (a flooding instance). */
const RESYNC_MIN_MS = 1_000;
/** Chunks held while the buffer is being read, at most (beyond, they are dropped and read again). */
const MAX_QUEUED = 256;
const READ_TIMEOUT_MS = 3_500;
/** An ended command's topic stays this long for a listener that comes late (its end and output). */
const RUN_LINGER_MS = 30_000;
const INCOMPLETE_NOTE = "[Fleetdeck: the start of this command's output is shown when it ends]\n";

interface Topic {
  id: string;
  kind: "instance" | "run" | "relay";
  serverId: number;
  key: string;
  listeners: Set<OutputListener>;
  mirror: string;
  /** A reset went out: a new listener can be given the mirror at once. */
  ready: boolean;
  // instance topics
  lastSeq: number;
  synced: boolean;
  reading: boolean;
  lastRead: number;
  readTimer: NodeJS.Timeout | null;
  queued: InstanceOutputChunk[];
  // command topics
  active: boolean;
  ended: OutputEvent | null;
  /** Output was left out (memory budget): the mirror is not the whole of it. */
  partial: boolean;
  // relay topics
  cancel: (() => void) | null;
}

const state = singleton("liveOutput", () => ({ topics: new Map<string, Topic>(), runChars: 0 }));

function hub(): AgentHub | undefined {
  return getSingleton<AgentHub>("agentHub");
}

const topicId = (serverId: number, key: string) => `${serverId}|${key}`;

function newTopic(kind: Topic["kind"], serverId: number, key: string): Topic {
  const t: Topic = {
    id: topicId(serverId, key), kind, serverId, key, listeners: new Set(), mirror: "", ready: false,
    lastSeq: 0, synced: false, reading: false, lastRead: 0, readTimer: null, queued: [],
    active: false, ended: null, partial: false, cancel: null,
  };
  state.topics.set(t.id, t);
  return t;
}

function emit(t: Topic, event: OutputEvent): void {
  for (const l of [...t.listeners]) {
    try {
      l(event);
    } catch (e) {
      console.error("fleetdeck: live output listener failed:", e);
    }
  }
}

const later = (listener: OutputListener, event: OutputEvent) => setImmediate(() => listener(event));

function tail(text: string, max = MIRROR_CHARS): string {
  return text.length > max ? text.slice(text.length - max) : text;
}

/** Ends a topic: its listeners get `event` and it is forgotten. */
function endTopic(t: Topic, event: OutputEvent): void {
  if (state.topics.get(t.id) === t) state.topics.delete(t.id);
  if (t.readTimer) clearTimeout(t.readTimer);
  t.readTimer = null;
  if (t.kind === "run") state.runChars -= t.mirror.length;
  t.cancel?.();
  t.cancel = null;
  emit(t, event);
  t.listeners.clear();
}

// ---- who watches -------------------------------------------------------------------------------------

/**
 * Listens to a topic of a server's agent wherever it is held: here, through the process holding
 * it, or nowhere (the listener gets `end` "offline" at once). Returns the unsubscribe. Events may
 * come before this returns (a ready topic's `reset`); an `end` always comes after.
 */
export function watchOutput(serverId: number, key: string, listener: OutputListener): () => void {
  if (hub()?.isConnected(serverId)) return watchLocal(serverId, key, listener);
  if (remoteHolder(serverId)) return watchRelay(serverId, key, listener);
  later(listener, { t: "end", reason: "offline", message: "The agent is not connected" });
  return () => undefined;
}

/** Whether live output of instance consoles can come from this server's agent now. */
export function consoleStreams(serverId: number): boolean {
  return (live.get(serverId)?.agent?.protocol ?? 0) >= STREAMING_PROTOCOL_VERSION;
}

function watchLocal(serverId: number, key: string, listener: OutputListener): () => void {
  let t = state.topics.get(topicId(serverId, key));
  if (t && t.kind === "relay") {
    // The agent has come to this process since: the relay is stale.
    endTopic(t, { t: "end", reason: "offline", message: "The agent moved to another panel process" });
    t = undefined;
  }
  if (key.startsWith("i:")) {
    if (!t) {
      if (!consoleStreams(serverId)) {
        later(listener, { t: "end", reason: "unsupported", message: "This agent is too old to stream its output (protocol 6): the console is read every moment instead" });
        return () => undefined;
      }
      t = newTopic("instance", serverId, key);
      t.listeners.add(listener);
      sendWatch(serverId);
      readBuffer(t);
    } else {
      t.listeners.add(listener);
      if (t.ready) listener({ t: "reset", text: t.mirror });
    }
  } else {
    t ??= newTopic("run", serverId, key);
    if (t.mirror || t.active || t.ended) listener({ t: "reset", text: (t.partial ? INCOMPLETE_NOTE : "") + t.mirror });
    if (t.ended) {
      later(listener, t.ended);
      return () => undefined;
    }
    t.listeners.add(listener);
  }
  const topic = t;
  return () => {
    topic.listeners.delete(listener);
    if (topic.listeners.size || state.topics.get(topic.id) !== topic) return;
    if (topic.kind === "instance") {
      endTopic(topic, { t: "end", reason: "done" });
      sendWatch(serverId);
    } else if (!topic.active && !topic.ended) {
      // Nothing ran under this key while it was watched.
      endTopic(topic, { t: "end", reason: "done" });
    }
  };
}

function watchRelay(serverId: number, key: string, listener: OutputListener): () => void {
  let t = state.topics.get(topicId(serverId, key));
  if (t && t.kind !== "relay") {
    endTopic(t, { t: "end", reason: "offline", message: "The agent moved to another panel process" });
    t = undefined;
  }
  if (!t) {
    const topic = newTopic("relay", serverId, key);
    t = topic;
    topic.cancel = watchRemote(
      serverId,
      key,
      (raw) => {
        const e = raw as OutputEvent;
        if (e.t === "reset" && typeof e.text === "string") {
          topic.mirror = tail(e.text);
          topic.ready = true;
          emit(topic, { t: "reset", text: e.text });
        } else if (e.t === "out" && typeof e.text === "string") {
          topic.mirror = tail(topic.mirror + e.text);
          emit(topic, { t: "out", text: e.text });
        } else if (e.t === "end") {
          topic.cancel = null;
          endTopic(topic, { t: "end", reason: e.reason ?? "offline", ...(typeof e.message === "string" ? { message: e.message } : {}) });
        }
      },
      () => {
        topic.cancel = null;
        if (state.topics.get(topic.id) === topic) endTopic(topic, { t: "end", reason: "offline", message: "Lost the panel process holding the agent" });
      },
    );
  }
  t.listeners.add(listener);
  if (t.ready) listener({ t: "reset", text: t.mirror });
  const topic = t;
  return () => {
    topic.listeners.delete(listener);
    if (!topic.listeners.size && state.topics.get(topic.id) === topic) endTopic(topic, { t: "end", reason: "done" });
  };
}

// A peer's browsers watching an agent held here.
onPeerWatch((serverId, key, emitToPeer) => {
  if (!hub()?.isConnected(serverId)) {
    later(emitToPeer, { t: "end", reason: "offline", message: "The agent is not connected" });
    return () => undefined;
  }
  return watchLocal(serverId, key, emitToPeer);
});

// ---- instance consoles (fed by the agent) -----------------------------------------------------------

/** Tells the agent which of its instances are watched now. */
function sendWatch(serverId: number): void {
  if (!consoleStreams(serverId)) return;
  const uuids: string[] = [];
  for (const t of state.topics.values()) if (t.kind === "instance" && t.serverId === serverId) uuids.push(t.key.slice(2));
  hub()?.sendWatch(serverId, uuids);
}

/** Reads the agent's buffer: the mirror starts again from it, and the chunks after its `seq` follow. */
function readBuffer(t: Topic): void {
  t.synced = false;
  if (t.reading || t.readTimer) return;
  const wait = t.lastRead + RESYNC_MIN_MS - Date.now();
  if (wait > 0) {
    t.readTimer = setTimeout(() => {
      t.readTimer = null;
      if (state.topics.get(t.id) === t) readBuffer(t);
    }, wait);
    return;
  }
  const h = hub();
  if (!h) return endTopic(t, { t: "end", reason: "offline" });
  t.reading = true;
  t.lastRead = Date.now();
  h.request(t.serverId, "instance.output", { uuid: t.key.slice(2) }, READ_TIMEOUT_MS).then(
    (r) => {
      t.reading = false;
      if (state.topics.get(t.id) !== t) return;
      t.mirror = tail(r.output);
      t.lastSeq = r.seq ?? 0;
      t.synced = true;
      t.ready = true;
      emit(t, { t: "reset", text: t.mirror });
      const queued = t.queued;
      t.queued = [];
      for (const c of queued) applyChunk(t, c);
    },
    (e: unknown) => {
      t.reading = false;
      if (state.topics.get(t.id) !== t) return;
      const code = (e as { code?: string })?.code;
      endTopic(t, { t: "end", reason: code === "offline" ? "offline" : "failed", message: e instanceof Error ? e.message : String(e) });
    },
  );
}

function applyChunk(t: Topic, c: InstanceOutputChunk): void {
  if (!t.synced) {
    if (t.queued.length < MAX_QUEUED) t.queued.push(c);
    return;
  }
  if (c.seq <= t.lastSeq) return; // in the buffer read already
  if (c.seq !== t.lastSeq + 1) {
    // Output was dropped in between: read the buffer again.
    t.queued.push(c);
    readBuffer(t);
    return;
  }
  t.lastSeq = c.seq;
  t.mirror = tail(t.mirror + c.data);
  emit(t, { t: "out", text: c.data });
}

/** The hub's `onInstanceOutput`. */
export function instanceOutput(serverId: number, chunks: InstanceOutputChunk[]): void {
  for (const c of chunks) {
    const t = state.topics.get(topicId(serverId, `i:${c.uuid}`));
    if (t && t.kind === "instance") applyChunk(t, c);
  }
}

/** The agent said hello (it may be a new process, or an older one): watched consoles start over. */
export function agentReady(serverId: number): void {
  const mine = [...state.topics.values()].filter((t) => t.serverId === serverId);
  if (!mine.length) return;
  for (const t of mine) {
    if (t.kind === "relay") endTopic(t, { t: "end", reason: "offline", message: "The agent moved to this panel process" });
    else if (t.kind === "instance" && !consoleStreams(serverId)) endTopic(t, { t: "end", reason: "unsupported" });
  }
  sendWatch(serverId);
  for (const t of mine) if (t.kind === "instance" && state.topics.get(t.id) === t) readBuffer(t);
}

/** The agent disconnected from this process: what was watched of it ends. */
export function agentGone(serverId: number): void {
  for (const t of [...state.topics.values()]) {
    if (t.serverId === serverId && t.kind !== "relay") endTopic(t, { t: "end", reason: "offline", message: "The agent disconnected" });
  }
}

// ---- command output (fed by a request's chunks) -----------------------------------------------------

function runTopic(serverId: number, key: string): Topic {
  const existing = state.topics.get(topicId(serverId, key));
  if (existing && existing.kind === "run" && !existing.active) {
    state.runChars -= existing.mirror.length;
    Object.assign(existing, { mirror: "", ended: null, partial: false });
    existing.active = true;
    return existing;
  }
  if (existing) endTopic(existing, { t: "end", reason: "done" });
  const t = newTopic("run", serverId, key);
  t.active = true;
  return t;
}

function runOutput(topics: Topic[], c: CommandOutputChunk): void {
  for (const t of topics) {
    // Kept for late listeners within the budget; always passed on to present ones.
    if (t.listeners.size || state.runChars + c.data.length <= RUN_BUDGET_CHARS) {
      if (t.mirror.length + c.data.length <= MAX_OUTPUT_BYTES * 2) {
        t.mirror += c.data;
        state.runChars += c.data.length;
      } else t.partial = true;
    } else t.partial = true;
    emit(t, { t: "out", text: c.data });
  }
}

function runEnded(topics: Topic[], event: OutputEvent): void {
  for (const t of topics) {
    t.active = false;
    t.ended = event;
    if (state.topics.get(t.id) !== t) continue;
    emit(t, event);
    t.listeners.clear();
    setTimeout(() => {
      if (state.topics.get(t.id) === t && !t.active) endTopic(t, event);
    }, RUN_LINGER_MS).unref();
  }
}

/**
 * Sends a request to an agent held by this process. With `outputKeys`, the output chunks it
 * streams (a `cmd.run` with `stream`) are published under those keys until it answers.
 */
export function requestWithOutput<M extends RequestMethod>(
  h: AgentHub,
  serverId: number,
  method: M,
  params: RequestMap[M]["params"],
  timeoutMs: number,
  outputKeys?: string[],
): Promise<RequestMap[M]["result"]> {
  if (!outputKeys?.length) return h.request(serverId, method, params, timeoutMs);
  const topics = outputKeys.map((k) => runTopic(serverId, k));
  for (const t of topics) if (t.listeners.size) emit(t, { t: "reset", text: "" });
  return h.request(serverId, method, params, timeoutMs, { onOutput: (c) => runOutput(topics, c) }).then(
    (r) => {
      runEnded(topics, { t: "end", reason: "done" });
      return r;
    },
    (e: unknown) => {
      runEnded(topics, { t: "end", reason: "failed", message: e instanceof Error ? e.message : String(e) });
      throw e;
    },
  );
}

/** For tests and diagnostics: topics open in this process. */
export function liveOutputTopics(): { key: string; serverId: number; kind: string; listeners: number }[] {
  return [...state.topics.values()].map((t) => ({ key: t.key, serverId: t.serverId, kind: t.kind, listeners: t.listeners.size }));
}
