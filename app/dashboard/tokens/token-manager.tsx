"use client";
import { useMutation } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { fetchJson } from "@/components/fetch-json";
import { Modal } from "@/components/modal";
import { ConfirmDialog, DeleteIconButton, ExpiryCell, ExpiryInput, expiryFromForm, SecretReveal, useSecretRows, When } from "./parts";

const NOTE_MAX = 100;

/**
 * The API Token page of Nezha's document: add a token with a note, see it once, delete it with
 * the icon on the right. Admins see every user's tokens, with their owner.
 */
export function TokenManager({ isAdmin }: { isAdmin: boolean }) {
  const t = useTranslations("tokens");
  const tc = useTranslations("common");
  const { list: tokens, adding, setAdding, deleting, remove, refresh, askDelete, cancelDelete } = useSecretRows("tokens");

  return (
    <section className="space-y-4" aria-labelledby="tokens-title">
      <div className="flex items-center justify-between gap-4">
        <h1 id="tokens-title" className="text-2xl font-semibold">{t("title")}</h1>
        <button type="button" className="btn-primary" onClick={() => setAdding(true)}>{t("add")}</button>
      </div>
      <p className="text-sm text-slate-600">{t("intro")}</p>
      {tokens.error && <p role="alert" className="rounded bg-red-50 px-3 py-2 text-sm text-red-700">{tokens.error.message}</p>}
      <div className="card overflow-x-auto p-0">
        <table className="table">
          <thead>
            <tr>
              <th>{t("note")}</th>
              <th>{t("token")}</th>
              {isAdmin && <th>{t("owner")}</th>}
              <th>{t("created")}</th>
              <th>{t("lastUsed")}</th>
              <th>{t("expires")}</th>
              <th><span className="sr-only">{tc("actions")}</span></th>
            </tr>
          </thead>
          <tbody>
            {tokens.isPending && (
              <tr><td colSpan={7} className="text-slate-500">{tc("loading")}</td></tr>
            )}
            {tokens.data?.length === 0 && (
              <tr><td colSpan={7} className="text-slate-500">{t("empty")}</td></tr>
            )}
            {tokens.data?.map((row) => (
              <tr key={row.id} data-testid={`token-${row.id}`}>
                <td className="max-w-xs truncate font-medium">{row.note || <span className="text-slate-400">{t("noNote")}</span>}</td>
                <td className="font-mono text-xs">{row.prefix}…</td>
                {isAdmin && <td>{row.owner.username}</td>}
                <td className="whitespace-nowrap"><When iso={row.createdAt} fallback="—" /></td>
                <td className="whitespace-nowrap"><When iso={row.lastUsedAt} fallback={tc("never")} /></td>
                <td className="whitespace-nowrap"><ExpiryCell iso={row.expiresAt} /></td>
                <td className="text-right">
                  <DeleteIconButton label={t("delete")} onClick={() => askDelete(row)} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      {adding && <AddTokenDialog onClose={() => setAdding(false)} onCreated={refresh} />}
      {deleting && (
        <ConfirmDialog
          title={t("confirmTitle")}
          text={t("confirmText", { prefix: deleting.prefix, note: deleting.note || t("noNote") })}
          confirmLabel={t("confirm")}
          busy={remove.isPending}
          error={remove.error?.message ?? null}
          onConfirm={() => remove.mutate(deleting.id)}
          onClose={cancelDelete}
        />
      )}
    </section>
  );
}

function AddTokenDialog({ onClose, onCreated }: { onClose: () => void; onCreated: () => void }) {
  const t = useTranslations("tokens");
  const tc = useTranslations("common");
  const create = useMutation({
    mutationFn: (body: { note: string; expiresAt: string | null }) => fetchJson<{ id: number; token: string; prefix: string }>("/api/ui/tokens", { method: "POST", body }),
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
            create.mutate({ note: String(f.get("note") ?? ""), expiresAt: expiryFromForm(f.get("expiresAt")) });
          }}
        >
          <div>
            <label className="label" htmlFor="token-note">{t("note")}</label>
            <input className="input" id="token-note" name="note" maxLength={NOTE_MAX} placeholder={t("notePlaceholder")} autoFocus autoComplete="off" />
          </div>
          <ExpiryInput id="token-expires" name="expiresAt" />
          {create.error && <p role="alert" className="rounded bg-red-50 px-3 py-2 text-sm text-red-700">{create.error.message}</p>}
          <div className="flex justify-end gap-2">
            <button type="button" className="btn-secondary" onClick={onClose}>{tc("cancel")}</button>
            <button type="submit" className="btn-primary" disabled={create.isPending}>{t("create")}</button>
          </div>
        </form>
      )}
    </Modal>
  );
}
