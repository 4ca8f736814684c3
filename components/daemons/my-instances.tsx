"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { useState } from "react";
import { fetchJson } from "../fetch-json";
import { myInstancesKey, useMyInstances, type MyInstance } from "../data/daemons";
import { DataTable, type DataColumn } from "../table/data-table";
import { Console } from "./daemon-detail";
import { OnlineBadge } from "./daemons-list";
import { FileManager } from "./file-manager";


type Action = "start" | "stop" | "restart" | "kill";

const keyOf = (m: MyInstance) => `${m.daemonId}:${m.instance.uuid}`;

/** The caller's instances (every instance for an admin): status, controls and console. */
export function MyInstances() {
  const t = useTranslations("daemons");
  const tc = useTranslations("common");
  const qc = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [filesOf, setFilesOf] = useState<string | null>(null);
  const tf = useTranslations("files");
  const list = useMyInstances();
  const act = useMutation({
    mutationFn: ({ m, action }: { m: MyInstance; action: Action }) =>
      fetchJson(`/api/ui/daemons/${m.daemonId}/instances/${m.instance.uuid}/action`, { method: "POST", body: { action } }),
    onSuccess: () => (setError(null), void qc.invalidateQueries({ queryKey: myInstancesKey })),
    onError: (e: Error) => setError(e.message),
  });
  const current = list.data?.find((m) => keyOf(m) === selected) ?? null;
  const filesInstance = list.data?.find((m) => keyOf(m) === filesOf) ?? null;
  const columns: DataColumn<MyInstance>[] = [
    { id: "name", header: t("instanceName"), value: (m) => m.instance.name, search: true, className: "font-medium", cell: (m) => m.instance.name },
    { id: "daemon", header: t("name"), value: (m) => m.daemonName, search: true, cell: (m) => m.daemonName },
    { id: "online", header: t("status"), value: (m) => (m.online ? 1 : 0), cell: (m) => <OnlineBadge online={m.online} /> },
    { id: "state", header: t("instances"), value: (m) => m.instance.status, cell: (m) => t(`state_${m.instance.status}`) },
    {
      id: "actions",
      header: tc("actions"),
      hideHeader: true,
      className: "whitespace-nowrap space-x-1",
      cell: (m) => (
        <>
          {(["start", "stop", "restart", "kill"] as const).map((action) => (
            <button
              key={action}
              type="button"
              className={action === "kill" ? "btn-danger py-0.5" : "btn-secondary py-0.5"}
              aria-label={`${t(action)} ${m.instance.name}`}
              disabled={act.isPending || !m.online}
              onClick={() => act.mutate({ m, action })}
            >
              {t(action)}
            </button>
          ))}
          <button type="button" className="btn-secondary py-0.5" aria-label={`${t("console")} ${m.instance.name}`} onClick={() => setSelected(keyOf(m))}>
            {t("console")}
          </button>
          <button type="button" className="btn-secondary py-0.5" aria-label={`${tf("files")} ${m.instance.name}`} onClick={() => setFilesOf(keyOf(m))}>
            {tf("files")}
          </button>
        </>
      ),
    },
  ];
  return (
    <section className="space-y-4">
      <h1 className="text-2xl font-semibold">{t("myInstances")}</h1>
      <p className="text-sm text-slate-500">{t("myInstancesIntro")}</p>
      {error && <p role="alert" className="rounded bg-red-50 px-3 py-2 text-sm text-red-700">{error}</p>}
      <DataTable label={t("instances")} urlPrefix="m" rows={list.data} columns={columns} rowId={keyOf} empty={t("noMyInstances")} />
      {current && <Console daemonId={current.daemonId} instance={current.instance} isAdmin />}
      {filesInstance && <FileManager key={keyOf(filesInstance)} daemonUuid={filesInstance.daemonUuid} instance={filesInstance.instance} />}
    </section>
  );
}
