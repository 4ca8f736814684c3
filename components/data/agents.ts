"use client";
import { useQuery } from "@tanstack/react-query";
import { fetchJson } from "../fetch-json";
import type { Agent, AgentRights } from "../agents/types";

export interface AgentList {
  rights: AgentRights;
  agents: Agent[];
}

/** The agents list (Tactical RMM's shape). A push stream would update it with setQueryData(agentsKey, …). */
export const agentsKey = ["agents"] as const;

export function useAgents() {
  // No deep comparison between polls: at 10,000 agents it costs more than it saves (see useServers).
  return useQuery({ queryKey: agentsKey, queryFn: () => fetchJson<AgentList>("/api/ui/agents"), refetchInterval: 5_000, structuralSharing: false });
}
