"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useFormatter, useTranslations } from "next-intl";
import { fetchJson } from "../fetch-json";
import { agentKey, type HistoryItem } from "./types";
import { useLiveCommandOutput } from "./live-output";

/** A running command's output as it comes (protocol 6 agents); the history is read again at its end. */
function LiveRun({ agentId, runId }: { agentId: string; runId: number }) {
  const t = useTranslations("agents");
  const qc = useQueryClient();
  const text = useLiveCommandOutput(agentId, { run: runId }, () => void qc.invalidateQueries({ queryKey: [...agentKey(agentId), "history"] }));
  if (text === null) return null;
  return (
    <details open>
      <summary className="cursor-pointer text-xs text-indigo-700">{t("liveOutput")}</summary>
      <pre data-testid={`live-run-${runId}`} className="mt-1 max-h-64 max-w-xl overflow-auto rounded bg-slate-900 p-2 text-xs text-slate-100">{text}</pre>
    </details>
  );
}

const STATUS_KEY = { done: "statusDone", timeout: "statusTimeout", failed: "statusFailed", running: "statusRunning" } as const;

export function CommandHistory({ agentId }: { agentId: string }) {
  const t = useTranslations("agents");
  const format = useFormatter();
  const history = useQuery({
    queryKey: [...agentKey(agentId), "history"],
    queryFn: () => fetchJson<HistoryItem[]>(`/api/ui/agents/${encodeURIComponent(agentId)}/history`),
  });
  const rows = history.data ?? [];
  return (
    <section className="card space-y-3" aria-labelledby="history-title">
      <h2 id="history-title" className="text-lg font-semibold">{t("history")}</h2>
      {history.error && <p role="alert" className="text-sm text-red-700">{history.error.message}</p>}
      {history.isSuccess && rows.length === 0 && <p className="text-sm text-slate-500">{t("noHistory")}</p>}
      {rows.length > 0 && (
        <table className="table" data-testid="command-history">
          <thead>
            <tr><th>{t("when")}</th><th>{t("user")}</th><th>{t("shell")}</th><th>{t("command")}</th><th>{t("status")}</th><th>{t("output")}</th></tr>
          </thead>
          <tbody>
            {rows.map((h) => (
              <tr key={h.id} className="align-top">
                <td className="whitespace-nowrap text-xs">{format.dateTime(new Date(h.time), { dateStyle: "short", timeStyle: "medium" })}</td>
                <td>{h.username}</td>
                <td className="font-mono text-xs">{h.shell}</td>
                <td className="font-mono text-xs break-all">{h.command}</td>
                <td className="whitespace-nowrap text-xs">
                  {t(STATUS_KEY[h.status])}
                  {h.exit_code !== null && ` (${h.exit_code})`}
                </td>
                <td>
                  {h.status === "running" && <LiveRun agentId={agentId} runId={h.id} />}
                  {h.results !== null && (
                    <details>
                      <summary className="cursor-pointer text-xs text-indigo-700">{t("output")}</summary>
                      <pre className="mt-1 max-h-64 max-w-xl overflow-auto rounded bg-slate-900 p-2 text-xs text-slate-100">{h.results}</pre>
                    </details>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
