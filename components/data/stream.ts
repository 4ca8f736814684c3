"use client";
import { useQueryClient, type QueryClient } from "@tanstack/react-query";
import { useEffect, useSyncExternalStore } from "react";
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
  if (!diff.upsert.length && !diff.remove.length && !diff.order) return old;
  const byKey = new Map<Key, Row>();
  for (const r of old) byKey.set(keyOf(r), r);
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

class LiveStream {
  private counts = new Map<Topic, number>();
  private source: EventSource | null = null;
  private openFor = "";
  private up = false;
  private listeners = new Set<() => void>();
  private qc: QueryClient | null = null;
  private pending: ReturnType<typeof setTimeout> | null = null;
  private connections = 0;

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
    const source = new EventSource(`/api/ui/stream?topics=${want}`);
    this.source = source;
    source.addEventListener("hello", () => {
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
