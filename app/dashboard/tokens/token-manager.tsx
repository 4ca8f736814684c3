"use client";
import { useMutation } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { fetchJson } from "@/components/fetch-json";
import { Modal } from "@/components/modal";
import { useMemo } from "react";
import { DataTable, type DataColumn } from "@/components/table/data-table";
import { expiryFromForm, lifecycleColumns, scopeFromForm, SecretFormFooter, SecretReveal, useSecretRows, type TokenRow } from "./parts";

const NOTE_MAX = 100;

/**
 * The API Token page of Nezha's document: add a token with a note, see it once, delete it with
 * the icon on the right. Admins see every user's tokens, with their owner.
 */
export function TokenManager({ isAdmin }: { isAdmin: boolean }) {
  const t = useTranslations("tokens");
  const tc = useTranslations("common");
  const { list: tokens, adding, setAdding, refresh, remove } = useSecretRows("tokens");
  const columns = useMemo<DataColumn<TokenRow>[]>(
    () => [
      {
        id: "note",
        header: t("note"),
        value: (r) => r.note,
        search: true,
        className: "max-w-xs truncate font-medium",
        cell: (r) => r.note || <span className="text-slate-400">{t("noNote")}</span>,
      },
      { id: "token", header: t("token"), value: (r) => r.prefix, search: true, className: "font-mono text-xs", cell: (r) => `${r.prefix}…` },
      ...(isAdmin ? [{ id: "owner", header: t("owner"), value: (r: TokenRow) => r.owner.username, search: true, cell: (r: TokenRow) => r.owner.username }] : []),
      ...lifecycleColumns(t, tc, {
        label: t("delete"),
        title: t("confirmTitle"),
        text: (r) => t("confirmText", { prefix: r.prefix, note: r.note || t("noNote") }),
        remove,
        refresh,
      }),
    ],
    [t, tc, isAdmin, remove, refresh],
  );

  return (
    <section className="space-y-4" aria-labelledby="tokens-title">
      <div className="flex items-center justify-between gap-4">
        <h1 id="tokens-title" className="text-2xl font-semibold">{t("title")}</h1>
        <button type="button" className="btn-primary" onClick={() => setAdding(true)}>{t("add")}</button>
      </div>
      <p className="text-sm text-slate-600">{t("intro")}</p>
      {tokens.error && <p role="alert" className="rounded bg-red-50 px-3 py-2 text-sm text-red-700">{tokens.error.message}</p>}
      <DataTable
        label={t("title")}
        urlPrefix="t"
        rows={tokens.data}
        rowId={(r) => String(r.id)}
        columns={columns}
        rowAttributes={(r) => ({ "data-testid": `token-${r.id}` })}
        loading={tokens.isPending}
        empty={t("empty")}
      />

      {adding && <AddTokenDialog onClose={() => setAdding(false)} onCreated={refresh} />}
    </section>
  );
}

function AddTokenDialog({ onClose, onCreated }: { onClose: () => void; onCreated: () => void }) {
  const t = useTranslations("tokens");
  const create = useMutation({
    mutationFn: (body: { note: string; expiresAt: string | null } & ReturnType<typeof scopeFromForm>) => fetchJson<{ id: number; token: string; prefix: string }>("/api/ui/tokens", { method: "POST", body }),
    onSuccess: onCreated,
  });
  return (
    <Modal title={t("add")} onClose={onClose}>
      {create.data ? (
        <SecretReveal secret={create.data.token} onDone={onClose} />
      ) : (
        <form
          className="space-y-3"
          onSubmit={(e) => {
            e.preventDefault();
            const f = new FormData(e.currentTarget);
            create.mutate({ note: String(f.get("note") ?? ""), expiresAt: expiryFromForm(f.get("expiresAt")), ...scopeFromForm(f) });
          }}
        >
          <div>
            <label className="label" htmlFor="token-note">{t("note")}</label>
            <input className="input" id="token-note" name="note" maxLength={NOTE_MAX} placeholder={t("notePlaceholder")} autoFocus autoComplete="off" />
          </div>
          <SecretFormFooter idPrefix="token" error={create.error} onCancel={onClose} disabled={create.isPending} />
        </form>
      )}
    </Modal>
  );
}
