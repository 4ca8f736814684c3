"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { useState } from "react";
import type { ClientView, SiteView } from "@/lib/fleet/clients";
import { ConfirmDialog } from "../confirm-delete";
import { fetchJson } from "../fetch-json";

interface Rights {
  canManageClients: boolean;
  canManageSites: boolean;
}

const clientsKey = ["clients"] as const;

/** Tactical RMM's clients and sites: add, rename, delete (moving their agents), add sites. */
export function ClientsAdmin() {
  const t = useTranslations("clients");
  const tc = useTranslations("common");
  const list = useQuery({ queryKey: clientsKey, queryFn: () => fetchJson<{ rights: Rights; clients: ClientView[] }>("/api/ui/clients") });
  if (list.error) return <p role="alert" className="rounded bg-red-50 px-3 py-2 text-sm text-red-700">{list.error.message}</p>;
  if (!list.data) return <p className="text-slate-500">{tc("loading")}</p>;
  const { rights, clients } = list.data;
  const allSites = clients.flatMap((c) => c.sites);
  return (
    <section className="space-y-4">
      <h1 className="text-2xl font-semibold">{t("title")}</h1>
      {rights.canManageClients && <AddClient />}
      {clients.length === 0 && <p className="text-slate-500">{t("none")}</p>}
      <ul className="space-y-3">
        {clients.map((c) => (
          <li key={c.id} className="card space-y-2" data-testid={`client-${c.name}`}>
            <div className="flex flex-wrap items-center gap-3">
              <h2 className="text-lg font-semibold">{c.name}</h2>
              <span className="text-sm text-slate-500">{t("agents", { count: c.agentCount })}</span>
              {rights.canManageClients && (
                <div className="ml-auto flex gap-2">
                  <Rename url={`/api/ui/clients/${c.id}`} current={c.name} />
                  <Remove url={`/api/ui/clients/${c.id}`} name={c.name} agents={c.agentCount} targets={allSites.filter((s) => s.clientId !== c.id)} />
                </div>
              )}
            </div>
            <ul className="divide-y divide-slate-100 text-sm">
              {c.sites.map((s) => (
                <li key={s.id} className="flex flex-wrap items-center gap-3 py-1.5">
                  <span>{s.name}</span>
                  <span className="text-slate-500">{t("agents", { count: s.agentCount })}</span>
                  {rights.canManageSites && (
                    <div className="ml-auto flex gap-2">
                      <Rename url={`/api/ui/sites/${s.id}`} current={s.name} />
                      <Remove url={`/api/ui/sites/${s.id}`} name={s.name} agents={s.agentCount} targets={allSites.filter((x) => x.id !== s.id)} />
                    </div>
                  )}
                </li>
              ))}
            </ul>
            {rights.canManageSites && <AddSite clientId={c.id} />}
          </li>
        ))}
      </ul>
    </section>
  );
}

function useWrite<T>(fn: (v: T) => Promise<unknown>) {
  const qc = useQueryClient();
  return useMutation({ mutationFn: fn, onSuccess: () => Promise.all([qc.invalidateQueries({ queryKey: clientsKey }), qc.invalidateQueries({ queryKey: ["agents"] })]) });
}

function AddClient() {
  const t = useTranslations("clients");
  const add = useWrite((body: { name: string; siteName: string }) => fetchJson("/api/ui/clients", { method: "POST", body }));
  return (
    <form
      className="card flex flex-wrap items-end gap-3"
      onSubmit={(e) => {
        e.preventDefault();
        const f = new FormData(e.currentTarget);
        add.mutate({ name: String(f.get("name")), siteName: String(f.get("siteName")) }, { onSuccess: () => (e.target as HTMLFormElement).reset() });
      }}
    >
      <div>
        <label className="label" htmlFor="client-name">{t("clientName")}</label>
        <input id="client-name" name="name" className="input" required maxLength={100} />
      </div>
      <div>
        <label className="label" htmlFor="client-site">{t("firstSite")}</label>
        <input id="client-site" name="siteName" className="input" required maxLength={100} defaultValue="Default" />
      </div>
      <button className="btn-primary" type="submit" disabled={add.isPending}>{t("addClient")}</button>
      {add.error && <span role="alert" className="text-sm text-red-700">{add.error.message}</span>}
    </form>
  );
}

function AddSite({ clientId }: { clientId: number }) {
  const t = useTranslations("clients");
  const add = useWrite((name: string) => fetchJson("/api/ui/sites", { method: "POST", body: { clientId, name } }));
  return (
    <form
      className="flex flex-wrap items-center gap-2"
      onSubmit={(e) => {
        e.preventDefault();
        add.mutate(String(new FormData(e.currentTarget).get("name")), { onSuccess: () => (e.target as HTMLFormElement).reset() });
      }}
    >
      <input name="name" className="input max-w-xs" aria-label={t("siteName")} placeholder={t("siteName")} required maxLength={100} />
      <button className="btn-secondary" type="submit" disabled={add.isPending}>{t("addSite")}</button>
      {add.error && <span role="alert" className="text-sm text-red-700">{add.error.message}</span>}
    </form>
  );
}

function Rename({ url, current }: { url: string; current: string }) {
  const t = useTranslations("clients");
  const rename = useWrite((name: string) => fetchJson(url, { method: "PATCH", body: { name } }));
  return (
    <>
      <button
        type="button"
        className="btn-secondary"
        aria-label={`${t("rename")} ${current}`}
        onClick={() => {
          const name = window.prompt(t("newName"), current);
          if (name && name !== current) rename.mutate(name);
        }}
      >
        {t("rename")}
      </button>
      {rename.error && <span role="alert" className="text-sm text-red-700">{rename.error.message}</span>}
    </>
  );
}

function Remove({ url, name, agents, targets }: { url: string; name: string; agents: number; targets: SiteView[] }) {
  const t = useTranslations("clients");
  const [open, setOpen] = useState(false);
  const [target, setTarget] = useState<number | null>(targets[0]?.id ?? null);
  const remove = useWrite(() => fetchJson(`${url}${agents > 0 && target ? `?moveToSite=${target}` : ""}`, { method: "DELETE" }));
  return (
    <>
      <button type="button" className="btn-secondary" aria-label={`${t("delete")} ${name}`} onClick={() => setOpen(true)}>{t("delete")}</button>
      {open && (
        <ConfirmDialog
          title={`${t("delete")} ${name}`}
          text={t("agents", { count: agents })}
          confirmLabel={t("delete")}
          busy={remove.isPending}
          error={remove.error?.message ?? null}
          onConfirm={() => remove.mutate(undefined, { onSuccess: () => setOpen(false) })}
          onClose={() => setOpen(false)}
        >
          {agents > 0 && (
            <div>
              <label className="label" htmlFor="move-to">{t("moveTo")}</label>
              <select id="move-to" className="input" value={target ?? ""} onChange={(e) => setTarget(Number(e.target.value))}>
                {targets.map((s) => (
                  <option key={s.id} value={s.id}>{`${s.clientName} / ${s.name}`}</option>
                ))}
              </select>
            </div>
          )}
        </ConfirmDialog>
      )}
    </>
  );
}
