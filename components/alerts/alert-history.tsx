"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useTranslations } from "next-intl";
import type { AlertHistoryItem, NotificationView } from "@/lib/fleet/alerts/history";
import { fetchJson } from "../fetch-json";

/** One notice: its state, and (unfolded) every attempt to send it with its result and error. */
export function NoticeAttempts({ n }: { n: NotificationView }) {
  const t = useTranslations("alerts");
  return (
    <details data-testid="notice">
      <summary className="cursor-pointer">
        {n.kind} → {n.channelName || `#${n.channelId}`}: <span className={n.status === "sent" ? "text-emerald-700" : n.status === "failed" ? "text-red-700" : "text-amber-700"}>{t(`status_${n.status}`)}</span> ({t("attempts", { count: n.attempts })})
        {n.status === "pending" && n.attempts > 0 && <> · {t("nextAttempt", { at: new Date(n.nextAttemptAt).toLocaleTimeString() })}</>}
      </summary>
      <table className="mt-1 text-xs" aria-label={t("attemptLog")}>
        <thead className="text-slate-500">
          <tr><th className="pr-2 text-left">{t("attemptAt")}</th><th className="pr-2 text-left">{t("result")}</th><th className="pr-2 text-left">HTTP</th><th className="text-left">{t("error")}</th></tr>
        </thead>
        <tbody>
          {n.attemptLog.map((a, i) => (
            <tr key={i} data-testid="attempt-row">
              <td className="pr-2 whitespace-nowrap">{new Date(a.at).toLocaleString()}</td>
              <td className={`pr-2 ${a.result === "sent" ? "text-emerald-700" : "text-red-700"}`}>{t(`result_${a.result}`)}</td>
              <td className="pr-2">{a.httpStatus ?? "—"}</td>
              <td className="break-all">{a.error}</td>
            </tr>
          ))}
          {n.attemptLog.length === 0 && <tr><td colSpan={4} className="text-slate-500">{t("noAttempts")}</td></tr>}
        </tbody>
      </table>
    </details>
  );
}

/** What fired, when, on which machine, when it recovered, and (admins) how each notice went. */
export function AlertHistory({ isAdmin, canManage }: { isAdmin: boolean; canManage: boolean }) {
  const t = useTranslations("alerts");
  const q = useQuery({ queryKey: ["alerts"], queryFn: () => fetchJson<{ items: AlertHistoryItem[] }>("/api/ui/alerts?limit=200"), refetchInterval: 10_000 });
  const items = q.data?.items ?? [];
  return (
    <section className="space-y-4">
      <div className="flex items-center justify-between">
        <h1 className="text-2xl font-semibold">{t("history")}</h1>
        {canManage && <Link className="btn-secondary" href="/dashboard/alerts/settings">{t("settings")}</Link>}
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
                    {i.notifications.map((n) => <NoticeAttempts key={n.id} n={n} />)}
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
