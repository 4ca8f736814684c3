"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { useState } from "react";
import { ConfirmDelete } from "./confirm-delete";
import { usersKey, useUsers, type UserRow } from "./data/users";
import { fetchJson } from "./fetch-json";
import { Modal } from "./modal";
import { DataTable, type DataColumn } from "./table/data-table";

const PERMS = ["canListAgents", "canSendCmd", "canManageWinupdates", "canManageMonitoring"] as const;
const ALL_GRANTS = ["canListAgents", "canSendCmd", "canManageWinupdates", "canListClients", "canManageClients", "canListSites", "canManageSites", "canManageMonitoring"] as const;

interface InstanceChoice {
  daemonName: string;
  instance: { uuid: string; name: string };
}

/** A user's grants, client/site limits and assigned instances: what the access policy reads. */
function AccessDialog({ user, onClose, onSave }: { user: UserRow; onClose: () => void; onSave: (patch: Record<string, unknown>) => Promise<unknown> }) {
  const t = useTranslations("users");
  const tc = useTranslations("common");
  const instances = useQuery({ queryKey: ["my-instances"], queryFn: () => fetchJson<InstanceChoice[]>("/api/ui/instances") });
  const [error, setError] = useState<string | null>(null);
  return (
    <Modal title={t("accessTitle", { name: user.username })} onClose={onClose}>
      <form
        className="space-y-3"
        onSubmit={async (e) => {
          e.preventDefault();
          const f = new FormData(e.currentTarget);
          const patch: Record<string, unknown> = {
            allowedClients: String(f.get("allowedClients") ?? ""),
            allowedSites: String(f.get("allowedSites") ?? ""),
            instances: f.getAll("instances").map(String),
          };
          for (const g of ALL_GRANTS) patch[g] = f.get(g) === "on";
          try {
            await onSave(patch);
            onClose();
          } catch (err) {
            setError((err as Error).message);
          }
        }}
      >
        <fieldset className="space-y-1">
          <legend className="label">{t("grants")}</legend>
          {ALL_GRANTS.map((g) => (
            <label key={g} className="flex items-center gap-2 text-sm">
              <input type="checkbox" name={g} defaultChecked={user[g]} /> {g}
            </label>
          ))}
        </fieldset>
        <div>
          <label className="label" htmlFor="access-clients">{t("clientsLimit")}</label>
          <input className="input" id="access-clients" name="allowedClients" defaultValue={user.allowedClients} maxLength={1000} />
        </div>
        <div>
          <label className="label" htmlFor="access-sites">{t("sitesLimit")}</label>
          <input className="input" id="access-sites" name="allowedSites" defaultValue={user.allowedSites} maxLength={1000} />
        </div>
        <fieldset className="max-h-48 space-y-1 overflow-auto">
          <legend className="label">{t("assignedInstances")}</legend>
          {(instances.data ?? []).map((m) => (
            <label key={m.instance.uuid} className="flex items-center gap-2 text-sm">
              <input type="checkbox" name="instances" value={m.instance.uuid} defaultChecked={user.instances.some((i) => i.uuid === m.instance.uuid)} />
              {m.instance.name} <span className="text-xs text-slate-400">({m.daemonName})</span>
            </label>
          ))}
        </fieldset>
        {error && <p role="alert" className="text-sm text-red-700">{error}</p>}
        <div className="flex justify-end gap-2">
          <button type="button" className="btn-secondary" onClick={onClose}>{tc("cancel")}</button>
          <button type="submit" className="btn-primary">{t("save")}</button>
        </div>
      </form>
    </Modal>
  );
}

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
  const [editing, setEditing] = useState<UserRow | null>(null);

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
          {u.role !== "admin" && (
            <button className="btn-secondary" type="button" aria-label={`${t("editAccess")} ${u.username}`} onClick={() => setEditing(u)}>
              {t("access")}
            </button>
          )}
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
      {editing && <AccessDialog user={editing} onClose={() => setEditing(null)} onSave={(body) => patch.mutateAsync({ id: editing.id, ...body })} />}
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
