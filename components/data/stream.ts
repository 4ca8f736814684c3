"use client";
import { useQueryClient, type QueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useRef, useSyncExternalStore } from "react";
import type { InstanceState } from "@/agent/protocol";
import type { ListDiff, Topic } from "@/lib/dialects/ui/stream";

export type { Topic };

/**
 * The browser's one push stream (Server-Sent Events from /api/ui/stream). Views declare the
 * topics they show (`useLiveTopic`); the stream carries diffs for exactly those and writes them
 * into react-query's cache under the keys the data hooks use, so every view follows without
 * polling. While the stream is down the hooks poll as before (`useLiveUp` says which).
 *
 * EventSource reconnects on its own (the panel sends `retry:`); on every (re)connection the lists
 * are refetched once, since diffs sent while disconnected are lost.
 *
 * The stream carries whole rows only for the servers the page shows (`useStreamView`: tables name
 * the rows on screen, sent as `POST /api/ui/stream/view`); rows off screen get only their status
 * (patches), and their figures when they come into view.
 */

type Handler = (qc: QueryClient, data: unknown) => void;
type Resync = (qc: QueryClient) => void;

interface TopicBinding {
  /** Writes one diff into the cache. */
  apply: Handler;
  /** Refetches what the topic feeds (after a reconnection). */
  resync: Resync;
}

const bindings = new Map<Topic, TopicBinding>();

/** Writes a `server` event (a detail page's whole server) into the cache; set by ./servers.ts. */
let detailHandler: Handler | null = null;
export function bindDetail(apply: Handler): void {
  detailHandler = apply;
}

/** Called by each data module (servers, agents, daemons) for the topic it owns. */
export function bindTopic(topic: Topic, binding: TopicBinding): void {
  bindings.set(topic, binding);
}

/**
 * A list with a diff applied: rows replaced or inserted by key, removed keys dropped, and the
 * order taken from the diff when it carries one. One pass over the list per tick, not per row.
 */
export function applyListDiff<Row, Key>(old: Row[] | undefined, diff: ListDiff<Row, Key>, keyOf: (r: Row) => Key): Row[] | undefined {
  if (!old) return old;
  if (!diff.upsert.length && !diff.remove.length && !diff.order && !diff.patch?.length) return old;
  const byKey = new Map<Key, Row>();
  for (const r of old) byKey.set(keyOf(r), r);
  for (const p of diff.patch ?? []) {
    const k = keyOf(p as Row);
    const row = byKey.get(k);
    if (row !== undefined) byKey.set(k, { ...row, ...p });
  }
  const added: Row[] = [];
  for (const r of diff.upsert) {
    const k = keyOf(r);
    if (!byKey.has(k) && !diff.order) added.push(r);
    byKey.set(k, r);
  }
  for (const k of diff.remove) byKey.delete(k);
  if (diff.order) return diff.order.map((k) => byKey.get(k)).filter((r): r is Row => r !== undefined);
  const out: Row[] = [];
  for (const r of old) {
    const now = byKey.get(keyOf(r));
    if (now !== undefined) out.push(now);
  }
  return out.concat(added);
}

const REOPEN_AFTER_FAILURE_MS = 5_000;
/** Scrolling names new rows many times a second: the view is sent once it settles a little. */
const VIEW_DEBOUNCE_MS = 150;
/** As lib/dialects/ui/stream.ts MAX_VIEW and MAX_DETAILS. */
const MAX_VIEW = 1_000;
const MAX_DETAILS = 20;

class LiveStream {
  private counts = new Map<Topic, number>();
  private source: EventSource | null = null;
  private openFor = "";
  private up = false;
  private listeners = new Set<() => void>();
  private qc: QueryClient | null = null;
  private pending: ReturnType<typeof setTimeout> | null = null;
  private connections = 0;
  /** The open stream's id (from its hello), and the servers each mounted table shows. */
  private streamId = "";
  private views = new Map<symbol, readonly number[]>();
  /** The server each mounted detail page shows (its whole detail comes as `server` events). */
  private details = new Map<symbol, number>();
  private viewTimer: ReturnType<typeof setTimeout> | null = null;
  private sentView = "";

  /** A table's rows on screen (an empty list when it unmounts). */
  setView(owner: symbol, ids: readonly number[] | null) {
    if (ids) this.views.set(owner, ids);
    else this.views.delete(owner);
    this.scheduleView();
  }

  private scheduleView() {
    if (this.viewTimer) return;
    this.viewTimer = setTimeout(() => {
      this.viewTimer = null;
      this.sendView();
    }, VIEW_DEBOUNCE_MS);
  }

  /** A detail page's server (null when it unmounts). */
  setDetail(owner: symbol, id: number | null) {
    if (id === null) this.details.delete(owner);
    else this.details.set(owner, id);
    this.scheduleView();
  }

  private sendView() {
    if (!this.streamId) return;
    const ids = [...new Set([...this.views.values()].flat())].slice(0, MAX_VIEW);
    const details = [...new Set(this.details.values())].slice(0, MAX_DETAILS);
    const key = `${this.streamId}|${ids.join(",")}|${details.join(",")}`;
    if (key === this.sentView) return;
    this.sentView = key;
    void fetch("/api/ui/stream/view", {
      method: "POST",
      headers: { "content-type": "application/json", "x-requested-with": "XMLHttpRequest" },
      body: JSON.stringify({ stream: this.streamId, ids, details }),
    }).catch(() => undefined);
  }

  subscribe = (listener: () => void) => {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  };

  isUp = () => this.up;

  private setUp(up: boolean) {
    if (this.up === up) return;
    this.up = up;
    for (const l of this.listeners) l();
  }

  use(qc: QueryClient, topic: Topic): () => void {
    this.qc = qc;
    this.counts.set(topic, (this.counts.get(topic) ?? 0) + 1);
    this.schedule();
    return () => {
      this.counts.set(topic, (this.counts.get(topic) ?? 1) - 1);
      this.schedule();
    };
  }

  /** Topic changes come in bursts as a page mounts: reconnect once, after they settle. */
  private schedule(delay = 50) {
    if (this.pending) clearTimeout(this.pending);
    this.pending = setTimeout(() => {
      this.pending = null;
      this.reconcile();
    }, delay);
  }

  private reconcile() {
    const want = [...this.counts].filter(([, n]) => n > 0).map(([t]) => t).sort().join(",");
    if (want === this.openFor && this.source && this.source.readyState !== EventSource.CLOSED) return;
    this.source?.close();
    this.source = null;
    this.openFor = want;
    if (!want) {
      this.setUp(false);
      return;
    }
    const source = new EventSource(`/api/ui/stream?topics=${want}&view=1`);
    this.source = source;
    source.addEventListener("hello", (ev) => {
      this.streamId = String((JSON.parse((ev as MessageEvent<string>).data) as { id?: string }).id ?? "");
      this.sentView = "";
      this.sendView();
      this.connections++;
      this.setUp(true);
      // The first connection follows the page's own fetch; later ones follow a gap in the diffs.
      if (this.connections > 1 && this.qc) for (const t of want.split(",") as Topic[]) bindings.get(t)?.resync(this.qc);
    });
    for (const topic of want.split(",") as Topic[]) {
      source.addEventListener(topic, (ev) => {
        const binding = bindings.get(topic);
        if (!binding || !this.qc) return;
        binding.apply(this.qc, JSON.parse((ev as MessageEvent<string>).data));
      });
    }
    source.addEventListener("server", (ev) => {
      if (detailHandler && this.qc) detailHandler(this.qc, JSON.parse((ev as MessageEvent<string>).data));
    });
    source.onerror = () => {
      this.setUp(false);
      // EventSource retries by itself unless the answer was not a stream (signed out, too many
      // streams): then it gives up, and so would we, were it not for this slower retry.
      if (source.readyState === EventSource.CLOSED && this.source === source) this.schedule(REOPEN_AFTER_FAILURE_MS);
    };
  }
}

const stream = typeof window === "undefined" ? null : new LiveStream();

/** Keeps the stream open for a topic while the calling component is mounted. */
export function useLiveTopic(topic: Topic): void {
  const qc = useQueryClient();
  useEffect(() => stream?.use(qc, topic), [qc, topic]);
}

/**
 * Names the servers a component shows (a table's rows on screen, a detail page's server): the
 * stream carries their whole rows, and only the status of the others.
 */
export function useStreamView(ids: readonly number[] | null): void {
  const owner = useRef<symbol>(null);
  owner.current ??= Symbol("view");
  const key = ids?.join(",") ?? "";
  useEffect(() => {
    stream?.setView(owner.current!, ids);
    // ids is read through key: a new array with the same servers is no change.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  useEffect(() => () => stream?.setView(owner.current!, null), []);
}

/**
 * Names the server a detail page shows: while the stream is up it carries that server's whole
 * detail (as `GET /api/ui/servers/:id` answers it) whenever it changes, written under
 * `["server", id]` (./servers.ts), and again after every reconnection.
 */
export function useStreamDetail(id: number | null): void {
  const owner = useRef<symbol>(null);
  owner.current ??= Symbol("detail");
  useEffect(() => {
    stream?.setDetail(owner.current!, id);
    return () => stream?.setDetail(owner.current!, null);
  }, [id]);
}

/**
 * The same for a table: a stable function to call with the rows on screen whenever they change
 * (DataTable's onVisibleRows), with no render of its own.
 */
export function useStreamViewSetter<T extends { id: number }>(): (rows: readonly T[]) => void {
  const owner = useRef<symbol>(null);
  owner.current ??= Symbol("view");
  useEffect(() => () => stream?.setView(owner.current!, null), []);
  return useCallback((rows: readonly T[]) => stream?.setView(owner.current!, rows.map((r) => r.id)), []);
}

/** Whether the stream is delivering (the hooks poll only while it is not). */
export function useLiveUp(): boolean {
  return useSyncExternalStore(
    stream?.subscribe ?? (() => () => undefined),
    () => stream?.isUp() ?? false,
    () => false,
  );
}

/** Instance states pushed by the stream, merged into whatever lists show them. */
export interface InstancesPush {
  servers: { serverId: number; instances: InstanceState[] }[];
}
