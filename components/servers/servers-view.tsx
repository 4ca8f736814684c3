"use client";
import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { useMemo, useState } from "react";
import type { ServerRow } from "@/lib/dialects/ui/views";
import { fetchJson } from "../fetch-json";
import { ServerAdminActions } from "./admin-actions";
import { formatBytes, formatDuration, formatLoad, formatSpeed, percentOf } from "./format";
import { SecretDialog, type Enrollment } from "./secret-notice";
import { ServerFormDialog } from "./server-form";
import { StatusBadge } from "./status-badge";
import { UsageBar } from "./usage-bar";

/** Agents report every ~2 s: refreshing as often shows every report without a socket. */
export const LIVE_REFRESH_MS = 2_000;
/** Rows drawn at first: a fleet of thousands stays responsive; "show more" draws the rest. */
const PAGE = 200;

export function useServers() {
  return useQuery({ queryKey: ["servers"], queryFn: () => fetchJson<ServerRow[]>("/api/ui/servers"), refetchInterval: LIVE_REFRESH_MS });
}

export function ServersView({ isAdmin }: { isAdmin: boolean }) {
  const t = useTranslations("servers");
  const tc = useTranslations("common");
  const servers = useServers();
  const [tag, setTag] = useState<string | null>(null);
  const [limit, setLimit] = useState(PAGE);
  const [adding, setAdding] = useState(false);
  const [enrollment, setEnrollment] = useState<Enrollment | null>(null);
  const [error, setError] = useState<string | null>(null);

  const all = useMemo(() => servers.data ?? [], [servers.data]);
  const tags = useMemo(() => [...new Set(all.map((s) => s.tag))].sort((a, b) => a.localeCompare(b)), [all]);
  // A chosen tag that no server carries any more (renamed, deleted) falls back to "all".
  const activeTag = tag !== null && tags.includes(tag) ? tag : null;
  const shown = activeTag === null ? all : all.filter((s) => s.tag === activeTag);
  const online = shown.filter((s) => s.online).length;

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
              onClick={() => setTag(value)}
              className={`rounded-full border px-3 py-1 text-xs ${activeTag === value ? "border-indigo-600 bg-indigo-600 text-white" : "border-slate-300 bg-white text-slate-700 hover:bg-slate-50"}`}
            >
              {value === null ? t("allTags") : value || t("untagged")}
            </button>
          ))}
        </div>
      )}

      {error && <p role="alert" className="rounded bg-red-50 px-3 py-2 text-sm text-red-700">{error}</p>}
      {servers.error && <p role="alert" className="rounded bg-red-50 px-3 py-2 text-sm text-red-700">{servers.error.message}</p>}
      {servers.isPending && <p className="text-sm text-slate-500">{tc("loading")}</p>}
      {servers.data && all.length === 0 && <p className="card text-slate-500">{isAdmin ? t("emptyAdmin") : t("empty")}</p>}

      {shown.length > 0 && (
        <div className="card overflow-x-auto p-0">
          <table className="table" aria-label={t("title")}>
            <thead>
              <tr>
                <th>{t("name")}</th>
                <th>{t("status")}</th>
                <th>{t("cpu")}</th>
                <th>{t("memory")}</th>
                <th>{t("disk")}</th>
                <th>{t("network")}</th>
                <th>{t("uptime")}</th>
                <th>{t("load")}</th>
                {isAdmin && <th>{tc("actions")}</th>}
              </tr>
            </thead>
            <tbody>
              {shown.slice(0, limit).map((s) => (
                <tr key={s.id} data-testid={`server-${s.id}`} className={s.online ? "" : "text-slate-400"}>
                  <td className="min-w-40">
                    <Link href={`/dashboard/servers/${s.id}`} className="font-medium text-indigo-700 hover:underline">
                      {s.name}
                    </Link>
                    <div className="flex flex-wrap gap-1 text-xs text-slate-500">
                      {s.tag && <span className="rounded bg-slate-100 px-1.5">{s.tag}</span>}
                      {s.platform && <span>{s.platform}</span>}
                      {s.hideForGuest && <span title={t("hidden")}>🔒</span>}
                    </div>
                  </td>
                  <td className="whitespace-nowrap"><StatusBadge server={s} /></td>
                  <td data-metric="cpu"><UsageBar label={`${t("cpu")} ${s.name}`} percent={s.cpu} /></td>
                  <td data-metric="memory">
                    <UsageBar label={`${t("memory")} ${s.name}`} percent={percentOf(s.memUsed, s.memTotal)} detail={s.memTotal ? `${formatBytes(s.memUsed)} / ${formatBytes(s.memTotal)}` : undefined} />
                  </td>
                  <td data-metric="disk">
                    <UsageBar label={`${t("disk")} ${s.name}`} percent={percentOf(s.diskUsed, s.diskTotal)} detail={s.diskTotal ? `${formatBytes(s.diskUsed)} / ${formatBytes(s.diskTotal)}` : undefined} />
                  </td>
                  <td className="whitespace-nowrap text-xs tabular-nums">
                    <div>↓ {formatSpeed(s.netInSpeed)}</div>
                    <div>↑ {formatSpeed(s.netOutSpeed)}</div>
                  </td>
                  <td className="whitespace-nowrap tabular-nums">{formatDuration(s.uptime)}</td>
                  <td className="whitespace-nowrap tabular-nums">{s.load1 === null ? "—" : `${formatLoad(s.load1)} ${formatLoad(s.load5)} ${formatLoad(s.load15)}`}</td>
                  {isAdmin && <td><ServerAdminActions server={s} onError={setError} /></td>}
                </tr>
              ))}
            </tbody>
          </table>
          {shown.length > limit && (
            <div className="p-3 text-center">
              <button className="btn-secondary" type="button" onClick={() => setLimit((l) => l + PAGE * 5)}>
                {`${limit} / ${shown.length} …`}
              </button>
            </div>
          )}
        </div>
      )}

      {adding && <ServerFormDialog onClose={() => setAdding(false)} onCreated={setEnrollment} />}
      {enrollment && <SecretDialog enrollment={enrollment} onClose={() => setEnrollment(null)} />}
    </section>
  );
}
