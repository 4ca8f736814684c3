"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useFormatter, useTranslations } from "next-intl";
import { fetchJson } from "../fetch-json";
import { agentKey, type PendingUpdate, type ScanStatus } from "./types";

/** Pending updates and the scan button; polls while a scan runs in the background. */
export function PendingUpdates({ agentId }: { agentId: string }) {
  const t = useTranslations("agents");
  const format = useFormatter();
  const qc = useQueryClient();
  const key = [...agentKey(agentId), "updates"];
  const url = `/api/ui/agents/${encodeURIComponent(agentId)}/updates`;
  const updates = useQuery({
    queryKey: key,
    queryFn: () => fetchJson<{ scan: ScanStatus | null; updates: PendingUpdate[] }>(url),
    refetchInterval: (q) => (q.state.data?.scan?.state === "running" ? 2_000 : false),
  });
  const scan = useMutation({
    mutationFn: () => fetchJson<{ message: string }>(url, { method: "POST", body: {} }),
    onSuccess: () => qc.invalidateQueries({ queryKey: key }),
  });
  const status = updates.data?.scan;
  const running = status?.state === "running" || scan.isPending;
  const list = updates.data?.updates ?? [];
  const last = list[0];

  return (
    <section className="card space-y-3" aria-labelledby="updates-title">
      <div className="flex items-center gap-3">
        <h2 id="updates-title" className="text-lg font-semibold">{t("pendingUpdates")}</h2>
        <button className="btn-secondary ml-auto" type="button" disabled={running} onClick={() => scan.mutate()}>
          {running ? t("scanning") : t("scan")}
        </button>
      </div>
      {scan.error && <p role="alert" className="rounded bg-red-50 px-3 py-2 text-sm text-red-700">{scan.error.message}</p>}
      {status?.state === "failed" && <p className="text-sm text-red-700">{t("scanFailed", { error: status.error ?? "" })}</p>}
      {last && (
        <p className="text-xs text-slate-500">
          {t("lastScan", { time: format.dateTime(new Date(last.scanned_at), { dateStyle: "medium", timeStyle: "short" }), manager: last.manager })}
        </p>
      )}
      {updates.isSuccess && list.length === 0 && (
        <p className="text-sm text-slate-500" data-testid="no-updates">{status?.state === "done" ? t("noUpdates") : t("neverScanned")}</p>
      )}
      {list.length > 0 && (
        <div className="max-h-96 overflow-auto">
          <table className="table">
            <thead>
              <tr><th>{t("package")}</th><th>{t("current")}</th><th>{t("available")}</th><th>{t("source")}</th><th>{t("severity")}</th></tr>
            </thead>
            <tbody>
              {list.map((u) => (
                <tr key={u.id}>
                  <td className="font-mono text-xs">{u.name}</td>
                  <td className="font-mono text-xs">{u.current_version}</td>
                  <td className="font-mono text-xs">{u.new_version}</td>
                  <td className="text-xs">{u.source}</td>
                  <td className={`text-xs ${u.severity === "security" ? "font-medium text-red-700" : ""}`}>{u.severity || "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
