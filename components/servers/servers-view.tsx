"use client";
import Link from "next/link";
import { useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { useMemo, useState } from "react";
import { BulkDialog } from "../bulk/bulk-dialog";
import { useBulkAction } from "../bulk/use-bulk-action";
import { serverKey, serversKey, useServers, type ServerRow } from "../data/servers";
import { useStreamViewSetter } from "../data/stream";
import { fetchJson } from "../fetch-json";
import { DataTable, type DataColumn } from "../table/data-table";
import { useUrlParam } from "../table/url-state";
import { SelectionBar, useSelection } from "../table/selection";
import { ServerAdminActions } from "./admin-actions";
import { formatBytes, formatDuration, formatLoad, formatSpeed, percentOf } from "./format";
import { SecretDialog, type Enrollment } from "./secret-notice";
import { ServerFormDialog } from "./server-form";
import { StatusBadge } from "./status-badge";
import { UsageBar } from "./usage-bar";

/** The order of the status column: what needs attention first when sorted ascending. */
const STATUS_RANK: Record<ServerRow["status"], number> = { overdue: 0, offline: 1, online: 2 };

export function ServersView({ isAdmin }: { isAdmin: boolean }) {
  const t = useTranslations("servers");
  const tc = useTranslations("common");
  const tb = useTranslations("bulk");
  const qc = useQueryClient();
  const servers = useServers();
  // The stream carries whole rows for the servers on screen only.
  const onScreen = useStreamViewSetter<ServerRow>();
  const [tag, setTag] = useUrlParam("tag");
  const [adding, setAdding] = useState(false);
  const [enrollment, setEnrollment] = useState<Enrollment | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [bulkKind, setBulkKind] = useState<"delete" | "tag" | null>(null);
  const bulk = useBulkAction();

  const all = useMemo(() => servers.data ?? [], [servers.data]);
  const tags = useMemo(() => [...new Set(all.map((s) => s.tag))].sort((a, b) => a.localeCompare(b)), [all]);
  // A chosen tag that no server carries any more (renamed, deleted) falls back to "all"; the URL
  // uses "-" for "no tag", since an empty parameter means "all".
  const tagValue = tag === "-" ? "" : tag;
  const activeTag = tag && tags.includes(tagValue) ? tagValue : null;
  const shown = useMemo(() => (activeTag === null ? all : all.filter((s) => s.tag === activeTag)), [all, activeTag]);
  const online = shown.filter((s) => s.online).length;
  const selection = useSelection(shown, (s) => String(s.id));

  const columns = useMemo<DataColumn<ServerRow>[]>(
    () => [
      {
        id: "name",
        header: t("name"),
        value: (s) => s.name,
        search: true,
        className: "min-w-40",
        cell: (s) => (
          <>
            <Link href={`/dashboard/servers/${s.id}`} className="font-medium text-indigo-700 hover:underline">
              {s.name}
            </Link>
            <div className="flex flex-wrap gap-1 text-xs text-slate-500">
              {s.platform && <span>{s.platform}</span>}
              {s.hideForGuest && <span title={t("hidden")}>🔒</span>}
            </div>
          </>
        ),
      },
      {
        id: "tag",
        header: t("tag"),
        value: (s) => s.tag,
        search: true,
        cell: (s) => (s.tag ? <span className="rounded bg-slate-100 px-1.5 text-xs text-slate-600">{s.tag}</span> : null),
      },
      { id: "status", header: t("status"), value: (s) => STATUS_RANK[s.status], className: "whitespace-nowrap", cell: (s) => <StatusBadge server={s} /> },
      { id: "cpu", header: t("cpu"), value: (s) => s.cpu, cell: (s) => <div data-metric="cpu"><UsageBar label={`${t("cpu")} ${s.name}`} percent={s.cpu} /></div> },
      {
        id: "memory",
        header: t("memory"),
        value: (s) => percentOf(s.memUsed, s.memTotal),
        cell: (s) => (
          <div data-metric="memory">
            <UsageBar label={`${t("memory")} ${s.name}`} percent={percentOf(s.memUsed, s.memTotal)} detail={s.memTotal ? `${formatBytes(s.memUsed)} / ${formatBytes(s.memTotal)}` : undefined} />
          </div>
        ),
      },
      {
        id: "disk",
        header: t("disk"),
        value: (s) => percentOf(s.diskUsed, s.diskTotal),
        cell: (s) => (
          <div data-metric="disk">
            <UsageBar label={`${t("disk")} ${s.name}`} percent={percentOf(s.diskUsed, s.diskTotal)} detail={s.diskTotal ? `${formatBytes(s.diskUsed)} / ${formatBytes(s.diskTotal)}` : undefined} />
          </div>
        ),
      },
      {
        id: "network",
        header: t("network"),
        value: (s) => (s.netInSpeed === null ? null : (s.netInSpeed ?? 0) + (s.netOutSpeed ?? 0)),
        className: "whitespace-nowrap text-xs tabular-nums",
        cell: (s) => (
          <>
            <div>↓ {formatSpeed(s.netInSpeed)}</div>
            <div>↑ {formatSpeed(s.netOutSpeed)}</div>
          </>
        ),
      },
      { id: "uptime", header: t("uptime"), value: (s) => s.uptime, className: "whitespace-nowrap tabular-nums", cell: (s) => formatDuration(s.uptime) },
      {
        id: "load",
        header: t("load"),
        value: (s) => s.load1,
        className: "whitespace-nowrap tabular-nums",
        cell: (s) => (s.load1 === null ? "—" : `${formatLoad(s.load1)} ${formatLoad(s.load5)} ${formatLoad(s.load15)}`),
      },
      ...(isAdmin
        ? [{ id: "actions", header: tc("actions"), hideHeader: true, stickyRight: true, cell: (s: ServerRow) => <ServerAdminActions server={s} onError={setError} compact /> }]
        : []),
    ],
    [t, tc, isAdmin],
  );

  const deleteSelected = () =>
    bulk.start(
      selection.rows.map((s) => ({ id: String(s.id), label: s.name, server: s })),
      async ({ server }) => {
        await fetchJson(`/api/ui/servers/${server.id}`, { method: "DELETE" });
        qc.removeQueries({ queryKey: serverKey(server.id) });
      },
    ).then(() => {
      selection.clear();
      return qc.invalidateQueries({ queryKey: serversKey });
    });

  /** Sets one tag on every selected server (an admin's edit, one PATCH per server). */
  const tagSelected = (tag: string) =>
    bulk.start(
      selection.rows.map((s) => ({ id: String(s.id), label: s.name, server: s })),
      async ({ server }) => {
        await fetchJson(`/api/ui/servers/${server.id}`, { method: "PATCH", body: { tag } });
      },
    );

  return (
    <section className="space-y-4">
      <div className="flex flex-wrap items-center gap-3">
        <h1 className="text-2xl font-semibold">{t("title")}</h1>
        {servers.data && <span className="text-sm text-slate-500" data-testid="servers-summary">{t("summary", { online, total: shown.length })}</span>}
        {isAdmin && (
          <button className="btn-primary ml-auto" type="button" onClick={() => setAdding(true)}>
            {t("add")}
          </button>
        )}
      </div>

      {tags.length > 1 && (
        <div className="flex flex-wrap gap-2" role="group" aria-label={t("filterByTag")}>
          {[null, ...tags].map((value) => (
            <button
              key={value ?? "\u0000all"}
              type="button"
              aria-pressed={activeTag === value}
              onClick={() => setTag(value === null ? "" : value || "-")}
              className={`rounded-full border px-3 py-1 text-xs ${activeTag === value ? "border-indigo-600 bg-indigo-600 text-white" : "border-slate-300 bg-white text-slate-700 hover:bg-slate-50"}`}
            >
              {value === null ? t("allTags") : value || t("untagged")}
            </button>
          ))}
        </div>
      )}

      {error && <p role="alert" className="rounded bg-red-50 px-3 py-2 text-sm text-red-700">{error}</p>}
      {servers.error && <p role="alert" className="rounded bg-red-50 px-3 py-2 text-sm text-red-700">{servers.error.message}</p>}

      <DataTable
        onVisibleRows={onScreen}
        label={t("title")}
        rows={servers.data ? shown : undefined}
        rowId={(s) => String(s.id)}
        rowLabel={(s) => s.name}
        columns={columns}
        groups={[{ id: "tag", label: t("tag"), value: (s) => s.tag }]}
        selection={isAdmin ? selection.table : undefined}
        rowAttributes={(s) => ({ "data-testid": `server-${s.id}`, className: s.online ? "" : "text-slate-400" })}
        loading={servers.isPending}
        empty={isAdmin ? t("emptyAdmin") : t("empty")}
        toolbar={
          isAdmin && (
            <SelectionBar count={selection.rows.length} onClear={selection.clear}>
              <button type="button" className="btn-secondary" onClick={() => (bulk.reset(), setBulkKind("tag"))}>
                {tb("tag")}
              </button>
              <button type="button" className="btn-danger" onClick={() => (bulk.reset(), setBulkKind("delete"))}>
                {tb("delete")}
              </button>
            </SelectionBar>
          )
        }
      />

      {bulkKind === "delete" && (
        <BulkDialog
          title={tb("deleteTitle")}
          question={tb("deleteQuestion", { count: selection.rows.length })}
          confirmLabel={tb("deleteConfirm", { count: selection.rows.length })}
          danger
          bulk={bulk}
          onRun={() => void deleteSelected()}
          onClose={() => setBulkKind(null)}
        />
      )}
      {bulkKind === "tag" && (
        <BulkDialog
          title={tb("tagTitle")}
          question={tb("tagQuestion", { count: selection.rows.length })}
          confirmLabel={tb("tagConfirm", { count: selection.rows.length })}
          bulk={bulk}
          onRun={(f) => void tagSelected(String(f.get("tag") ?? "").trim())}
          onClose={() => setBulkKind(null)}
        >
          <label className="label" htmlFor="bulk-tag">{tb("tagField")}</label>
          <input className="input" id="bulk-tag" name="tag" maxLength={100} autoComplete="off" />
        </BulkDialog>
      )}
      {adding && <ServerFormDialog onClose={() => setAdding(false)} onCreated={setEnrollment} />}
      {enrollment && <SecretDialog enrollment={enrollment} onClose={() => setEnrollment(null)} />}
    </section>
  );
}
