"use client";
import { useQuery } from "@tanstack/react-query";
import { useFormatter, useTranslations } from "next-intl";
import Link from "next/link";
import { useMemo, useState } from "react";
import { fetchJson } from "../fetch-json";
import { StatusBadge } from "./status-badge";
import type { Agent, AgentRights } from "./types";

type Filters = { client: string; site: string; type: string; status: string };
const ALL = "";

export function AgentsList() {
  const t = useTranslations("agents");
  const tc = useTranslations("common");
  const format = useFormatter();
  const [filters, setFilters] = useState<Filters>({ client: ALL, site: ALL, type: ALL, status: ALL });
  const list = useQuery({
    queryKey: ["agents"],
    queryFn: () => fetchJson<{ rights: AgentRights; agents: Agent[] }>("/api/ui/agents"),
    refetchInterval: 5_000,
  });
  const agents = list.data?.agents ?? [];
  const clients = useMemo(() => [...new Set(agents.map((a) => a.client))].sort(), [agents]);
  const sites = useMemo(() => [...new Set(agents.filter((a) => !filters.client || a.client === filters.client).map((a) => a.site))].sort(), [agents, filters.client]);
  const shown = agents.filter(
    (a) =>
      (!filters.client || a.client === filters.client) &&
      (!filters.site || a.site === filters.site) &&
      (!filters.type || a.monitoring_type === filters.type) &&
      (!filters.status || a.status === filters.status),
  );
  const select = (key: keyof Filters, label: string, options: { value: string; label: string }[]) => (
    <div>
      <label className="label" htmlFor={`filter-${key}`}>{label}</label>
      <select id={`filter-${key}`} className="input" value={filters[key]} onChange={(e) => setFilters({ ...filters, [key]: e.target.value })}>
        <option value={ALL}>{t("all")}</option>
        {options.map((o) => (
          <option key={o.value} value={o.value}>{o.label}</option>
        ))}
      </select>
    </div>
  );

  return (
    <section className="space-y-4">
      <h1 className="text-2xl font-semibold">{t("title")}</h1>
      {list.error && <p role="alert" className="rounded bg-red-50 px-3 py-2 text-sm text-red-700">{list.error.message}</p>}
      <div className="card grid grid-cols-2 gap-3 md:grid-cols-4">
        {select("client", t("client"), clients.map((c) => ({ value: c, label: c })))}
        {select("site", t("site"), sites.map((s) => ({ value: s, label: s })))}
        {select("type", t("type"), [{ value: "server", label: t("server") }, { value: "workstation", label: t("workstation") }])}
        {select("status", t("status"), (["online", "offline", "overdue"] as const).map((s) => ({ value: s, label: t(s) })))}
      </div>
      <div className="card overflow-x-auto p-0">
        <table className="table">
          <thead>
            <tr>
              <th>{t("hostname")}</th><th>{t("client")}</th><th>{t("site")}</th><th>{t("type")}</th><th>{t("status")}</th>
              <th>{t("lastSeen")}</th><th>{t("os")}</th><th>{t("pendingUpdates")}</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((a) => (
              <tr key={a.agent_id} data-testid={`agent-${a.agent_id}`}>
                <td>
                  <Link className="font-medium text-indigo-700 hover:underline" href={`/dashboard/agents/${encodeURIComponent(a.agent_id)}`}>
                    {a.hostname}
                  </Link>
                  {a.name !== a.hostname && <div className="text-xs text-slate-500">{a.name}</div>}
                </td>
                <td>{a.client}</td>
                <td>{a.site}</td>
                <td>{t(a.monitoring_type)}</td>
                <td><StatusBadge status={a.status} /></td>
                <td className="whitespace-nowrap">{a.last_seen ? format.relativeTime(new Date(a.last_seen), { now: new Date() }) : tc("never")}</td>
                <td className="text-xs">{a.operating_system}</td>
                <td>{a.pending_updates || "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {list.isSuccess && shown.length === 0 && <p className="p-4 text-sm text-slate-500">{t("none")}</p>}
        {list.isPending && <p className="p-4 text-sm text-slate-500">{tc("loading")}</p>}
      </div>
    </section>
  );
}
