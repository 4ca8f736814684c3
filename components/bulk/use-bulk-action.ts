"use client";
import { useCallback, useEffect, useRef, useState } from "react";

export type BulkStatus = "queued" | "running" | "ok" | "error" | "cancelled";

export interface BulkResult {
  id: string;
  label: string;
  status: BulkStatus;
  /** The target's answer: a short output on success, the server's message on failure. */
  message?: string;
}

export interface BulkTarget {
  id: string;
  label: string;
}

/** How many requests run at once: enough to be quick, few enough to leave the panel responsive. */
export const BULK_CONCURRENCY = 4;

/**
 * Runs one action over many targets, `concurrency` at a time, and keeps a result per target.
 * The action is handed to `start`, so it can carry what the confirmation asked (a command).
 * Cancel stops starting new ones; requests already sent finish and report what really happened
 * (a command that reached its agent cannot be called back, so it is not shown as cancelled).
 * Results are published at most once per animation frame, so 10,000 targets do not mean
 * 10,000 renders.
 */
export function useBulkAction(concurrency = BULK_CONCURRENCY) {
  const [results, setResults] = useState<BulkResult[]>([]);
  const [running, setRunning] = useState(false);
  const live = useRef<BulkResult[]>([]);
  const cancelled = useRef(false);
  const frame = useRef<number | null>(null);

  const publish = useCallback(() => {
    if (frame.current !== null) return;
    frame.current = requestAnimationFrame(() => {
      frame.current = null;
      setResults(live.current.slice());
    });
  }, []);
  useEffect(() => () => void (frame.current !== null && cancelAnimationFrame(frame.current)), []);

  const start = useCallback(
    async <T extends BulkTarget>(targets: T[], action: (target: T) => Promise<string | void>) => {
      cancelled.current = false;
      live.current = targets.map((t) => ({ id: t.id, label: t.label, status: "queued" }));
      setResults(live.current.slice());
      setRunning(true);
      let next = 0;
      const worker = async () => {
        while (next < targets.length && !cancelled.current) {
          const i = next++;
          live.current[i] = { ...live.current[i], status: "running" };
          publish();
          try {
            const message = await action(targets[i]);
            live.current[i] = { ...live.current[i], status: "ok", message: message || undefined };
          } catch (e) {
            live.current[i] = { ...live.current[i], status: "error", message: e instanceof Error ? e.message : String(e) };
          }
          publish();
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, targets.length) }, worker));
      if (cancelled.current) live.current = live.current.map((r) => (r.status === "queued" ? { ...r, status: "cancelled" } : r));
      setResults(live.current.slice());
      setRunning(false);
    },
    [concurrency, publish],
  );

  const cancel = useCallback(() => {
    cancelled.current = true;
  }, []);

  const reset = useCallback(() => {
    cancelled.current = true;
    live.current = [];
    setResults([]);
  }, []);

  const counts = { ok: 0, error: 0, cancelled: 0, pending: 0 };
  for (const r of results) {
    if (r.status === "ok") counts.ok++;
    else if (r.status === "error") counts.error++;
    else if (r.status === "cancelled") counts.cancelled++;
    else counts.pending++;
  }
  return { results, running, counts, start, cancel, reset, started: results.length > 0 };
}
