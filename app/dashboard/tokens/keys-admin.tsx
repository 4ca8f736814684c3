"use client";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { fetchJson } from "@/components/fetch-json";
import { Modal } from "@/components/modal";
import { ConfirmDialog, DeleteIconButton, ExpiryCell, ExpiryInput, expiryFromForm, SecretReveal, useSecretRows, When, type TokenRow } from "./parts";

interface UserOption {
  id: number;
  username: string;
  role: string;
  disabled: boolean;
}

/** Admin-issued keys (Tactical RMM's model): a named key that acts as a chosen user. */
export function KeysAdmin() {
  const t = useTranslations("keys");
  const tt = useTranslations("tokens");
  const tc = useTranslations("common");
  const { list: keys, adding, setAdding, deleting, remove, refresh, askDelete, cancelDelete } = useSecretRows("keys");

  return (
    <section className="space-y-4" aria-labelledby="keys-title">
      <div className="flex items-center justify-between gap-4">
        <h2 id="keys-title" className="text-xl font-semibold">{t("title")}</h2>
        <button type="button" className="btn-primary" onClick={() => setAdding(true)}>{t("add")}</button>
      </div>
      <p className="text-sm text-slate-600">{t("intro")}</p>
      {keys.error && <p role="alert" className="rounded bg-red-50 px-3 py-2 text-sm text-red-700">{keys.error.message}</p>}
      <div className="card overflow-x-auto p-0">
        <table className="table">
          <thead>
            <tr>
              <th>{t("name")}</th>
              <th>{t("key")}</th>
              <th>{t("user")}</th>
              <th>{t("createdBy")}</th>
              <th>{tt("created")}</th>
              <th>{tt("lastUsed")}</th>
              <th>{t("expires")}</th>
              <th><span className="sr-only">{tc("actions")}</span></th>
            </tr>
          </thead>
          <tbody>
            {keys.isPending && (
              <tr><td colSpan={8} className="text-slate-500">{tc("loading")}</td></tr>
            )}
            {keys.data?.length === 0 && (
              <tr><td colSpan={8} className="text-slate-500">{t("empty")}</td></tr>
            )}
            {keys.data?.map((row) => (
              <tr key={row.id} data-testid={`key-${row.id}`}>
                <td className="max-w-xs truncate font-medium">{row.note}</td>
                <td className="font-mono text-xs">{row.prefix}…</td>
                <td>{row.owner.username}</td>
                <td>{row.createdBy ?? "—"}</td>
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

      {adding && <AddKeyDialog onClose={() => setAdding(false)} onCreated={refresh} />}
      {deleting && (
        <ConfirmDialog
          title={t("confirmTitle")}
          text={t("confirmText", { name: deleting.note, prefix: deleting.prefix, user: deleting.owner.username })}
          confirmLabel={tt("confirm")}
          busy={remove.isPending}
          error={remove.error?.message ?? null}
          onConfirm={() => remove.mutate(deleting.id)}
          onClose={cancelDelete}
        />
      )}
    </section>
  );
}

function AddKeyDialog({ onClose, onCreated }: { onClose: () => void; onCreated: () => void }) {
  const t = useTranslations("keys");
  const tt = useTranslations("tokens");
  const tc = useTranslations("common");
  const users = useQuery({ queryKey: ["users"], queryFn: () => fetchJson<UserOption[]>("/api/ui/users") });
  const create = useMutation({
    mutationFn: (body: { name: string; userId: number; expiresAt: string | null }) =>
      fetchJson<{ key: TokenRow; token: string }>("/api/ui/keys", { method: "POST", body }),
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
            create.mutate({ name: String(f.get("name") ?? ""), userId: Number(f.get("userId")), expiresAt: expiryFromForm(f.get("expiresAt")) });
          }}
        >
          <div>
            <label className="label" htmlFor="key-name">{t("name")}</label>
            <input className="input" id="key-name" name="name" required maxLength={100} autoFocus autoComplete="off" />
          </div>
          <div>
            <label className="label" htmlFor="key-user">{t("user")}</label>
            <select className="input" id="key-user" name="userId" required aria-describedby="key-user-hint">
              {users.data?.filter((u) => !u.disabled).map((u) => (
                <option key={u.id} value={u.id}>{u.username} ({u.role})</option>
              ))}
            </select>
            <p id="key-user-hint" className="mt-1 text-xs text-slate-500">{t("userHint")}</p>
          </div>
          <ExpiryInput id="key-expires" name="expiresAt" />
          {create.error && <p role="alert" className="rounded bg-red-50 px-3 py-2 text-sm text-red-700">{create.error.message}</p>}
          <div className="flex justify-end gap-2">
            <button type="button" className="btn-secondary" onClick={onClose}>{tc("cancel")}</button>
            <button type="submit" className="btn-primary" disabled={create.isPending || !users.data}>{tt("create")}</button>
          </div>
        </form>
      )}
    </Modal>
  );
}
