"use client";
import { useQuery } from "@tanstack/react-query";
import type { ListDiff } from "@/lib/dialects/ui/stream";
import { fetchJson } from "../fetch-json";
import { agentKey, type Agent, type AgentRights } from "../agents/types";
import { applyListDiff, bindTopic, useLiveTopic, useLiveUp, useStreamView } from "./stream";

export interface AgentList {
  rights: AgentRights;
  agents: Agent[];
}

/** The agents list (Tactical RMM's shape); the push stream writes its diffs here. */
export const agentsKey = ["agents"] as const;

bindTopic("agents", {
  apply: (qc, data) => {
    const diff = data as ListDiff<Agent, string>;
    qc.setQueryData<AgentList>(agentsKey, (old) => (old ? { ...old, agents: applyListDiff(old.agents, diff, (a) => a.agent_id) ?? old.agents } : old));
    for (const a of diff.upsert) {
      const key = agentKey(a.agent_id);
      const old = qc.getQueryData<{ agent: Agent }>(key);
      if (!old) continue;
      qc.setQueryData<{ agent: Agent }>(key, { ...old, agent: a });
      // Its page also lists queued work, which runs when the machine (re)connects: asked again then.
      if (old.agent.connected !== a.connected) void qc.invalidateQueries({ queryKey: key, exact: true });
    }
  },
  resync: (qc) => void qc.invalidateQueries({ queryKey: agentsKey, exact: true }),
});

export function useAgents() {
  useLiveTopic("agents");
  const live = useLiveUp();
  // No deep comparison between polls: at 10,000 agents it costs more than it saves (see useServers).
  return useQuery({ queryKey: agentsKey, queryFn: () => fetchJson<AgentList>("/api/ui/agents"), refetchInterval: live ? false : 5_000, structuralSharing: false });
}

/**
 * One agent's page: the agents topic carries its whole row while its server is named in the view
 * (the binding above writes it under agentKey); polling runs only while the stream is down.
 */
export function useAgent<T extends { agent: Agent }>(agentId: string) {
  useLiveTopic("agents");
  const live = useLiveUp();
  const detail = useQuery({
    queryKey: agentKey(agentId),
    queryFn: () => fetchJson<T>(`/api/ui/agents/${encodeURIComponent(agentId)}`),
    refetchInterval: (q) => (q.state.error || live ? false : 5_000),
  });
  useStreamView(detail.data ? [detail.data.agent.id] : null);
  return detail;
}
