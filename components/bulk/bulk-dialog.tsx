"use client";
import { useTranslations } from "next-intl";
import { Modal } from "../modal";
import type { BulkResult, useBulkAction } from "./use-bulk-action";

type Bulk = ReturnType<typeof useBulkAction>;

/** Results listed at most; the counts above always cover every target. */
const SHOWN_RESULTS = 500;

/**
 * A bulk action's dialog: first a confirmation with the number of targets (and the action's own
 * fields, e.g. a command), then progress with a Cancel button, then one line per target.
 * Closing it while it runs cancels the targets not started yet.
 */
export function BulkDialog({
  title,
  question,
  confirmLabel,
  danger,
  bulk,
  onRun,
  onClose,
  children,
}: {
  title: string;
  question: string;
  confirmLabel: string;
  danger?: boolean;
  bulk: Bulk;
  /** Called with the confirmation form's fields; it calls bulk.start. */
  onRun: (fields: FormData) => void;
  onClose: () => void;
  children?: React.ReactNode;
}) {
  const t = useTranslations("bulk");
  const tc = useTranslations("common");
  const close = () => {
    bulk.cancel();
    onClose();
  };
  return (
    <Modal title={title} onClose={close}>
      {!bulk.started ? (
        <form
          className="space-y-3"
          onSubmit={(e) => {
            e.preventDefault();
            onRun(new FormData(e.currentTarget));
          }}
        >
          <p className="text-sm text-slate-700" data-testid="bulk-question">{question}</p>
          {children}
          <div className="flex justify-end gap-2">
            <button type="button" className="btn-secondary" onClick={close}>{tc("cancel")}</button>
            <button type="submit" className={danger ? "btn-danger" : "btn-primary"}>{confirmLabel}</button>
          </div>
        </form>
      ) : (
        <div className="space-y-3">
          <p role="status" className="text-sm text-slate-700" data-testid="bulk-summary">
            {t("summary", { ok: bulk.counts.ok, error: bulk.counts.error, cancelled: bulk.counts.cancelled, pending: bulk.counts.pending })}
          </p>
          <ul className="max-h-72 divide-y divide-slate-100 overflow-auto rounded border border-slate-200 text-sm" aria-label={t("results")}>
            {bulk.results.slice(0, SHOWN_RESULTS).map((r) => (
              <ResultLine key={r.id} result={r} />
            ))}
            {bulk.results.length > SHOWN_RESULTS && <li className="px-3 py-1.5 text-slate-500">{t("more", { count: bulk.results.length - SHOWN_RESULTS })}</li>}
          </ul>
          <div className="flex justify-end gap-2">
            {bulk.running ? (
              <button type="button" className="btn-secondary" onClick={bulk.cancel}>{t("cancelRest")}</button>
            ) : (
              <button type="button" className="btn-primary" onClick={onClose}>{t("close")}</button>
            )}
          </div>
        </div>
      )}
    </Modal>
  );
}

const STYLE: Record<BulkResult["status"], string> = {
  queued: "bg-slate-100 text-slate-600",
  running: "bg-indigo-100 text-indigo-700",
  ok: "bg-emerald-100 text-emerald-800",
  error: "bg-red-100 text-red-700",
  cancelled: "bg-amber-100 text-amber-800",
};

function ResultLine({ result }: { result: BulkResult }) {
  const t = useTranslations("bulk");
  return (
    <li className="flex items-start gap-2 px-3 py-1.5" data-testid={`bulk-result-${result.id}`} data-status={result.status}>
      <span className={`shrink-0 rounded px-1.5 text-xs font-medium ${STYLE[result.status]}`}>{t(`status_${result.status}`)}</span>
      <span className="min-w-0 flex-1">
        <span className="font-medium">{result.label}</span>
        {result.message && <span className="block break-words font-mono text-xs text-slate-600">{result.message}</span>}
      </span>
    </li>
  );
}
