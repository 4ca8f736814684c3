"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useFormatter, useTranslations } from "next-intl";
import type { QueuedJobView } from "@/lib/fleet/queue";
import { fetchJson } from "../fetch-json";

/** Work waiting for this agent to come back (queued commands and scans), cancellable until it starts. */
export function QueuedWork({ jobs, canCancel }: { jobs: QueuedJobView[]; canCancel: (job: QueuedJobView) => boolean }) {
  const t = useTranslations("agents");
  const format = useFormatter();
  const qc = useQueryClient();
  const cancel = useMutation({
    mutationFn: (id: number) => fetchJson(`/api/ui/queue/${id}`, { method: "DELETE" }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ["agents"] }),
  });
  return (
    <section className="card space-y-2" aria-labelledby="queued-title">
      <h2 id="queued-title" className="text-lg font-semibold">{t("queuedWork")}</h2>
      {jobs.length === 0 ? (
        <p className="text-sm text-slate-500">{t("queuedNone")}</p>
      ) : (
        <ul className="divide-y divide-slate-100 text-sm" data-testid="queued-work">
          {jobs.map((j) => (
            <li key={j.id} className="flex flex-wrap items-center gap-3 py-2">
              <span className="font-medium">{j.kind === "scan" ? t("jobScan") : t("jobCmd")}</span>
              {j.command && <code className="break-all text-xs">{j.command.cmd}</code>}
              <span className="text-slate-500">{t("queuedBy", { name: j.username })}</span>
              <span className="text-slate-500">{t("expires", { time: format.dateTime(new Date(j.expiresAt), { dateStyle: "short", timeStyle: "short" }) })}</span>
              {canCancel(j) && (
                <button type="button" className="btn-secondary ml-auto" disabled={cancel.isPending} onClick={() => cancel.mutate(j.id)}>
                  {t("cancelJob")}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {cancel.error && <p role="alert" className="text-sm text-red-700">{cancel.error.message}</p>}
    </section>
  );
}
