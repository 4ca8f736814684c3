"use client";
import { useQuery } from "@tanstack/react-query";
import type { ServerRow } from "@/lib/dialects/ui/views";
import { fetchJson } from "../fetch-json";

export type { ServerRow };

/** Agents report every ~2 s: refreshing as often shows every report without a socket. */
export const LIVE_REFRESH_MS = 2_000;

/**
 * The servers list, shared by every view that shows it. The query key is the contract with a
 * future push stream: whatever delivers a newer list writes it with
 * queryClient.setQueryData(serversKey, rows) and every view follows; polling stays the fallback.
 */
export const serversKey = ["servers"] as const;
export const serverKey = (id: number) => ["server", id] as const;

export function useServers() {
  return useQuery({
    queryKey: serversKey,
    queryFn: () => fetchJson<ServerRow[]>("/api/ui/servers"),
    refetchInterval: LIVE_REFRESH_MS,
    // Live rows all change between two polls, so react-query's deep comparison (keeping
    // unchanged objects) finds nothing to keep and costs ~200 ms per poll at 10,000 servers
    // (bench/ui-fleet.mjs). The table rebuilds its rows from the new array either way.
    structuralSharing: false,
  });
}
