"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { useState } from "react";
import { fetchJson } from "./fetch-json";

interface UserRow {
  id: number;
  username: string;
  role: "admin" | "user";
  disabled: boolean;
  totpEnabled: boolean;
  createdAt: string;
  canListAgents: boolean;
  canSendCmd: boolean;
  canManageWinupdates: boolean;
}

const PERMS = ["canListAgents", "canSendCmd", "canManageWinupdates"] as const;

export function UsersAdmin({ myId }: { myId: number }) {
  const t = useTranslations("users");
  const tc = useTranslations("common");
  const tl = useTranslations("login");
  const qc = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const users = useQuery({ queryKey: ["users"], queryFn: () => fetchJson<UserRow[]>("/api/ui/users") });
  const done = { onSuccess: () => qc.invalidateQueries({ queryKey: ["users"] }).then(() => setError(null)), onError: (e: Error) => setError(e.message) };
  const create = useMutation({ mutationFn: (body: object) => fetchJson("/api/ui/users", { method: "POST", body }), ...done });
  const patch = useMutation({ mutationFn: ({ id, ...body }: { id: number } & Record<string, unknown>) => fetchJson(`/api/ui/users/${id}`, { method: "PATCH", body }), ...done });
  const remove = useMutation({ mutationFn: (id: number) => fetchJson(`/api/ui/users/${id}`, { method: "DELETE" }), ...done });

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
      <div className="card overflow-x-auto p-0">
        <table className="table">
          <thead>
            <tr>
              <th>{tl("username")}</th><th>{t("role")}</th><th>{t("status")}</th><th>{t("twoFactor")}</th><th>{t("permissions")}</th><th>{tc("actions")}</th>
            </tr>
          </thead>
          <tbody>
            {users.data?.map((u) => (
              <tr key={u.id} data-testid={`user-${u.username}`}>
                <td className="font-medium">{u.username}</td>
                <td>
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
                </td>
                <td>{u.disabled ? t("disabled") : t("enabled")}</td>
                <td>{u.totpEnabled ? tc("yes") : tc("no")}</td>
                <td className="space-x-2 text-xs">
                  {u.role === "admin"
                    ? "—"
                    : PERMS.map((perm) => (
                        <label key={perm} className="inline-flex items-center gap-1">
                          <input type="checkbox" checked={u[perm]} onChange={(e) => patch.mutate({ id: u.id, [perm]: e.target.checked })} />
                          {perm}
                        </label>
                      ))}
                </td>
                <td className="space-x-2 whitespace-nowrap">
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
                    <button
                      className="btn-danger"
                      type="button"
                      onClick={() => window.confirm(t("confirmDelete", { name: u.username })) && remove.mutate(u.id)}
                    >
                      {tc("delete")}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
