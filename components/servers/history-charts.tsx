"use client";
import { useQuery } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { useState } from "react";
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { HistoryPoint, HistoryRange } from "@/lib/dialects/ui/views";
import { fetchJson } from "../fetch-json";
import { formatBytes, formatLoad, formatSpeed } from "./format";

const RANGE_MS: Record<HistoryRange, number> = { hour: 3_600_000, day: 86_400_000 };
/** History points are 10 s (hour) or 1 min (day) averages: refetching faster shows nothing new. */
const REFRESH_MS: Record<HistoryRange, number> = { hour: 10_000, day: 60_000 };

interface Series {
  key: keyof Omit<HistoryPoint, "at">;
  name: string;
  colour: string;
}

/** Tick every 10 minutes (hour) or 3 hours (day), on round times, across the whole range. */
const TICK_MS: Record<HistoryRange, number> = { hour: 600_000, day: 3 * 3_600_000 };
function ticksOf(range: HistoryRange, now: number): number[] {
  const step = TICK_MS[range];
  const ticks: number[] = [];
  for (let t = Math.ceil((now - RANGE_MS[range]) / step) * step; t <= now; t += step) ticks.push(t);
  return ticks;
}

function clock(range: HistoryRange) {
  return (ms: number) =>
    new Date(ms).toLocaleTimeString(undefined, range === "hour" ? { hour: "2-digit", minute: "2-digit" } : { hour: "2-digit", minute: "2-digit" });
}

/**
 * One chart. The x axis always spans the whole range (not just the points), so a new server
 * with no points still draws an empty, labelled chart rather than nothing.
 */
function Chart({ title, points, series, range, now, format, yMax }: {
  title: string;
  points: HistoryPoint[];
  series: Series[];
  range: HistoryRange;
  now: number;
  format: (v: number) => string;
  yMax?: number;
}) {
  return (
    <figure className="card space-y-2" data-testid="history-chart">
      <figcaption className="text-sm font-medium text-slate-700">{title}</figcaption>
      <div className="h-44 w-full">
        <ResponsiveContainer width="100%" height="100%" initialDimension={{ width: 400, height: 176 }}>
          <LineChart data={points} margin={{ top: 4, right: 8, bottom: 0, left: 0 }}>
            <CartesianGrid stroke="#e2e8f0" strokeDasharray="3 3" />
            <XAxis dataKey="at" type="number" scale="time" domain={[now - RANGE_MS[range], now]} ticks={ticksOf(range, now)} tickFormatter={clock(range)} tick={{ fontSize: 11 }} minTickGap={24} />
            <YAxis tickFormatter={format} tick={{ fontSize: 11 }} width={72} domain={[0, yMax ?? "auto"]} allowDecimals />
            <Tooltip labelFormatter={(v) => new Date(Number(v)).toLocaleString()} formatter={(v) => format(Number(v))} />
            {series.length > 1 && <Legend wrapperStyle={{ fontSize: 12 }} />}
            {series.map((s) => (
              <Line key={s.key} type="monotone" dataKey={s.key} name={s.name} stroke={s.colour} dot={false} strokeWidth={1.5} isAnimationActive={false} connectNulls={false} />
            ))}
          </LineChart>
        </ResponsiveContainer>
      </div>
    </figure>
  );
}

export function HistoryCharts({ serverId, memTotal }: { serverId: number; memTotal: number | null }) {
  const t = useTranslations("servers");
  const [range, setRange] = useState<HistoryRange>("hour");
  const history = useQuery({
    queryKey: ["server", serverId, "history", range],
    queryFn: () => fetchJson<HistoryPoint[]>(`/api/ui/servers/${serverId}/history?range=${range}`),
    refetchInterval: REFRESH_MS[range],
  });
  const points = history.data ?? [];
  const now = history.dataUpdatedAt || Date.now();

  return (
    <section className="space-y-3" aria-label={t("lastHour")}>
      <div className="flex gap-2" role="group">
        {(["hour", "day"] as const).map((r) => (
          <button
            key={r}
            type="button"
            aria-pressed={range === r}
            onClick={() => setRange(r)}
            className={`rounded-full border px-3 py-1 text-xs ${range === r ? "border-indigo-600 bg-indigo-600 text-white" : "border-slate-300 bg-white text-slate-700"}`}
          >
            {r === "hour" ? t("lastHour") : t("lastDay")}
          </button>
        ))}
      </div>
      {history.error && <p role="alert" className="rounded bg-red-50 px-3 py-2 text-sm text-red-700">{history.error.message}</p>}
      {history.isSuccess && points.length === 0 && <p className="text-sm text-slate-500" data-testid="no-history">{t("noHistory")}</p>}
      <div className="grid gap-3 md:grid-cols-2">
        <Chart title={t("chartCpu")} points={points} range={range} now={now} yMax={100} format={(v) => `${Math.round(v)}%`} series={[{ key: "cpu", name: t("cpu"), colour: "#4f46e5" }]} />
        <Chart
          title={t("chartMemory")}
          points={points}
          range={range}
          now={now}
          yMax={memTotal ?? undefined}
          format={formatBytes}
          series={[{ key: "memUsed", name: t("memory"), colour: "#059669" }, { key: "swapUsed", name: t("swap"), colour: "#d97706" }]}
        />
        <Chart
          title={t("chartNetwork")}
          points={points}
          range={range}
          now={now}
          format={formatSpeed}
          series={[{ key: "netInSpeed", name: t("netIn"), colour: "#0284c7" }, { key: "netOutSpeed", name: t("netOut"), colour: "#db2777" }]}
        />
        <Chart title={t("chartLoad")} points={points} range={range} now={now} format={formatLoad} series={[{ key: "load1", name: t("load"), colour: "#7c3aed" }]} />
      </div>
    </section>
  );
}
