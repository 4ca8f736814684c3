"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { useState } from "react";
import type { MonitorDef, MonitorStatus } from "@/lib/fleet/monitors";
import { fetchJson } from "../fetch-json";
import { useServers } from "../data/servers";
import { ErrorNote, send } from "./form-error";

type MonitorRow = MonitorDef & { status: MonitorStatus[]; manageable: boolean };
const TYPE_NAMES: Record<number, string> = { 1: "HTTP(S) GET", 2: "ICMP ping", 3: "TCP connect" };

interface Draft {
  name: string;
  type: 1 | 2 | 3;
  target: string;
  intervalSec: string;
  cover: 0 | 1;
  serverIds: number[];
  minLatency: string;
  maxLatency: string;
  enabled: boolean;
}

/**
 * A new monitor: an admin's runs on every server by default; a user with the monitoring grant
 * reaches only some servers, so theirs starts as "only these" with none chosen (the panel refuses
 * "every server" from them).
 */
const emptyDraft = (wholeFleet: boolean): Draft => ({ name: "", type: 1, target: "", intervalSec: "30", cover: wholeFleet ? 0 : 1, serverIds: [], minLatency: "", maxLatency: "", enabled: true });
const draftOf = (m: MonitorRow): Draft => ({
  name: m.name, type: m.type, target: m.target, intervalSec: String(m.intervalSec), cover: m.cover, serverIds: m.serverIds,
  minLatency: m.minLatency === null ? "" : String(m.minLatency), maxLatency: m.maxLatency === null ? "" : String(m.maxLatency), enabled: m.enabled,
});
const num = (s: string) => (s.trim() === "" ? null : Number(s));

function MonitorForm({ initial, id, onDone }: { initial: Draft; id: number | null; onDone: () => void }) {
  const t = useTranslations("alerts");
  const servers = useServers();
  const qc = useQueryClient();
  const [d, setD] = useState(initial);
  const save = useMutation({
    mutationFn: () =>
      send(id ? `/api/ui/monitors/${id}` : "/api/ui/monitors", id ? "PATCH" : "POST", {
        ...d, intervalSec: Number(d.intervalSec), minLatency: num(d.minLatency), maxLatency: num(d.maxLatency),
      }),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ["monitors"] });
      onDone();
    },
  });
  const placeholder = d.type === 1 ? "https://example.com/health" : d.type === 2 ? "10.0.0.1" : "db.internal:5432";
  return (
    <form
      className="card grid gap-3 md:grid-cols-2"
      aria-label={t("monitorForm")}
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <label className="label">{t("name")}<input className="input" value={d.name} onChange={(e) => setD({ ...d, name: e.target.value })} required /></label>
      <label className="label">{t("type")}
        <select className="input" value={d.type} onChange={(e) => setD({ ...d, type: Number(e.target.value) as Draft["type"] })}>
          {[1, 2, 3].map((v) => <option key={v} value={v}>{TYPE_NAMES[v]}</option>)}
        </select>
      </label>
      <label className="label">{t("target")}<input className="input" value={d.target} placeholder={placeholder} onChange={(e) => setD({ ...d, target: e.target.value })} required /></label>
      <label className="label">{t("interval")}<input className="input" type="number" value={d.intervalSec} onChange={(e) => setD({ ...d, intervalSec: e.target.value })} /></label>
      <label className="label">{t("minLatency")}<input className="input" type="number" min={0} value={d.minLatency} onChange={(e) => setD({ ...d, minLatency: e.target.value })} /></label>
      <label className="label">{t("maxLatency")}<input className="input" type="number" min={0} value={d.maxLatency} onChange={(e) => setD({ ...d, maxLatency: e.target.value })} /></label>
      <label className="label">{t("cover")}
        <select className="input" value={d.cover} onChange={(e) => setD({ ...d, cover: Number(e.target.value) as 0 | 1 })}>
          <option value={0}>{t("coverAllExcept")}</option>
          <option value={1}>{t("coverOnly")}</option>
        </select>
      </label>
      <label className="label">{t("servers")}
        <select className="input" multiple size={4} value={d.serverIds.map(String)} onChange={(e) => setD({ ...d, serverIds: [...e.target.selectedOptions].map((o) => Number(o.value)) })}>
          {(servers.data ?? []).map((s) => <option key={s.id} value={s.id}>{s.name}</option>)}
        </select>
      </label>
      <label className="flex items-center gap-2 text-sm"><input type="checkbox" checked={d.enabled} onChange={(e) => setD({ ...d, enabled: e.target.checked })} />{t("enabled")}</label>
      <div className="flex gap-2 md:col-span-2">
        <button className="btn-primary" type="submit" disabled={save.isPending}>{t("save")}</button>
        <button className="btn-secondary" type="button" onClick={onDone}>{t("cancel")}</button>
      </div>
      <div className="md:col-span-2"><ErrorNote error={save.error} /></div>
    </form>
  );
}

function StatusChip({ s }: { s: MonitorStatus }) {
  const t = useTranslations("alerts");
  return (
    <span
      className={`inline-flex items-center gap-1 rounded px-2 py-0.5 text-xs ${s.ok ? "bg-emerald-50 text-emerald-700" : "bg-red-50 text-red-700"}`}
      title={`${new Date(s.at).toLocaleString()}${s.error ? ` — ${s.error}` : ""}${s.certDaysLeft !== null ? ` — ${t("certDays", { days: Math.floor(s.certDaysLeft) })}` : ""}`}
      data-testid="monitor-status"
    >
      {s.serverName}: {s.ok ? `${t("up")} ${Math.round(s.delayMs * 10) / 10} ms` : t("down")}
    </span>
  );
}

/**
 * The monitors page: each monitor with its latest result per machine; admins and users with the
 * monitoring grant add them, and edit or delete those within their reach.
 */
export function MonitorsView({ canManage, wholeFleet }: { canManage: boolean; wholeFleet: boolean }) {
  const t = useTranslations("alerts");
  const qc = useQueryClient();
  const monitors = useQuery({ queryKey: ["monitors"], queryFn: () => fetchJson<MonitorRow[]>("/api/ui/monitors"), refetchInterval: 5_000 });
  const [editing, setEditing] = useState<{ id: number | null; draft: Draft } | null>(null);
  const remove = useMutation({
    mutationFn: (id: number) => send(`/api/ui/monitors/${id}`, "DELETE"),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ["monitors"] }),
  });
  return (
    <section className="space-y-4">
      <div className="flex items-center justify-between">
        <h1 className="text-2xl font-semibold">{t("monitors")}</h1>
        {canManage && !editing && <button className="btn-primary" onClick={() => setEditing({ id: null, draft: emptyDraft(wholeFleet) })}>{t("addMonitor")}</button>}
      </div>
      {editing && <MonitorForm key={editing.id ?? "new"} id={editing.id} initial={editing.draft} onDone={() => setEditing(null)} />}
      <ErrorNote error={monitors.error ?? remove.error} />
      {monitors.data?.length === 0 && <p className="text-sm text-slate-500">{t("noMonitors")}</p>}
      <ul className="space-y-2">
        {(monitors.data ?? []).map((m) => (
          <li key={m.id} className="card space-y-2" data-testid="monitor-row">
            <div className="flex flex-wrap items-center gap-3">
              <strong>{m.name}</strong>
              <span className="rounded bg-slate-100 px-2 py-0.5 text-xs">{TYPE_NAMES[m.type]}</span>
              <code className="text-xs text-slate-600">{m.target}</code>
              <span className="text-xs text-slate-500">{t("every", { seconds: m.intervalSec })}</span>
              {!m.enabled && <span className="text-xs text-amber-700">{t("disabled")}</span>}
              {m.manageable && (
                <span className="ml-auto flex gap-2">
                  <button className="btn-secondary" onClick={() => setEditing({ id: m.id, draft: draftOf(m) })}>{t("edit")}</button>
                  <button className="btn-danger" onClick={() => confirm(t("confirmDelete", { name: m.name })) && remove.mutate(m.id)}>{t("delete")}</button>
                </span>
              )}
            </div>
            <div className="flex flex-wrap gap-2">
              {m.status.length === 0 ? <span className="text-xs text-slate-500">{t("noResults")}</span> : m.status.map((s) => <StatusChip key={s.serverId} s={s} />)}
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}
