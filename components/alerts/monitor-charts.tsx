"use client";
import { useQuery } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { useState } from "react";
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { MonitorSeries } from "@/lib/fleet/monitors";
import { fetchJson } from "../fetch-json";

const RANGE_MS = { day: 86_400_000, month: 30 * 86_400_000 } as const;

/** A server page's monitor charts: latency (ms) and packet loss (%) per monitor, a day or 30 days. */
export function MonitorCharts({ serverId }: { serverId: number }) {
  const t = useTranslations("alerts");
  const [range, setRange] = useState<"day" | "month">("day");
  const q = useQuery({
    queryKey: ["server", serverId, "monitors", range],
    queryFn: () => fetchJson<MonitorSeries[]>(`/api/ui/servers/${serverId}/monitors?range=${range}`),
    refetchInterval: 60_000,
  });
  const now = q.dataUpdatedAt || Date.now();
  if (q.isSuccess && q.data.length === 0) return null;
  return (
    <section className="space-y-3" aria-label={t("monitorCharts")}>
      <div className="flex items-center gap-2" role="group">
        <h2 className="text-lg font-semibold">{t("monitorCharts")}</h2>
        {(["day", "month"] as const).map((r) => (
          <button key={r} type="button" aria-pressed={range === r} onClick={() => setRange(r)}
            className={`rounded-full border px-3 py-1 text-xs ${range === r ? "border-indigo-600 bg-indigo-600 text-white" : "border-slate-300 bg-white text-slate-700"}`}>
            {r === "day" ? t("lastDay") : t("last30Days")}
          </button>
        ))}
      </div>
      {q.error && <p role="alert" className="rounded bg-red-50 px-3 py-2 text-sm text-red-700">{q.error.message}</p>}
      <div className="grid gap-3 md:grid-cols-2">
        {(q.data ?? []).map((s) => (
          <figure key={s.monitorId} className="card space-y-2" data-testid="monitor-chart">
            <figcaption className="text-sm font-medium text-slate-700">{s.monitorName}</figcaption>
            <div className="h-44 w-full">
              <ResponsiveContainer width="100%" height="100%" initialDimension={{ width: 400, height: 176 }}>
                <LineChart data={s.points} margin={{ top: 4, right: 8, bottom: 0, left: 0 }}>
                  <CartesianGrid stroke="#e2e8f0" strokeDasharray="3 3" />
                  <XAxis dataKey="at" type="number" scale="time" domain={[now - RANGE_MS[range], now]} tickFormatter={(ms) => new Date(ms).toLocaleString(undefined, range === "day" ? { hour: "2-digit", minute: "2-digit" } : { month: "short", day: "numeric" })} tick={{ fontSize: 11 }} minTickGap={24} />
                  <YAxis yAxisId="ms" tickFormatter={(v) => `${v} ms`} tick={{ fontSize: 11 }} width={64} />
                  <YAxis yAxisId="loss" orientation="right" domain={[0, 100]} tickFormatter={(v) => `${v}%`} tick={{ fontSize: 11 }} width={44} />
                  <Tooltip labelFormatter={(v) => new Date(Number(v)).toLocaleString()} />
                  <Legend wrapperStyle={{ fontSize: 12 }} />
                  <Line yAxisId="ms" type="monotone" dataKey="avgDelay" name={t("latency")} stroke="#4f46e5" dot={false} strokeWidth={1.5} isAnimationActive={false} />
                  <Line yAxisId="loss" type="stepAfter" dataKey="loss" name={t("loss")} stroke="#dc2626" dot={false} strokeWidth={1} isAnimationActive={false} />
                </LineChart>
              </ResponsiveContainer>
            </div>
          </figure>
        ))}
      </div>
    </section>
  );
}
