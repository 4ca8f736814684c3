"use client";
import { useQuery } from "@tanstack/react-query";
import type { ListDiff } from "@/lib/dialects/ui/stream";
import type { ServerDetail, ServerRow } from "@/lib/dialects/ui/views";
import { fetchJson } from "../fetch-json";
import { applyListDiff, bindDetail, bindTopic, useLiveTopic, useLiveUp, useStreamDetail } from "./stream";

export type { ServerRow };

/** Without the push stream, refreshing as often as agents report (~2 s) shows every report. */
export const LIVE_REFRESH_MS = 2_000;

/**
 * The servers list, shared by every view that shows it. The push stream (./stream.ts) writes
 * each tick's diff under this key and every view follows; polling runs only while the stream is down.
 */
export const serversKey = ["servers"] as const;
export const serverKey = (id: number) => ["server", id] as const;

bindTopic("servers", {
  apply: (qc, data) => {
    const diff = data as ListDiff<ServerRow, number>;
    qc.setQueryData<ServerRow[]>(serversKey, (old) => applyListDiff(old, diff, (r) => r.id));
    // Open detail pages take the row's live figures too (their host info comes with their own fetch).
    const details = qc.getQueryCache().findAll({ queryKey: ["server"], exact: false });
    if (!details.length) return;
    const rows = new Map(diff.upsert.map((r) => [r.id, r]));
    for (const q of details) {
      const id = q.queryKey[1];
      const row = typeof id === "number" && q.queryKey.length === 2 ? rows.get(id) : undefined;
      if (row) qc.setQueryData<ServerDetail>(q.queryKey, (old) => (old ? { ...old, ...row } : old));
    }
  },
  resync: (qc) => void qc.invalidateQueries({ queryKey: serversKey }),
});

// A detail page's server, whole, from the stream (useServer); gone: it may no longer be seen, so
// the page asks again and shows the API's own answer.
bindDetail((qc, data) => {
  const d = data as ServerDetail | { id: number; gone: true };
  if ("gone" in d) void qc.invalidateQueries({ queryKey: serverKey(d.id), exact: true });
  else qc.setQueryData<ServerDetail>(serverKey(d.id), d);
});

/**
 * One server's detail (its page). While the stream is up it arrives pushed (useStreamDetail);
 * polling runs only while it is down.
 */
export function useServer(id: number) {
  useLiveTopic("servers");
  useStreamDetail(id);
  const live = useLiveUp();
  return useQuery({
    queryKey: serverKey(id),
    queryFn: () => fetchJson<ServerDetail>(`/api/ui/servers/${id}`),
    refetchInterval: (q) => (q.state.error || live ? false : LIVE_REFRESH_MS),
  });
}

export function useServers() {
  useLiveTopic("servers");
  const live = useLiveUp();
  return useQuery({
    queryKey: serversKey,
    queryFn: () => fetchJson<ServerRow[]>("/api/ui/servers"),
    refetchInterval: live ? false : LIVE_REFRESH_MS,
    // Live rows all change between two polls, so react-query's deep comparison (keeping
    // unchanged objects) finds nothing to keep and costs ~200 ms per poll at 10,000 servers
    // (bench/ui-fleet.mjs). The table rebuilds its rows from the new array either way.
    structuralSharing: false,
  });
}
