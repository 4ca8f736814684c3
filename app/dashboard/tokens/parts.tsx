"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useFormatter, useTranslations } from "next-intl";
import { useCallback, useId, useRef, useState } from "react";
import { fetchJson } from "@/components/fetch-json";

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

/**
 * What the token and key tables share: the list from /api/ui/<kind>, the add dialog's state,
 * and the delete (through the shared ConfirmDelete control).
 */
export function useSecretRows(kind: "tokens" | "keys") {
  const qc = useQueryClient();
  const list = useQuery({ queryKey: [kind], queryFn: () => fetchJson<TokenRow[]>(`/api/ui/${kind}`) });
  const [adding, setAdding] = useState(false);
  // Stable functions: the tables' column definitions depend on them.
  const refresh = useCallback(() => qc.invalidateQueries({ queryKey: [kind] }), [qc, kind]);
  const remove = useCallback((row: TokenRow) => fetchJson(`/api/ui/${kind}/${row.id}`, { method: "DELETE" }), [kind]);
  return { list, adding, setAdding, refresh, remove };
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
