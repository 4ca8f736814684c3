"use client";
import { useQuery } from "@tanstack/react-query";
import type { DaemonRow } from "@/lib/dialects/ui/daemons";
import { fetchJson } from "../fetch-json";

export type { DaemonRow };

/** The daemons list. A push stream would update it with setQueryData(daemonsKey, …). */
export const daemonsKey = ["daemons"] as const;

export function useDaemons() {
  return useQuery({ queryKey: daemonsKey, queryFn: () => fetchJson<DaemonRow[]>("/api/ui/daemons"), refetchInterval: 3_000 });
}
