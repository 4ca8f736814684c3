"use client";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { fetchJson } from "@/components/fetch-json";
import { Modal } from "@/components/modal";
import { useMemo } from "react";
import { DataTable, type DataColumn } from "@/components/table/data-table";
import { expiryFromForm, lifecycleColumns, scopeFromForm, SecretFormFooter, SecretReveal, useSecretRows, type TokenRow } from "./parts";

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
  const { list: keys, adding, setAdding, refresh, remove } = useSecretRows("keys");
  const columns = useMemo<DataColumn<TokenRow>[]>(
    () => [
      { id: "name", header: t("name"), value: (r) => r.note, search: true, className: "max-w-xs truncate font-medium", cell: (r) => r.note },
      { id: "key", header: t("key"), value: (r) => r.prefix, search: true, className: "font-mono text-xs", cell: (r) => `${r.prefix}…` },
      { id: "user", header: t("user"), value: (r) => r.owner.username, search: true, cell: (r) => r.owner.username },
      { id: "createdBy", header: t("createdBy"), value: (r) => r.createdBy, search: true, cell: (r) => r.createdBy ?? "—" },
      ...lifecycleColumns(tt, tc, {
        label: t("delete"),
        title: t("confirmTitle"),
        text: (r) => t("confirmText", { name: r.note, prefix: r.prefix, user: r.owner.username }),
        remove,
        refresh,
      }),
    ],
    [t, tt, tc, remove, refresh],
  );

  return (
    <section className="space-y-4" aria-labelledby="keys-title">
      <div className="flex items-center justify-between gap-4">
        <h2 id="keys-title" className="text-xl font-semibold">{t("title")}</h2>
        <button type="button" className="btn-primary" onClick={() => setAdding(true)}>{t("add")}</button>
      </div>
      <p className="text-sm text-slate-600">{t("intro")}</p>
      {keys.error && <p role="alert" className="rounded bg-red-50 px-3 py-2 text-sm text-red-700">{keys.error.message}</p>}
      <DataTable
        label={t("title")}
        urlPrefix="k"
        rows={keys.data}
        rowId={(r) => String(r.id)}
        columns={columns}
        rowAttributes={(r) => ({ "data-testid": `key-${r.id}` })}
        loading={keys.isPending}
        empty={t("empty")}
      />

      {adding && <AddKeyDialog onClose={() => setAdding(false)} onCreated={refresh} />}
    </section>
  );
}

function AddKeyDialog({ onClose, onCreated }: { onClose: () => void; onCreated: () => void }) {
  const t = useTranslations("keys");
  const users = useQuery({ queryKey: ["users"], queryFn: () => fetchJson<UserOption[]>("/api/ui/users") });
  const create = useMutation({
    mutationFn: (body: { name: string; userId: number; expiresAt: string | null } & ReturnType<typeof scopeFromForm>) =>
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
            create.mutate({ name: String(f.get("name") ?? ""), userId: Number(f.get("userId")), expiresAt: expiryFromForm(f.get("expiresAt")), ...scopeFromForm(f) });
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
          <SecretFormFooter idPrefix="key" error={create.error} onCancel={onClose} disabled={create.isPending || !users.data} />
        </form>
      )}
    </Modal>
  );
}
