"use client";
import { useInfiniteQuery } from "@tanstack/react-query";
import { useFormatter, useTranslations } from "next-intl";
import { useMemo } from "react";
import { fetchJson } from "@/components/fetch-json";
import { DataTable, type DataColumn } from "@/components/table/data-table";
import { useUrlParam } from "@/components/table/url-state";

interface AuditEntry {
  id: number;
  at: string;
  action: string;
  actorName: string;
  target: string;
  detail: string;
  ip: string;
}

interface AuditPage {
  entries: AuditEntry[];
  nextBefore: number | null;
}

const FILTERS = [
  { value: "", label: "all" },
  { value: "token", label: "tokens" },
  { value: "key", label: "keys" },
  { value: "auth.fail", label: "authFailures" },
  { value: "user", label: "users" },
] as const;

const PAGE_SIZE = 50;

/** The audit log, newest first, a page at a time ("Load more"). */
export function AuditLog() {
  const t = useTranslations("audit");
  const tc = useTranslations("common");
  const format = useFormatter();
  const [action, setAction] = useUrlParam("action");
  const log = useInfiniteQuery({
    queryKey: ["audit", action],
    initialPageParam: null as number | null,
    queryFn: ({ pageParam }) => {
      const q = new URLSearchParams({ limit: String(PAGE_SIZE) });
      if (action) q.set("action", action);
      if (pageParam !== null) q.set("before", String(pageParam));
      return fetchJson<AuditPage>(`/api/ui/audit?${q}`);
    },
    getNextPageParam: (last) => last.nextBefore,
  });
  const entries = useMemo(() => log.data?.pages.flatMap((p) => p.entries) ?? [], [log.data]);
  // Search and sort work on the entries loaded so far ("Load more" brings older ones).
  const columns = useMemo<DataColumn<AuditEntry>[]>(
    () => [
      {
        id: "when",
        header: t("when"),
        value: (e) => e.id,
        className: "whitespace-nowrap text-xs",
        cell: (e) => <time dateTime={e.at}>{format.dateTime(new Date(e.at), { dateStyle: "short", timeStyle: "medium" })}</time>,
      },
      { id: "action", header: t("action"), value: (e) => e.action, search: true, className: "whitespace-nowrap font-mono text-xs", cell: (e) => e.action },
      { id: "actor", header: t("actor"), value: (e) => e.actorName, search: true, cell: (e) => e.actorName || <span className="text-slate-400">—</span> },
      { id: "target", header: t("target"), value: (e) => e.target, search: true, cell: (e) => e.target || <span className="text-slate-400">—</span> },
      { id: "detail", header: t("detail"), value: (e) => e.detail, search: true, className: "max-w-md break-words text-xs text-slate-700", cell: (e) => e.detail },
      { id: "address", header: t("address"), value: (e) => e.ip, search: true, className: "whitespace-nowrap font-mono text-xs", cell: (e) => e.ip || "—" },
    ],
    [t, format],
  );

  return (
    <section className="space-y-4">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <h1 className="text-2xl font-semibold">{t("title")}</h1>
        <div className="flex items-end gap-2">
          <div>
            <label className="label" htmlFor="audit-filter">{t("filter")}</label>
            <select id="audit-filter" className="input" value={action} onChange={(e) => setAction(e.target.value)}>
              {FILTERS.map((f) => (
                <option key={f.value} value={f.value}>{t(f.label)}</option>
              ))}
            </select>
          </div>
          <button type="button" className="btn-secondary" onClick={() => log.refetch()}>{t("refresh")}</button>
        </div>
      </div>
      {log.error && <p role="alert" className="rounded bg-red-50 px-3 py-2 text-sm text-red-700">{log.error.message}</p>}
      <DataTable
        label={t("title")}
        rows={log.isPending ? undefined : entries}
        rowId={(e) => String(e.id)}
        columns={columns}
        defaultSort={{ id: "when", desc: true }}
        loading={log.isPending}
        empty={t("empty")}
      />
      {log.hasNextPage && (
        <button type="button" className="btn-secondary" disabled={log.isFetchingNextPage} onClick={() => log.fetchNextPage()}>
          {log.isFetchingNextPage ? tc("loading") : t("more")}
        </button>
      )}
    </section>
  );
}
