"use client";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useLocale, useTranslations } from "next-intl";
import { useState } from "react";
import { ServerAdminActions } from "./admin-actions";
import { formatBytes, formatDuration, formatLoad, formatSpeed, percentOf } from "./format";
import { HistoryCharts } from "./history-charts";
import { MonitorCharts } from "../alerts/monitor-charts";
import { useServer } from "../data/servers";
import { StatusBadge } from "./status-badge";
import { UsageBar } from "./usage-bar";

function Field({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div>
      <dt className="text-xs text-slate-500">{label}</dt>
      <dd className="text-sm break-words">{children}</dd>
    </div>
  );
}

/** One capability as the agent announced it: allowed, disabled, or unknown (null). */
function Capability({ name, label, value }: { name: string; label: string; value: boolean | null }) {
  const t = useTranslations("servers");
  const tone = value === true ? "bg-emerald-100 text-emerald-800" : value === false ? "bg-slate-100 text-slate-600" : "bg-amber-50 text-amber-800";
  return (
    <li className={`rounded px-2 py-0.5 ${tone}`} data-capability={name} data-value={String(value)}>
      {label}: {value === true ? t("capAllowed") : value === false ? t("capDisabled") : t("capUnknown")}
    </li>
  );
}

export function ServerDetailView({ id, isAdmin }: { id: number; isAdmin: boolean }) {
  const t = useTranslations("servers");
  const tc = useTranslations("common");
  const locale = useLocale();
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  // Pushed by the stream while it is up; polled only while it is down.
  const server = useServer(id);
  const s = server.data;

  if (server.error) {
    return (
      <section className="space-y-4">
        <Link href="/dashboard/servers" className="text-sm text-indigo-700 hover:underline">← {t("back")}</Link>
        <p role="alert" className="card text-slate-600">{server.error.message === "No such server" ? t("notFound") : server.error.message}</p>
      </section>
    );
  }
  if (!s) return <p className="text-sm text-slate-500">{tc("loading")}</p>;

  const h = s.host;
  const ago = s.lastActive === null ? tc("never") : t("ago", { time: formatDuration((Date.now() - s.lastActive) / 1000) });
  return (
    <section className="space-y-4">
      <Link href="/dashboard/servers" className="text-sm text-indigo-700 hover:underline">← {t("back")}</Link>
      <div className="flex flex-wrap items-center gap-3">
        <h1 className="text-2xl font-semibold">{s.name}</h1>
        <StatusBadge server={s} />
        {s.tag && <span className="rounded bg-slate-100 px-2 py-0.5 text-xs">{s.tag}</span>}
        <span className="text-xs text-slate-500" title={s.lastActive ? new Date(s.lastActive).toLocaleString(locale) : undefined}>
          {t("lastActive")}: {ago}
        </span>
        {isAdmin && (
          <span className="ml-auto">
            <ServerAdminActions server={s} onError={setError} onDeleted={() => router.push("/dashboard/servers")} />
          </span>
        )}
      </div>
      {error && <p role="alert" className="rounded bg-red-50 px-3 py-2 text-sm text-red-700">{error}</p>}
      {s.note && <p className="text-sm text-slate-600">{s.note}</p>}

      <div className="grid gap-3 lg:grid-cols-2">
        <div className="card space-y-3" data-testid="live-panel">
          <h2 className="font-medium">{t("liveTitle")}</h2>
          <div className="grid grid-cols-2 gap-3 sm:grid-cols-3">
            <div>
              <div className="text-xs text-slate-500">{t("cpu")}</div>
              <UsageBar label={t("cpu")} percent={s.cpu} />
            </div>
            <div>
              <div className="text-xs text-slate-500">{t("memory")}</div>
              <UsageBar label={t("memory")} percent={percentOf(s.memUsed, s.memTotal)} detail={`${formatBytes(s.memUsed)} / ${formatBytes(s.memTotal)}`} />
            </div>
            <div>
              <div className="text-xs text-slate-500">{t("disk")}</div>
              <UsageBar label={t("disk")} percent={percentOf(s.diskUsed, s.diskTotal)} detail={`${formatBytes(s.diskUsed)} / ${formatBytes(s.diskTotal)}`} />
            </div>
            <div>
              <div className="text-xs text-slate-500">{t("swap")}</div>
              <UsageBar label={t("swap")} percent={percentOf(s.swapUsed, s.swapTotal)} detail={`${formatBytes(s.swapUsed)} / ${formatBytes(s.swapTotal)}`} />
            </div>
          </div>
          <dl className="grid grid-cols-2 gap-3 sm:grid-cols-3">
            <Field label={t("network")}>↓ {formatSpeed(s.netInSpeed)} · ↑ {formatSpeed(s.netOutSpeed)}</Field>
            <Field label={t("transfer")}>{formatBytes(s.netInTransfer)} / {formatBytes(s.netOutTransfer)}</Field>
            <Field label={t("uptime")}>{formatDuration(s.uptime)}</Field>
            <Field label={t("load")}>{s.load1 === null ? "—" : `${formatLoad(s.load1)} / ${formatLoad(s.load5)} / ${formatLoad(s.load15)}`}</Field>
            <Field label={t("connections")}>{s.tcpConnCount ?? "—"} / {s.udpConnCount ?? "—"}</Field>
            <Field label={t("processes")}>{s.processCount ?? "—"}</Field>
          </dl>
          <div>
            <h3 className="text-xs text-slate-500">{t("temperatures")}</h3>
            {s.temperatures.length === 0 ? (
              <p className="text-sm text-slate-500">{t("noTemperatures")}</p>
            ) : (
              <ul className="flex flex-wrap gap-2 text-sm">
                {s.temperatures.map((x, i) => (
                  <li key={`${x.name}-${i}`} className="rounded bg-slate-100 px-2 py-0.5 tabular-nums">{x.name}: {x.temperature.toFixed(1)} °C</li>
                ))}
              </ul>
            )}
          </div>
        </div>

        <div className="card space-y-3" data-testid="host-panel">
          <h2 className="font-medium">{t("host")}</h2>
          {h ? (
            <dl className="grid grid-cols-2 gap-3">
              <Field label={t("hostname")}>{h.hostname || "—"}</Field>
              <Field label={t("os")}>{[h.platform, h.platformVersion].filter(Boolean).join(" ") || "—"}</Field>
              <Field label={t("kernel")}>{h.release || "—"}</Field>
              <Field label={t("arch")}>{h.arch || "—"}</Field>
              <Field label={t("cpuModel")}>{h.cpu.length ? h.cpu.join(", ") : "—"}</Field>
              <Field label={t("virtualization")}>{h.virtualization || t("none")}</Field>
              <Field label={t("memory")}>{formatBytes(h.memTotal)}</Field>
              <Field label={t("disk")}>{formatBytes(h.diskTotal)}</Field>
              <Field label={t("bootTime")}>{h.bootTime ? new Date(h.bootTime * 1000).toLocaleString(locale) : "—"}</Field>
              <Field label={t("agentVersion")}>
                <span data-testid="agent-version">{s.agent?.version || h.agentVersion || "—"}</span>
                {s.panelAgentVersion && (s.agent?.version || h.agentVersion) && (s.agent?.version || h.agentVersion) !== s.panelAgentVersion && (
                  <span className="ml-1 text-xs text-amber-700">→ {s.panelAgentVersion}</span>
                )}
              </Field>
              <Field label={t("ipv4")}>{h.ipv4 || "—"}</Field>
              <Field label={t("ipv6")}>{h.ipv6 || "—"}</Field>
              {h.gpu.length > 0 && <Field label={t("gpu")}>{h.gpu.join(", ")}</Field>}
              <Field label={t("country")}>{s.country || "—"}</Field>
              <Field label={t("clockSkew")}>
                <span data-testid="clock-skew" className={s.clockSkewMs !== null && Math.abs(s.clockSkewMs) > 5_000 ? "font-medium text-amber-700" : undefined}>
                  {s.clockSkewMs === null ? "—" : t("clockSkewValue", { seconds: (s.clockSkewMs / 1000).toFixed(1) })}
                </span>
              </Field>
            </dl>
          ) : (
            <p className="text-sm text-slate-500">{t("noHostInfo")}</p>
          )}
          <div data-testid="capabilities">
            <h3 className="text-xs text-slate-500" title={t("capabilitiesHint")}>{t("capabilities")}</h3>
            <ul className="flex flex-wrap gap-2 text-sm">
              <Capability name="commands" label={t("capCommands")} value={s.agent?.commands ?? null} />
              <Capability name="instances" label={t("capInstances")} value={s.agent?.instances ?? null} />
              <Capability name="selfUpdate" label={t("capSelfUpdate")} value={s.agent?.selfUpdate ?? null} />
              {s.agent?.outdated && <li className="rounded bg-amber-100 px-2 py-0.5 text-amber-800">{t("agentOutdated", { protocol: s.agent.protocol })}</li>}
              {s.agent?.version && s.panelAgentVersion && s.agent.version !== s.panelAgentVersion && (
                <li className="rounded bg-amber-100 px-2 py-0.5 text-amber-800" data-testid="agent-behind">
                  {t(s.agent.selfUpdate ? "agentBehindSelfUpdating" : "agentBehind", { version: s.agent.version, panelVersion: s.panelAgentVersion })}
                </li>
              )}
            </ul>
          </div>
        </div>
      </div>

      <HistoryCharts serverId={s.id} memTotal={s.memTotal} />
      <MonitorCharts serverId={s.id} />
    </section>
  );
}
