"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useFormatter, useTranslations } from "next-intl";
import { useCallback, useId, useRef, useState, type ReactNode } from "react";
import { ConfirmDelete } from "@/components/confirm-delete";
import type { DataColumn } from "@/components/table/data-table";
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
  /** Limits: read-only, APIs (empty = all), source CIDRs (empty = anywhere). */
  scope: { readOnly: boolean; apis: string[]; allowedCidrs: string[] };
  /** The token whose request made this one (revoked with it). */
  parentId: number | null;
}

const API_LABELS: Record<string, string> = { nezha: "Nezha", mcsm: "MCSManager", trmm: "Tactical RMM", ui: "Panel UI" };

/** A token's limits in a cell: "Full access", or badges for read-only, its APIs and addresses. */
export function ScopeCell({ scope }: { scope: TokenRow["scope"] }) {
  const t = useTranslations("tokens");
  if (!scope.readOnly && !scope.apis.length && !scope.allowedCidrs.length) return <span className="text-slate-500">{t("scopeFull")}</span>;
  const badge = "rounded bg-slate-100 px-1.5 py-0.5 text-xs text-slate-700";
  return (
    <span className="flex flex-wrap gap-1">
      {scope.readOnly && <span className={badge}>{t("readOnly")}</span>}
      {scope.apis.length > 0 && <span className={badge}>{scope.apis.map((a) => API_LABELS[a] ?? a).join(", ")}</span>}
      {scope.allowedCidrs.length > 0 && <span className={`${badge} font-mono`} title={scope.allowedCidrs.join(", ")}>{t("fromAddresses", { list: scope.allowedCidrs.join(", ") })}</span>}
    </span>
  );
}

/** The limits a new token or key may get: read-only, some APIs, source addresses. */
export function ScopeInputs({ idPrefix }: { idPrefix: string }) {
  const t = useTranslations("tokens");
  return (
    <fieldset className="space-y-2 rounded border border-slate-200 p-3">
      <legend className="px-1 text-sm font-medium">{t("scope")}</legend>
      <label className="flex items-center gap-2 text-sm">
        <input type="checkbox" name="readOnly" id={`${idPrefix}-readonly`} />
        {t("readOnlyLabel")}
      </label>
      <div className="text-sm">
        <span className="block text-slate-600">{t("apisLabel")}</span>
        <div className="mt-1 flex flex-wrap gap-3">
          {Object.entries(API_LABELS).map(([value, label]) => (
            <label key={value} className="flex items-center gap-1">
              <input type="checkbox" name="apis" value={value} /> {label}
            </label>
          ))}
        </div>
      </div>
      <div>
        <label className="label" htmlFor={`${idPrefix}-ips`}>{t("allowedIps")}</label>
        <input className="input font-mono" id={`${idPrefix}-ips`} name="allowedCidrs" placeholder="203.0.113.0/24, 2001:db8::/32" autoComplete="off" aria-describedby={`${idPrefix}-ips-hint`} />
        <p id={`${idPrefix}-ips-hint`} className="mt-1 text-xs text-slate-500">{t("allowedIpsHint")}</p>
      </div>
    </fieldset>
  );
}

/** The scope fields of a creation form, as the API takes them (absent = no limit). */
export function scopeFromForm(f: FormData): { readOnly?: boolean; apis?: string[]; allowedCidrs?: string } {
  const apis = f.getAll("apis").map(String);
  const cidrs = String(f.get("allowedCidrs") ?? "").trim();
  return { ...(f.get("readOnly") ? { readOnly: true } : {}), ...(apis.length ? { apis } : {}), ...(cidrs ? { allowedCidrs: cidrs } : {}) };
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

type Translate = ReturnType<typeof useTranslations>;

/**
 * The columns every token and key table shows after its own: when it was made and last used, when
 * it expires, its limits, and the delete control (with the table's own confirmation text).
 */
export function lifecycleColumns(
  tt: Translate,
  tc: Translate,
  del: { label: string; title: string; text: (r: TokenRow) => string; remove: (r: TokenRow) => Promise<unknown>; refresh: () => unknown },
): DataColumn<TokenRow>[] {
  return [
    { id: "created", header: tt("created"), value: (r) => r.createdAt, className: "whitespace-nowrap", cell: (r) => <When iso={r.createdAt} fallback="—" /> },
    { id: "lastUsed", header: tt("lastUsed"), value: (r) => r.lastUsedAt, className: "whitespace-nowrap", cell: (r) => <When iso={r.lastUsedAt} fallback={tc("never")} /> },
    { id: "expires", header: tt("expires"), value: (r) => r.expiresAt, className: "whitespace-nowrap", cell: (r) => <ExpiryCell iso={r.expiresAt} /> },
    { id: "scope", header: tt("scope"), value: (r) => `${r.scope.readOnly ? "read-only " : ""}${r.scope.apis.join(",")} ${r.scope.allowedCidrs.join(",")}`, cell: (r) => <ScopeCell scope={r.scope} /> },
    {
      id: "actions",
      header: tc("actions"),
      hideHeader: true,
      stickyRight: true,
      className: "text-right",
      cell: (r) => (
        <ConfirmDelete label={del.label} title={del.title} text={del.text(r)} confirmLabel={tt("confirm")} onDelete={() => del.remove(r)} onDeleted={del.refresh} />
      ),
    },
  ];
}

/** The end of an add dialog's form: the expiry and limits inputs, the error, cancel and add. */
export function SecretFormFooter({ idPrefix, error, onCancel, disabled }: { idPrefix: string; error: Error | null; onCancel: () => void; disabled: boolean }): ReactNode {
  const tt = useTranslations("tokens");
  const tc = useTranslations("common");
  return (
    <>
      <ExpiryInput id={`${idPrefix}-expires`} name="expiresAt" />
      <ScopeInputs idPrefix={`${idPrefix}-scope`} />
      {error && <p role="alert" className="rounded bg-red-50 px-3 py-2 text-sm text-red-700">{error.message}</p>}
      <div className="flex justify-end gap-2">
        <button type="button" className="btn-secondary" onClick={onCancel}>{tc("cancel")}</button>
        <button type="submit" className="btn-primary" disabled={disabled}>{tt("create")}</button>
      </div>
    </>
  );
}
