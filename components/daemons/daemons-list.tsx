"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import Link from "next/link";
import { useMemo, useState } from "react";
import { daemonsKey, useDaemons, type DaemonRow } from "../data/daemons";
import { useStreamViewSetter } from "../data/stream";
import { fetchJson } from "../fetch-json";
import { formatBytes, percentOf } from "../servers/format";
import { UsageBar } from "../servers/usage-bar";
import { DataTable, type DataColumn } from "../table/data-table";

export function OnlineBadge({ online }: { online: boolean }) {
  const t = useTranslations("daemons");
  return (
    <span
      data-online={online}
      className={`inline-flex items-center gap-1 rounded-full px-2 py-0.5 text-xs font-medium ${online ? "bg-emerald-100 text-emerald-800" : "bg-slate-200 text-slate-700"}`}
    >
      <span aria-hidden className={`h-1.5 w-1.5 rounded-full ${online ? "bg-emerald-500" : "bg-slate-400"}`} />
      {online ? t("online") : t("offline")}
    </span>
  );
}

/** Remarks shown as text; admins edit them in place (Enter saves, Escape cancels). */
function RemarksCell({ daemon, isAdmin }: { daemon: DaemonRow; isAdmin: boolean }) {
  const t = useTranslations("daemons");
  const qc = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: (remarks: string) => fetchJson(`/api/ui/daemons/${daemon.id}`, { method: "PATCH", body: { remarks } }),
    onSuccess: () => qc.invalidateQueries({ queryKey: daemonsKey }).then(() => (setEditing(false), setError(null))),
    onError: (e: Error) => setError(e.message),
  });
  if (!editing) {
    return (
      <span className="inline-flex items-center gap-2">
        <span data-testid={`remarks-${daemon.id}`}>{daemon.remarks || t("noRemarks")}</span>
        {isAdmin && (
          <button type="button" className="text-xs text-indigo-600 hover:underline" aria-label={`${t("editRemarks")} ${daemon.name}`} onClick={() => setEditing(true)}>
            {t("editRemarks")}
          </button>
        )}
      </span>
    );
  }
  return (
    <form
      className="flex items-center gap-2"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate(String(new FormData(e.currentTarget).get("remarks") ?? ""));
      }}
    >
      <input
        className="input py-0.5"
        name="remarks"
        aria-label={`${t("remarks")} ${daemon.name}`}
        defaultValue={daemon.remarks}
        maxLength={2000}
        autoFocus
        onKeyDown={(e) => e.key === "Escape" && setEditing(false)}
      />
      <button className="btn-primary py-0.5" type="submit" disabled={save.isPending}>✓</button>
      {error && <span role="alert" className="text-xs text-red-700">{error}</span>}
    </form>
  );
}

export function DaemonsList({ isAdmin }: { isAdmin: boolean }) {
  const t = useTranslations("daemons");
  const te = useTranslations("empty");
  const daemons = useDaemons();
  const onScreen = useStreamViewSetter<DaemonRow>();
  const columns = useMemo<DataColumn<DaemonRow>[]>(
    () => [
      {
        id: "name",
        header: t("name"),
        value: (d) => d.name,
        search: true,
        cell: (d) => (
          <>
            <Link className="font-medium text-indigo-700 hover:underline" href={`/dashboard/daemons/${d.id}`}>{d.name}</Link>
            <div className="text-xs text-slate-400">{d.hostname}</div>
          </>
        ),
      },
      { id: "status", header: t("status"), value: (d) => (d.online ? 1 : 0), cell: (d) => <OnlineBadge online={d.online} /> },
      { id: "version", header: t("version"), value: (d) => d.version, className: "font-mono text-xs", cell: (d) => d.version || "—" },
      {
        id: "instances",
        header: t("instances"),
        value: (d) => d.running,
        cell: (d) => <span data-testid={`daemon-instances-${d.id}`}>{d.running} / {d.total}</span>,
      },
      { id: "cpu", header: t("cpu"), value: (d) => (d.online ? d.cpu : null), cell: (d) => <UsageBar percent={d.online ? d.cpu : null} label={`${t("cpu")} ${d.name}`} /> },
      {
        id: "memory",
        header: t("memory"),
        value: (d) => (d.online ? percentOf(d.memUsed, d.memTotal) : null),
        cell: (d) => (
          <UsageBar percent={d.online ? percentOf(d.memUsed, d.memTotal) : null} label={`${t("memory")} ${d.name}`} detail={d.online ? `${formatBytes(d.memUsed)} / ${formatBytes(d.memTotal)}` : undefined} />
        ),
      },
      { id: "remarks", header: t("remarks"), value: (d) => d.remarks, search: true, cell: (d) => <RemarksCell daemon={d} isAdmin={isAdmin} /> },
    ],
    [t, isAdmin],
  );
  return (
    <section className="space-y-4">
      <div>
        <h1 className="text-2xl font-semibold">{t("title")}</h1>
        <p className="text-sm text-slate-500">{t("intro")}</p>
      </div>
      {daemons.error && <p role="alert" className="rounded bg-red-50 px-3 py-2 text-sm text-red-700">{daemons.error.message}</p>}
      <DataTable
        onVisibleRows={onScreen}
        label={t("title")}
        rows={daemons.data}
        rowId={(d) => String(d.id)}
        columns={columns}
        rowAttributes={(d) => ({ "data-testid": `daemon-${d.id}` })}
        loading={daemons.isPending}
        empty={te("daemons")}
      />
    </section>
  );
}
