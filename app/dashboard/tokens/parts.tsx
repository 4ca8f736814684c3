"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useFormatter, useTranslations } from "next-intl";
import { useEffect, useId, useRef, useState } from "react";
import { fetchJson } from "@/components/fetch-json";
import { Modal } from "@/components/modal";

/** What the UI API answers for a token or a key (lib/fleet/tokens.ts TokenView, serialized). */
export interface TokenRow {
  id: number;
  kind: "token" | "key";
  prefix: string;
  note: string;
  owner: { id: number; username: string };
  createdBy: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
}

/** The new secret, shown this once: a read-only field, a copy button and the warning. */
export function SecretReveal({ secret, onDone }: { secret: string; onDone: () => void }) {
  const t = useTranslations("tokens");
  const [copied, setCopied] = useState(false);
  const inputRef = useRef<HTMLInputElement>(null);
  const fieldId = useId();
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret);
    } catch {
      // Plain http on a LAN name is not a secure context: fall back to the selection.
      inputRef.current?.select();
      document.execCommand("copy");
    }
    setCopied(true);
  };
  return (
    <div className="space-y-3">
      <p role="status" className="rounded bg-amber-50 px-3 py-2 text-sm text-amber-900">{t("secretWarning")}</p>
      <div>
        <label className="label" htmlFor={fieldId}>{t("token")}</label>
        <div className="flex gap-2">
          <input
            ref={inputRef}
            id={fieldId}
            className="input font-mono text-xs"
            readOnly
            value={secret}
            onFocus={(e) => e.currentTarget.select()}
            spellCheck={false}
            autoComplete="off"
          />
          <button type="button" className="btn-secondary whitespace-nowrap" onClick={copy}>
            {copied ? t("copied") : t("copy")}
          </button>
        </div>
      </div>
      <div className="flex justify-end">
        <button type="button" className="btn-primary" onClick={onDone}>{t("done")}</button>
      </div>
    </div>
  );
}

/** Asks before deleting; the action runs only on the dialog's own button. */
export function ConfirmDialog({
  title,
  text,
  confirmLabel,
  busy,
  error,
  onConfirm,
  onClose,
}: {
  title: string;
  text: string;
  confirmLabel: string;
  busy: boolean;
  error: string | null;
  onConfirm: () => void;
  onClose: () => void;
}) {
  const tc = useTranslations("common");
  return (
    <Modal title={title} onClose={onClose}>
      <p className="text-sm text-slate-700">{text}</p>
      {error && <p role="alert" className="rounded bg-red-50 px-3 py-2 text-sm text-red-700">{error}</p>}
      <div className="flex justify-end gap-2">
        <button type="button" className="btn-secondary" onClick={onClose}>{tc("cancel")}</button>
        <button type="button" className="btn-danger" disabled={busy} onClick={onConfirm}>{confirmLabel}</button>
      </div>
    </Modal>
  );
}

/**
 * What the token and key tables share: the list from /api/ui/<kind>, the add dialog's and the
 * delete confirmation's state, and the delete itself.
 */
export function useSecretRows(kind: "tokens" | "keys") {
  const qc = useQueryClient();
  const list = useQuery({ queryKey: [kind], queryFn: () => fetchJson<TokenRow[]>(`/api/ui/${kind}`) });
  const [adding, setAdding] = useState(false);
  const [deleting, setDeleting] = useState<TokenRow | null>(null);
  const remove = useMutation({
    mutationFn: (id: number) => fetchJson(`/api/ui/${kind}/${id}`, { method: "DELETE" }),
    onSuccess: () => {
      setDeleting(null);
      return qc.invalidateQueries({ queryKey: [kind] });
    },
  });
  return {
    list,
    adding,
    setAdding,
    deleting,
    remove,
    refresh: () => qc.invalidateQueries({ queryKey: [kind] }),
    askDelete: (row: TokenRow) => {
      remove.reset();
      setDeleting(row);
    },
    cancelDelete: () => setDeleting(null),
  };
}

/** The delete icon button on the right of a token or key row. */
export function DeleteIconButton({ label, onClick }: { label: string; onClick: () => void }) {
  return (
    <button type="button" aria-label={label} title={label} className="rounded p-1.5 text-slate-500 hover:bg-red-50 hover:text-red-600" onClick={onClick}>
      <TrashIcon />
    </button>
  );
}

export function TrashIcon() {
  return (
    <svg aria-hidden="true" viewBox="0 0 20 20" fill="currentColor" className="h-4 w-4">
      <path
        fillRule="evenodd"
        d="M8.75 1A2.75 2.75 0 0 0 6 3.75v.44c-.8.08-1.59.18-2.38.3a.75.75 0 1 0 .23 1.49l.15-.03.84 10.52A2.75 2.75 0 0 0 7.58 19h4.84a2.75 2.75 0 0 0 2.74-2.53L16 5.95l.15.03a.75.75 0 0 0 .23-1.49c-.79-.12-1.58-.22-2.38-.3v-.44A2.75 2.75 0 0 0 11.25 1h-2.5ZM10 4c.84 0 1.67.03 2.5.08v-.33c0-.69-.56-1.25-1.25-1.25h-2.5c-.69 0-1.25.56-1.25 1.25v.33C8.33 4.03 9.16 4 10 4ZM8.58 7.72a.75.75 0 0 0-1.5.06l.3 7.5a.75.75 0 1 0 1.5-.06l-.3-7.5Zm4.34.06a.75.75 0 1 0-1.5-.06l-.3 7.5a.75.75 0 1 0 1.5.06l.3-7.5Z"
        clipRule="evenodd"
      />
    </svg>
  );
}

/** A date cell; `fallback` for a missing one ("Never"). */
export function When({ iso, fallback }: { iso: string | null; fallback: string }) {
  const format = useFormatter();
  if (!iso) return <span className="text-slate-400">{fallback}</span>;
  return <time dateTime={iso}>{format.dateTime(new Date(iso), { dateStyle: "medium", timeStyle: "short" })}</time>;
}

export function ExpiryCell({ iso }: { iso: string | null }) {
  const t = useTranslations("tokens");
  const expired = iso !== null && new Date(iso).getTime() <= Date.now();
  return (
    <span className="inline-flex items-center gap-2">
      <When iso={iso} fallback={t("neverExpires")} />
      {expired && <span className="rounded bg-red-50 px-1.5 py-0.5 text-xs font-medium text-red-700">{t("expired")}</span>}
    </span>
  );
}

/** An optional expiry picked in the browser's time zone, sent as an absolute ISO time. */
export function ExpiryInput({ id, name }: { id: string; name: string }) {
  const t = useTranslations("tokens");
  return (
    <div>
      <label className="label" htmlFor={id}>{t("expires")}</label>
      <input className="input" id={id} name={name} type="datetime-local" aria-describedby={`${id}-hint`} />
      <p id={`${id}-hint`} className="mt-1 text-xs text-slate-500">{t("expiresHint")}</p>
    </div>
  );
}

export function expiryFromForm(value: FormDataEntryValue | null): string | null {
  if (typeof value !== "string" || !value) return null;
  const d = new Date(value);
  // An unparseable value goes as typed: the server answers with a clear message.
  return Number.isNaN(d.getTime()) ? value : d.toISOString();
}
