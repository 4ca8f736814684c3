"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { useState } from "react";
import { ConfirmDelete } from "./confirm-delete";
import { usersKey, useUsers, type UserRow } from "./data/users";
import { fetchJson } from "./fetch-json";
import { DataTable, type DataColumn } from "./table/data-table";

const PERMS = ["canListAgents", "canSendCmd", "canManageWinupdates"] as const;

export function UsersAdmin({ myId }: { myId: number }) {
  const t = useTranslations("users");
  const tc = useTranslations("common");
  const tl = useTranslations("login");
  const qc = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const users = useUsers();
  const done = { onSuccess: () => qc.invalidateQueries({ queryKey: usersKey }).then(() => setError(null)), onError: (e: Error) => setError(e.message) };
  const create = useMutation({ mutationFn: (body: object) => fetchJson("/api/ui/users", { method: "POST", body }), ...done });
  const patch = useMutation({ mutationFn: ({ id, ...body }: { id: number } & Record<string, unknown>) => fetchJson(`/api/ui/users/${id}`, { method: "PATCH", body }), ...done });

  const columns: DataColumn<UserRow>[] = [
    { id: "username", header: tl("username"), value: (u) => u.username, search: true, className: "font-medium", cell: (u) => u.username },
    {
      id: "role",
      header: t("role"),
      value: (u) => u.role,
      search: true,
      cell: (u) => (
        <select
          aria-label={`${t("role")} ${u.username}`}
          className="rounded border border-slate-300 px-1 py-0.5"
          value={u.role}
          disabled={u.id === myId}
          onChange={(e) => patch.mutate({ id: u.id, role: e.target.value })}
        >
          <option value="user">{t("user")}</option>
          <option value="admin">{t("admin")}</option>
        </select>
      ),
    },
    { id: "status", header: t("status"), value: (u) => (u.disabled ? 1 : 0), cell: (u) => (u.disabled ? t("disabled") : t("enabled")) },
    { id: "totp", header: t("twoFactor"), value: (u) => (u.totpEnabled ? 1 : 0), cell: (u) => (u.totpEnabled ? tc("yes") : tc("no")) },
    {
      id: "permissions",
      header: t("permissions"),
      className: "space-x-2 whitespace-nowrap text-xs",
      cell: (u) =>
        u.role === "admin"
          ? "—"
          : PERMS.map((perm) => (
              <label key={perm} className="inline-flex items-center gap-1">
                <input type="checkbox" checked={u[perm]} onChange={(e) => patch.mutate({ id: u.id, [perm]: e.target.checked })} />
                {perm}
              </label>
            )),
    },
    {
      id: "actions",
      header: tc("actions"),
      className: "space-x-2 whitespace-nowrap",
      cell: (u) => (
        <>
          {u.id !== myId && (
            <button className="btn-secondary" type="button" onClick={() => patch.mutate({ id: u.id, disabled: !u.disabled })}>
              {u.disabled ? t("enable") : t("disable")}
            </button>
          )}
          <button
            className="btn-secondary"
            type="button"
            onClick={() => {
              const password = window.prompt(t("newPassword"));
              if (password) patch.mutate({ id: u.id, password });
            }}
          >
            {t("resetPassword")}
          </button>
          {u.id !== myId && (
            <ConfirmDelete
              variant="button"
              label={`${tc("delete")} ${u.username}`}
              title={t("deleteTitle", { name: u.username })}
              text={t("confirmDelete", { name: u.username })}
              onDelete={() => fetchJson(`/api/ui/users/${u.id}`, { method: "DELETE" })}
              onDeleted={() => void qc.invalidateQueries({ queryKey: usersKey })}
            />
          )}
        </>
      ),
    },
  ];

  return (
    <section className="space-y-4">
      <h1 className="text-2xl font-semibold">{t("title")}</h1>
      <form
        className="card flex flex-wrap items-end gap-3"
        onSubmit={(e) => {
          e.preventDefault();
          const f = new FormData(e.currentTarget);
          create.mutate({ username: f.get("username"), password: f.get("password"), role: f.get("role") });
          e.currentTarget.reset();
        }}
      >
        <div>
          <label className="label" htmlFor="new-username">{tl("username")}</label>
          <input className="input" id="new-username" name="username" required maxLength={64} />
        </div>
        <div>
          <label className="label" htmlFor="new-password">{tl("password")}</label>
          <input className="input" id="new-password" name="password" type="password" required minLength={8} />
        </div>
        <div>
          <label className="label" htmlFor="new-role">{t("role")}</label>
          <select className="input" id="new-role" name="role" defaultValue="user">
            <option value="user">{t("user")}</option>
            <option value="admin">{t("admin")}</option>
          </select>
        </div>
        <button className="btn-primary" type="submit">{t("add")}</button>
      </form>
      {error && <p role="alert" className="rounded bg-red-50 px-3 py-2 text-sm text-red-700">{error}</p>}
      <DataTable
        label={t("title")}
        rows={users.data}
        rowId={(u) => String(u.id)}
        columns={columns}
        rowAttributes={(u) => ({ "data-testid": `user-${u.username}` })}
        loading={users.isPending}
      />
    </section>
  );
}
