"use client";
import { useFormatter, useTranslations } from "next-intl";
import Link from "next/link";
import { useMemo, useState } from "react";
import { BulkDialog } from "../bulk/bulk-dialog";
import { useBulkAction } from "../bulk/use-bulk-action";
import { useAgents } from "../data/agents";
import { useStreamViewSetter } from "../data/stream";
import { fetchJson } from "../fetch-json";
import { DataTable, type DataColumn } from "../table/data-table";
import { SelectionBar, useSelection } from "../table/selection";
import { useUrlParam } from "../table/url-state";
import { StatusBadge } from "./status-badge";
import { SHELLS, type Shell } from "./command-dialog";
import type { Agent } from "./types";

type Filter = "client" | "site" | "type" | "status";
type BulkKind = "cmd" | "scan" | "move";

interface CmdOutcome {
  status: "done" | "timeout";
  exitCode: number | null;
  output: string;
}

/** A command's output as a one-line result; the full run is in the agent's history. */
const OUTPUT_PREVIEW = 200;

export function AgentsList() {
  const t = useTranslations("agents");
  const tc = useTranslations("common");
  const tb = useTranslations("bulk");
  const format = useFormatter();
  const filters: Record<Filter, [string, (v: string) => void]> = {
    client: useUrlParam("client"),
    site: useUrlParam("site"),
    type: useUrlParam("type"),
    status: useUrlParam("status"),
  };
  const list = useAgents();
  const onScreen = useStreamViewSetter<Agent>();
  const rights = list.data?.rights;
  const agents = useMemo(() => list.data?.agents ?? [], [list.data]);
  const [client] = filters.client;
  const [site] = filters.site;
  const [type] = filters.type;
  const [status] = filters.status;
  const clients = useMemo(() => [...new Set(agents.map((a) => a.client))].sort(), [agents]);
  const sites = useMemo(() => [...new Set(agents.filter((a) => !client || a.client === client).map((a) => a.site))].sort(), [agents, client]);
  const shown = useMemo(
    () => agents.filter((a) => (!client || a.client === client) && (!site || a.site === site) && (!type || a.monitoring_type === type) && (!status || a.status === status)),
    [agents, client, site, type, status],
  );
  const selection = useSelection(shown, (a) => a.agent_id);
  const bulk = useBulkAction();
  const [bulkKind, setBulkKind] = useState<BulkKind | null>(null);

  const select = (key: Filter, label: string, options: { value: string; label: string }[]) => (
    <div>
      <label className="label" htmlFor={`filter-${key}`}>{label}</label>
      <select id={`filter-${key}`} className="input" value={filters[key][0]} onChange={(e) => filters[key][1](e.target.value)}>
        <option value="">{t("all")}</option>
        {options.map((o) => (
          <option key={o.value} value={o.value}>{o.label}</option>
        ))}
      </select>
    </div>
  );

  const columns = useMemo<DataColumn<Agent>[]>(
    () => [
      {
        id: "hostname",
        header: t("hostname"),
        value: (a) => a.hostname,
        search: true,
        cell: (a) => (
          <>
            <Link className="font-medium text-indigo-700 hover:underline" href={`/dashboard/agents/${encodeURIComponent(a.agent_id)}`}>
              {a.hostname}
            </Link>
            {a.name !== a.hostname && <div className="text-xs text-slate-500">{a.name}</div>}
          </>
        ),
      },
      { id: "client", header: t("client"), value: (a) => a.client, search: true, cell: (a) => a.client },
      { id: "site", header: t("site"), value: (a) => a.site, search: true, cell: (a) => a.site },
      { id: "type", header: t("type"), value: (a) => a.monitoring_type, cell: (a) => t(a.monitoring_type) },
      { id: "status", header: t("status"), value: (a) => a.status, cell: (a) => <StatusBadge status={a.status} /> },
      {
        id: "lastSeen",
        header: t("lastSeen"),
        value: (a) => (a.last_seen ? Date.parse(a.last_seen) : null),
        className: "whitespace-nowrap",
        cell: (a) => (a.last_seen ? format.relativeTime(new Date(a.last_seen), { now: new Date() }) : tc("never")),
      },
      { id: "os", header: t("os"), value: (a) => a.operating_system, search: true, className: "text-xs", cell: (a) => a.operating_system },
      { id: "pendingUpdates", header: t("pendingUpdates"), value: (a) => a.pending_updates, cell: (a) => a.pending_updates || "—" },
    ],
    [t, tc, format],
  );

  const targets = () => selection.rows.map((a) => ({ id: a.agent_id, label: a.hostname, agent: a }));
  const agentUrl = (a: Agent, tail: string) => `/api/ui/agents/${encodeURIComponent(a.agent_id)}/${tail}`;
  const runCommand = (fields: FormData) => {
    const shell = String(fields.get("shell")) as Shell;
    const body = {
      shell,
      cmd: String(fields.get("cmd") ?? ""),
      timeout: Number(fields.get("timeout")),
      ...(shell === "custom" ? { custom_shell: String(fields.get("custom_shell") ?? "") } : {}),
    };
    void bulk.start(targets(), async ({ agent }) => {
      const out = await fetchJson<CmdOutcome>(agentUrl(agent, "cmd"), { method: "POST", body });
      const text = out.output.length > OUTPUT_PREVIEW ? `${out.output.slice(0, OUTPUT_PREVIEW)}…` : out.output;
      const code = out.status === "timeout" ? t("killed") : t("exitCode", { code: out.exitCode ?? "—" });
      return `${code}: ${text.trim()}`;
    });
  };
  const scanUpdates = () =>
    void bulk.start(targets(), async ({ agent }) => {
      const answer = await fetchJson<{ message: string }>(agentUrl(agent, "updates"), { method: "POST" });
      return answer.message;
    });

  /** Moves every selected agent to one client/site (admins; the agent's own PATCH). */
  const moveAgents = (fields: FormData) => {
    const body = { client: String(fields.get("client") ?? "").trim(), site: String(fields.get("site") ?? "").trim() };
    void bulk.start(targets(), async ({ agent }) => {
      await fetchJson(`/api/ui/agents/${encodeURIComponent(agent.agent_id)}`, { method: "PATCH", body });
    });
  };

  const canCmd = !!rights?.canSendCmd;
  const canScan = !!rights?.canManageWinupdates;
  const canMove = !!rights?.admin;
  const count = selection.rows.length;

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
      <DataTable
        onVisibleRows={onScreen}
        label={t("title")}
        rows={list.data ? shown : undefined}
        rowId={(a) => a.agent_id}
        rowLabel={(a) => a.hostname}
        columns={columns}
        groups={[
          { id: "client", label: t("client"), value: (a) => a.client },
          { id: "site", label: `${t("client")} / ${t("site")}`, value: (a) => `${a.client} / ${a.site}` },
        ]}
        selection={canCmd || canScan || canMove ? selection.table : undefined}
        rowAttributes={(a) => ({ "data-testid": `agent-${a.agent_id}` })}
        loading={list.isPending}
        empty={t("none")}
        toolbar={
          <SelectionBar count={count} onClear={selection.clear}>
            {canCmd && (
              <button type="button" className="btn-primary" onClick={() => (bulk.reset(), setBulkKind("cmd"))}>{tb("runCommand")}</button>
            )}
            {canScan && (
              <button type="button" className="btn-secondary" onClick={() => (bulk.reset(), setBulkKind("scan"))}>{tb("scan")}</button>
            )}
            {canMove && (
              <button type="button" className="btn-secondary" onClick={() => (bulk.reset(), setBulkKind("move"))}>{tb("move")}</button>
            )}
          </SelectionBar>
        }
      />
      {bulkKind === "cmd" && (
        <BulkDialog
          title={tb("runCommand")}
          question={tb("cmdQuestion", { count })}
          confirmLabel={tb("cmdConfirm", { count })}
          bulk={bulk}
          onRun={runCommand}
          onClose={() => setBulkKind(null)}
        >
          <div className="grid grid-cols-2 gap-3">
            <div>
              <label className="label" htmlFor="bulk-shell">{t("shell")}</label>
              <select id="bulk-shell" name="shell" className="input" defaultValue="/bin/bash">
                {SHELLS.filter((s) => s !== "custom").map((s) => (
                  <option key={s} value={s}>{s}</option>
                ))}
              </select>
            </div>
            <div>
              <label className="label" htmlFor="bulk-timeout">{t("timeout")}</label>
              <input id="bulk-timeout" name="timeout" className="input" type="number" min={1} max={3600} step={1} defaultValue={30} required />
            </div>
          </div>
          <div>
            <label className="label" htmlFor="bulk-cmd">{t("command")}</label>
            <textarea id="bulk-cmd" name="cmd" className="input font-mono" rows={3} required maxLength={65536} autoFocus />
          </div>
          <p className="text-xs text-slate-500">{t("commandsHint")}</p>
        </BulkDialog>
      )}
      {bulkKind === "scan" && (
        <BulkDialog
          title={tb("scan")}
          question={tb("scanQuestion", { count })}
          confirmLabel={tb("scanConfirm", { count })}
          bulk={bulk}
          onRun={scanUpdates}
          onClose={() => setBulkKind(null)}
        />
      )}
      {bulkKind === "move" && (
        <BulkDialog
          title={tb("moveTitle")}
          question={tb("moveQuestion", { count })}
          confirmLabel={tb("moveConfirm", { count })}
          bulk={bulk}
          onRun={moveAgents}
          onClose={() => setBulkKind(null)}
        >
          <div className="grid grid-cols-2 gap-3">
            <div>
              <label className="label" htmlFor="bulk-client">{tb("clientField")}</label>
              <input id="bulk-client" name="client" className="input" list="bulk-clients" maxLength={200} required autoComplete="off" />
              <datalist id="bulk-clients">{clients.map((c) => <option key={c} value={c} />)}</datalist>
            </div>
            <div>
              <label className="label" htmlFor="bulk-site">{tb("siteField")}</label>
              <input id="bulk-site" name="site" className="input" list="bulk-sites" maxLength={200} required autoComplete="off" />
              <datalist id="bulk-sites">{sites.map((s) => <option key={s} value={s} />)}</datalist>
            </div>
          </div>
        </BulkDialog>
      )}
    </section>
  );
}
