"use client";
import { useQuery, type QueryClient } from "@tanstack/react-query";
import type { DaemonRow, InstanceRowView } from "@/lib/dialects/ui/daemons";
import type { ListDiff } from "@/lib/dialects/ui/stream";
import { fetchJson } from "../fetch-json";
import { applyListDiff, bindTopic, useLiveTopic, useLiveUp, useStreamView, type InstancesPush } from "./stream";

export type { DaemonRow };

/** The daemons list; the push stream writes its diffs here. */
export const daemonsKey = ["daemons"] as const;
/** One daemon with its instances (the daemon page). */
export const daemonKey = (id: number) => ["daemon", id] as const;
/** The instances the caller may use (My instances). */
export const myInstancesKey = ["my-instances"] as const;

export interface DaemonDetail {
  daemon: DaemonRow;
  instances: InstanceRowView[];
}

export interface MyInstance {
  daemonId: number;
  daemonUuid: string;
  daemonName: string;
  online: boolean;
  instance: InstanceRowView;
}

bindTopic("daemons", {
  apply: (qc, data) => {
    const diff = data as ListDiff<DaemonRow, number>;
    qc.setQueryData<DaemonRow[]>(daemonsKey, (old) => applyListDiff(old, diff, (d) => d.id));
    for (const d of diff.upsert) {
      if (qc.getQueryState(daemonKey(d.id))) qc.setQueryData<DaemonDetail>(daemonKey(d.id), (old) => (old ? { ...old, daemon: d } : old));
    }
  },
  resync: (qc) => void qc.invalidateQueries({ queryKey: daemonsKey }),
});

/** An instance view with the pushed live state (status, pid, exit code, start time). */
function withState(view: InstanceRowView, s: InstancesPush["servers"][number]["instances"][number] | undefined): InstanceRowView {
  if (!s) return { ...view, status: "stopped", pid: null };
  return { ...view, status: s.status, pid: s.pid, exitCode: s.exitCode, startedAt: s.startedAt };
}

function applyInstances(qc: QueryClient, push: InstancesPush) {
  for (const { serverId, instances } of push.servers) {
    const byUuid = new Map(instances.map((i) => [i.uuid, i]));
    qc.setQueryData<DaemonDetail>(daemonKey(serverId), (old) => (old ? { ...old, instances: old.instances.map((v) => withState(v, byUuid.get(v.uuid))) } : old));
    qc.setQueryData<MyInstance[]>(myInstancesKey, (old) =>
      old?.map((m) => (m.daemonId === serverId && byUuid.has(m.instance.uuid) ? { ...m, instance: withState(m.instance, byUuid.get(m.instance.uuid)) } : m)),
    );
  }
}

bindTopic("instances", {
  apply: (qc, data) => applyInstances(qc, data as InstancesPush),
  resync: (qc) => {
    void qc.invalidateQueries({ queryKey: ["daemon"] });
    void qc.invalidateQueries({ queryKey: myInstancesKey });
  },
});

export function useDaemons() {
  useLiveTopic("daemons");
  const live = useLiveUp();
  return useQuery({ queryKey: daemonsKey, queryFn: () => fetchJson<DaemonRow[]>("/api/ui/daemons"), refetchInterval: live ? false : 3_000 });
}

/** One daemon and its instances; instance states and the daemon's figures arrive by the stream. */
export function useDaemon(id: number) {
  useLiveTopic("instances");
  useLiveTopic("daemons");
  // Its own row comes whole through the stream (the others' only by status).
  useStreamView([id]);
  const live = useLiveUp();
  return useQuery({ queryKey: daemonKey(id), queryFn: () => fetchJson<DaemonDetail>(`/api/ui/daemons/${id}`), refetchInterval: live ? false : 2_000 });
}

export function useMyInstances() {
  useLiveTopic("instances");
  const live = useLiveUp();
  return useQuery({ queryKey: myInstancesKey, queryFn: () => fetchJson<MyInstance[]>("/api/ui/instances"), refetchInterval: live ? false : 2_000 });
}
