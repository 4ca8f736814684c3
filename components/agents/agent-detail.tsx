"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useFormatter, useTranslations } from "next-intl";
import Link from "next/link";
import { useState } from "react";
import { fetchJson } from "../fetch-json";
import { useAgent } from "../data/agents";
import { CommandDialog } from "./command-dialog";
import { CommandHistory } from "./command-history";
import { PendingUpdates } from "./pending-updates";
import { QueuedWork } from "./queued-work";
import type { QueuedJobView } from "@/lib/fleet/queue";
import { StatusBadge } from "./status-badge";
import type { Agent, AgentRights } from "./types";
import type { ClientView } from "@/lib/fleet/clients";

export function AgentDetail({ agentId }: { agentId: string }) {
  const t = useTranslations("agents");
  const tc = useTranslations("common");
  const format = useFormatter();
  const [commandOpen, setCommandOpen] = useState(false);
  // Pushed by the stream while it is up; polled only while it is down.
  const detail = useAgent<{ rights: AgentRights; agent: Agent; queued: QueuedJobView[] }>(agentId);
  if (detail.error) {
    return (
      <section className="space-y-4">
        <Link href="/dashboard/agents" className="text-sm text-indigo-700 hover:underline">← {t("back")}</Link>
        <p role="alert" className="rounded bg-red-50 px-3 py-2 text-sm text-red-700">{detail.error.message}</p>
      </section>
    );
  }
  if (!detail.data) return <p className="text-slate-500">{tc("loading")}</p>;
  const { agent: a, rights, queued } = detail.data;
  const facts: [string, React.ReactNode][] = [
    [t("agentId"), <code key="id" className="text-xs">{a.agent_id}</code>],
    [t("client"), a.client],
    [t("site"), a.site],
    [t("type"), t(a.monitoring_type)],
    [t("lastSeen"), a.last_seen ? format.dateTime(new Date(a.last_seen), { dateStyle: "medium", timeStyle: "medium" }) : tc("never")],
    [t("os"), a.operating_system || "—"],
    [t("cpu"), a.cpu_model.join(", ") || "—"],
    [t("ram"), a.total_ram ? `${a.total_ram} GB` : "—"],
    [t("publicIp"), a.public_ip || "—"],
    [t("localIps"), a.local_ips || "—"],
    [t("bootTime"), a.boot_time ? format.dateTime(new Date(a.boot_time * 1000), { dateStyle: "medium", timeStyle: "short" }) : "—"],
    [t("version"), a.version || "—"],
    [t("description"), a.description || "—"],
    [t("loggedUsers"), a.logged_username_known ? a.logged_username || t("nobody") : t("unknown")],
    [t("needsReboot"), a.needs_reboot_known ? (a.needs_reboot ? t("yes") : t("no")) : t("unknown")],
    [t("maintenance"), <span key="m" data-testid="maintenance-state">{a.maintenance_mode ? t("maintenanceOn") : t("no")}</span>],
    [t("clockSkew"), a.clock_skew_ms === null ? "—" : `${(a.clock_skew_ms / 1000).toFixed(1)} s`],
  ];

  return (
    <section className="space-y-4">
      <Link href="/dashboard/agents" className="text-sm text-indigo-700 hover:underline">← {t("back")}</Link>
      <div className="flex flex-wrap items-center gap-3">
        <h1 className="text-2xl font-semibold">{a.hostname}</h1>
        <StatusBadge status={a.status} />
        {a.name !== a.hostname && <span className="text-slate-500">{a.name}</span>}
        <div className="ml-auto flex gap-2">
          {rights.canSendCmd && (
            <button className="btn-primary" type="button" onClick={() => setCommandOpen(true)}>{t("sendCommand")}</button>
          )}
        </div>
      </div>
      <dl className="card grid grid-cols-1 gap-x-6 gap-y-2 text-sm md:grid-cols-2">
        {facts.map(([k, v]) => (
          <div key={k} className="flex gap-2">
            <dt className="w-36 shrink-0 text-slate-500">{k}</dt>
            <dd className="break-all">{v}</dd>
          </div>
        ))}
      </dl>
      {rights.admin && <EditGroups agent={a} />}
      {(queued.length > 0 || !a.connected) && (
        <QueuedWork jobs={queued} canCancel={(j) => (j.kind === "scan" ? rights.canManageWinupdates : rights.canSendCmd)} />
      )}
      {rights.canManageWinupdates && <PendingUpdates agentId={a.agent_id} />}
      {rights.canSendCmd && <CommandHistory agentId={a.agent_id} />}
      {commandOpen && <CommandDialog agent={a} onClose={() => setCommandOpen(false)} />}
    </section>
  );
}

/** Client, site, monitoring type and description: administrators only. */
function EditGroups({ agent }: { agent: Agent }) {
  const t = useTranslations("agents");
  const tc = useTranslations("common");
  const qc = useQueryClient();
  const save = useMutation({
    mutationFn: (body: Record<string, unknown>) => fetchJson(`/api/ui/agents/${encodeURIComponent(agent.agent_id)}`, { method: "PATCH", body }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ["agents"] }),
  });
  // An agent moves to an existing site (managed on the Clients page).
  const groups = useQuery({ queryKey: ["clients"], queryFn: () => fetchJson<{ clients: ClientView[] }>("/api/ui/clients") });
  const sites = (groups.data?.clients ?? []).flatMap((c) => c.sites.map((s) => ({ id: s.id, label: `${c.name} / ${s.name}`, current: c.name === agent.client && s.name === agent.site })));
  const current = sites.find((s) => s.current)?.id;
  return (
    <form
      className="card space-y-3"
      aria-labelledby="groups-title"
      onSubmit={(e) => {
        e.preventDefault();
        const f = new FormData(e.currentTarget);
        save.mutate({
          siteId: Number(f.get("siteId")),
          monitoringType: f.get("monitoringType"),
          description: f.get("description"),
          maintenanceMode: f.get("maintenanceMode") === "on",
        });
      }}
    >
      <h2 id="groups-title" className="text-lg font-semibold">{t("groups")}</h2>
      <div className="grid grid-cols-1 gap-3 md:grid-cols-3">
        <div className="md:col-span-2">
          <label className="label" htmlFor="agent-site">{t("pickSite")}</label>
          <select id="agent-site" name="siteId" className="input" key={current ?? "loading"} defaultValue={current} required>
            {sites.map((s) => (
              <option key={s.id} value={s.id}>{s.label}</option>
            ))}
          </select>
        </div>
        <div>
          <label className="label" htmlFor="agent-type">{t("type")}</label>
          <select id="agent-type" name="monitoringType" className="input" defaultValue={agent.monitoring_type}>
            <option value="server">{t("server")}</option>
            <option value="workstation">{t("workstation")}</option>
          </select>
        </div>
      </div>
      <div>
        <label className="label" htmlFor="agent-description">{t("description")}</label>
        <input id="agent-description" name="description" className="input" defaultValue={agent.description} maxLength={2000} />
      </div>
      <label className="flex items-center gap-2 text-sm">
        <input type="checkbox" name="maintenanceMode" defaultChecked={agent.maintenance_mode} /> {t("maintenanceMode")}
      </label>
      <div className="flex items-center gap-3">
        <button className="btn-primary" type="submit" disabled={save.isPending}>{tc("save")}</button>
        {save.isSuccess && <span role="status" className="text-sm text-emerald-700">{t("saved")}</span>}
        {save.error && <span role="alert" className="text-sm text-red-700">{save.error.message}</span>}
      </div>
    </form>
  );
}
