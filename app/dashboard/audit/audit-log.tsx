"use client";
import { useInfiniteQuery } from "@tanstack/react-query";
import { useFormatter, useTranslations } from "next-intl";
import { useState } from "react";
import { fetchJson } from "@/components/fetch-json";

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
  const [action, setAction] = useState("");
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
  const entries = log.data?.pages.flatMap((p) => p.entries) ?? [];

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
      <div className="card overflow-x-auto p-0">
        <table className="table">
          <thead>
            <tr>
              <th>{t("when")}</th>
              <th>{t("action")}</th>
              <th>{t("actor")}</th>
              <th>{t("target")}</th>
              <th>{t("detail")}</th>
              <th>{t("address")}</th>
            </tr>
          </thead>
          <tbody>
            {log.isPending && (
              <tr><td colSpan={6} className="text-slate-500">{tc("loading")}</td></tr>
            )}
            {!log.isPending && entries.length === 0 && (
              <tr><td colSpan={6} className="text-slate-500">{t("empty")}</td></tr>
            )}
            {entries.map((e) => (
              <tr key={e.id}>
                <td className="whitespace-nowrap text-xs">
                  <time dateTime={e.at}>{format.dateTime(new Date(e.at), { dateStyle: "short", timeStyle: "medium" })}</time>
                </td>
                <td className="whitespace-nowrap font-mono text-xs">{e.action}</td>
                <td>{e.actorName || <span className="text-slate-400">—</span>}</td>
                <td>{e.target || <span className="text-slate-400">—</span>}</td>
                <td className="max-w-md break-words text-xs text-slate-700">{e.detail}</td>
                <td className="whitespace-nowrap font-mono text-xs">{e.ip || "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {log.hasNextPage && (
        <button type="button" className="btn-secondary" disabled={log.isFetchingNextPage} onClick={() => log.fetchNextPage()}>
          {log.isFetchingNextPage ? tc("loading") : t("more")}
        </button>
      )}
    </section>
  );
}
