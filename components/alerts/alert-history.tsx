"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useTranslations } from "next-intl";
import type { AlertHistoryItem } from "@/lib/fleet/alerts/history";
import { fetchJson } from "../fetch-json";

/** What fired, when, on which machine, when it recovered, and (admins) how each notice went. */
export function AlertHistory({ isAdmin }: { isAdmin: boolean }) {
  const t = useTranslations("alerts");
  const q = useQuery({ queryKey: ["alerts"], queryFn: () => fetchJson<{ items: AlertHistoryItem[] }>("/api/ui/alerts?limit=200"), refetchInterval: 10_000 });
  const items = q.data?.items ?? [];
  return (
    <section className="space-y-4">
      <div className="flex items-center justify-between">
        <h1 className="text-2xl font-semibold">{t("history")}</h1>
        {isAdmin && <Link className="btn-secondary" href="/dashboard/alerts/settings">{t("settings")}</Link>}
      </div>
      {q.error && <p role="alert" className="rounded bg-red-50 px-3 py-2 text-sm text-red-700">{q.error.message}</p>}
      {q.isSuccess && items.length === 0 && <p className="text-sm text-slate-500">{t("noAlerts")}</p>}
      <div className="overflow-x-auto">
        <table className="w-full text-left text-sm">
          <thead className="text-xs text-slate-500">
            <tr><th className="p-2">{t("rule")}</th><th className="p-2">{t("server")}</th><th className="p-2">{t("detail")}</th><th className="p-2">{t("fired")}</th><th className="p-2">{t("recovered")}</th>{isAdmin && <th className="p-2">{t("notices")}</th>}</tr>
          </thead>
          <tbody>
            {items.map((i) => (
              <tr key={i.id} className="border-t border-slate-100 align-top" data-testid="alert-row">
                <td className="p-2">{i.ruleName}</td>
                <td className="p-2">{i.serverId ? <Link className="text-indigo-700 hover:underline" href={`/dashboard/servers/${i.serverId}`}>{i.serverName || `#${i.serverId}`}</Link> : ""}</td>
                <td className="p-2">{i.detail}</td>
                <td className="p-2 whitespace-nowrap">{new Date(i.firedAt).toLocaleString()}</td>
                <td className="p-2 whitespace-nowrap">{i.recoveredAt ? new Date(i.recoveredAt).toLocaleString() : <span className="font-medium text-red-700">{t("firing")}</span>}</td>
                {isAdmin && (
                  <td className="p-2 text-xs">
                    {i.notifications.map((n) => (
                      <div key={n.id} title={n.lastError}>
                        {n.kind} → #{n.channelId}: {n.status} ({t("attempts", { count: n.attempts })}){n.lastError ? ` — ${n.lastError}` : ""}
                      </div>
                    ))}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
