"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import Link from "next/link";
import { useCallback, useState } from "react";
import type { InstanceRowView } from "@/lib/dialects/ui/daemons";
import { ConfirmDelete } from "../confirm-delete";
import { daemonKey, useDaemon } from "../data/daemons";
import { FileManager } from "./file-manager";
import { fetchJson } from "../fetch-json";
import { DataTable, type DataColumn } from "../table/data-table";
import { OnlineBadge } from "./daemons-list";
import { InstanceTerminal } from "./terminal";
import { BulkDialog } from "../bulk/bulk-dialog";
import { useBulkAction } from "../bulk/use-bulk-action";
import { SelectionBar, useSelection } from "../table/selection";

const NO_INSTANCES: InstanceRowView[] = [];
const instanceId = (i: InstanceRowView) => i.uuid;

type Action = "start" | "stop" | "restart" | "kill";

const STATUS_STYLE: Record<InstanceRowView["status"], string> = {
  running: "bg-emerald-100 text-emerald-800",
  starting: "bg-sky-100 text-sky-800",
  stopping: "bg-amber-100 text-amber-800",
  stopped: "bg-slate-200 text-slate-700",
};

function CreateInstanceForm({ daemonId, onDone }: { daemonId: number; onDone: (error: string | null) => void }) {
  const t = useTranslations("daemons");
  const create = useMutation({
    mutationFn: (body: object) => fetchJson(`/api/ui/daemons/${daemonId}/instances`, { method: "POST", body }),
    onSuccess: () => onDone(null),
    onError: (e: Error) => onDone(e.message),
  });
  return (
    <form
      className="card grid gap-3 md:grid-cols-2"
      aria-label={t("createInstance")}
      onSubmit={(e) => {
        e.preventDefault();
        const form = e.currentTarget;
        const f = new FormData(form);
        create.mutate(
          { name: f.get("name"), startCommand: f.get("startCommand"), cwd: f.get("cwd") ?? "", stopCommand: f.get("stopCommand") ?? "", autoRestart: f.get("autoRestart") === "on", autoStart: f.get("autoStart") === "on" },
          { onSuccess: () => form.reset() },
        );
      }}
    >
      <h2 className="text-lg font-medium md:col-span-2">{t("createInstance")}</h2>
      <div>
        <label className="label" htmlFor="instance-name">{t("instanceName")}</label>
        <input className="input" id="instance-name" name="name" required maxLength={100} />
      </div>
      <div>
        <label className="label" htmlFor="instance-start">{t("startCommand")}</label>
        <input className="input font-mono" id="instance-start" name="startCommand" required maxLength={4000} />
      </div>
      <div>
        <label className="label" htmlFor="instance-cwd">{t("cwd")}</label>
        <input className="input font-mono" id="instance-cwd" name="cwd" maxLength={1000} placeholder={t("cwdHint")} />
      </div>
      <div>
        <label className="label" htmlFor="instance-stop">{t("stopCommand")}</label>
        <input className="input font-mono" id="instance-stop" name="stopCommand" maxLength={1000} placeholder={t("stopCommandHint")} />
      </div>
      <label className="flex items-center gap-2 text-sm">
        <input type="checkbox" name="autoRestart" /> {t("autoRestart")}
      </label>
      <label className="flex items-center gap-2 text-sm">
        <input type="checkbox" name="autoStart" /> {t("autoStart")}
      </label>
      <div className="md:text-right">
        <button className="btn-primary" type="submit" disabled={create.isPending}>{t("createInstance")}</button>
      </div>
    </form>
  );
}

/**
 * An instance's console: a terminal (./terminal.tsx) showing the output as it comes, with a line
 * to type into it, and the same line as a plain field (phones, screen readers).
 * Shown to admins and to the users the instance is assigned to (the panel's access policy).
 */
export function Console({ daemonId, instance }: { daemonId: number; instance: InstanceRowView; isAdmin?: boolean }) {
  const t = useTranslations("daemons");
  const base = `/api/ui/daemons/${daemonId}/instances/${instance.uuid}`;
  const [error, setError] = useState<string | null>(null);
  const sendLine = useCallback((command: string) => fetchJson(`${base}/command`, { method: "POST", body: { command } }), [base]);
  const send = useMutation({
    mutationFn: sendLine,
    onSuccess: () => setError(null),
    onError: (e: Error) => setError(e.message),
  });

  return (
    <section className="card space-y-2" aria-label={t("consoleOf", { name: instance.name })}>
      <h2 className="text-lg font-medium">{t("consoleOf", { name: instance.name })}</h2>
      <div data-testid="console-output">
        <InstanceTerminal base={base} name={t("terminalOf", { name: instance.name })} onSend={sendLine} onError={setError} />
      </div>
      {error && <p role="alert" className="text-sm text-red-700">{error}</p>}
      <form
        className="flex gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          const form = e.currentTarget;
          const command = String(new FormData(form).get("command") ?? "");
          send.mutate(command, { onSuccess: () => form.reset() });
        }}
      >
        <input className="input font-mono" name="command" aria-label={t("commandLine")} placeholder={t("commandLine")} maxLength={4096} autoComplete="off" />
        <button className="btn-primary" type="submit" disabled={send.isPending || instance.status !== "running"}>{t("send")}</button>
      </form>
    </section>
  );
}

export function DaemonDetail({ daemonId, isAdmin }: { daemonId: number; isAdmin: boolean }) {
  const t = useTranslations("daemons");
  const tc = useTranslations("common");
  const qc = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [filesOf, setFilesOf] = useState<string | null>(null);
  const tf = useTranslations("files");
  const tb = useTranslations("bulk");
  const key = daemonKey(daemonId);
  const detail = useDaemon(daemonId);
  const selection = useSelection(detail.data?.instances ?? NO_INSTANCES, instanceId);
  const bulk = useBulkAction();
  const [bulkAction, setBulkAction] = useState<"start" | "stop" | null>(null);
  /** Starts or stops every selected instance, four at a time; each answers with its new state. */
  const runBulk = (action: "start" | "stop") =>
    void bulk
      .start(selection.rows.map((i) => ({ id: i.uuid, label: i.name })), async ({ id }) => {
        const state = await fetchJson<{ status: string }>(`/api/ui/daemons/${daemonId}/instances/${id}/action`, { method: "POST", body: { action } });
        return state.status;
      })
      .then(() => qc.invalidateQueries({ queryKey: key }));
  const refresh = (e: string | null) => {
    setError(e);
    void qc.invalidateQueries({ queryKey: key });
  };
  const act = useMutation({
    mutationFn: ({ uuid, action }: { uuid: string; action: Action }) =>
      fetchJson(`/api/ui/daemons/${daemonId}/instances/${uuid}/action`, { method: "POST", body: { action } }),
    onSuccess: () => refresh(null),
    onError: (e: Error) => refresh(e.message),
  });

  if (detail.error) {
    return (
      <section className="space-y-4">
        <Link href="/dashboard/daemons" className="text-sm text-indigo-700 hover:underline">← {t("back")}</Link>
        <p role="alert" className="card text-slate-600">{detail.error.message === "No such daemon" ? t("notFound") : detail.error.message}</p>
      </section>
    );
  }
  const d = detail.data?.daemon;
  const instances = detail.data?.instances ?? [];
  const current = instances.find((i) => i.uuid === selected) ?? null;
  const filesInstance = instances.find((i) => i.uuid === filesOf) ?? null;
  const columns: DataColumn<InstanceRowView>[] = [
    { id: "name", header: t("instanceName"), value: (i) => i.name, search: true, className: "font-medium", cell: (i) => i.name },
    {
      id: "status",
      header: t("status"),
      value: (i) => i.status,
      className: "whitespace-nowrap",
      cell: (i) => (
        <>
          <span data-status={i.status} className={`rounded-full px-2 py-0.5 text-xs font-medium ${STATUS_STYLE[i.status]}`}>{t(`state_${i.status}`)}</span>
          {i.status === "stopped" && i.exitCode !== null && <span className="ml-2 text-xs text-slate-400">{t("exitCode")} {i.exitCode}</span>}
        </>
      ),
    },
    { id: "startCommand", header: t("startCommand"), value: (i) => i.startCommand, search: true, className: "max-w-xs truncate font-mono text-xs", cell: (i) => <span title={i.startCommand}>{i.startCommand}</span> },
    { id: "pid", header: t("pid"), value: (i) => i.pid, className: "font-mono text-xs", cell: (i) => i.pid ?? "—" },
    ...(isAdmin
      ? [
          {
            id: "actions",
            header: tc("actions"),
            hideHeader: true,
            className: "whitespace-nowrap space-x-1",
            cell: (i: InstanceRowView) => (
              <>
                {(["start", "stop", "restart", "kill"] as const).map((action) => (
                  <button
                    key={action}
                    type="button"
                    className={action === "kill" ? "btn-danger py-0.5" : "btn-secondary py-0.5"}
                    aria-label={`${t(action)} ${i.name}`}
                    disabled={act.isPending || !d?.online}
                    onClick={() => act.mutate({ uuid: i.uuid, action })}
                  >
                    {t(action)}
                  </button>
                ))}
                <button type="button" className="btn-secondary py-0.5" aria-label={`${t("console")} ${i.name}`} onClick={() => setSelected(i.uuid)}>
                  {t("console")}
                </button>
                <button type="button" className="btn-secondary py-0.5" aria-label={`${tf("files")} ${i.name}`} onClick={() => setFilesOf(i.uuid)}>
                  {tf("files")}
                </button>
                <ConfirmDelete
                  variant="button"
                  label={`${t("delete")} ${i.name}`}
                  title={t("deleteTitle", { name: i.name })}
                  text={t("confirmDelete", { name: i.name })}
                  onDelete={() => fetchJson(`/api/ui/daemons/${daemonId}/instances/${i.uuid}`, { method: "DELETE" })}
                  onDeleted={() => refresh(null)}
                />
              </>
            ),
          },
        ]
      : []),
  ];

  return (
    <section className="space-y-4">
      <Link href="/dashboard/daemons" className="text-sm text-indigo-700 hover:underline">← {t("back")}</Link>
      {d && (
        <div className="flex flex-wrap items-center gap-3">
          <h1 className="text-2xl font-semibold">{d.name}</h1>
          <OnlineBadge online={d.online} />
          <span className="text-sm text-slate-500">{d.remarks}</span>
          <span className="font-mono text-xs text-slate-400" title={t("uuid")}>{d.uuid}</span>
        </div>
      )}
      {d && !d.online && <p className="rounded bg-amber-50 px-3 py-2 text-sm text-amber-800">{t("offlineHint")}</p>}
      {!isAdmin && <p className="text-sm text-slate-500">{t("adminOnly")}</p>}
      {error && <p role="alert" className="rounded bg-red-50 px-3 py-2 text-sm text-red-700">{error}</p>}
      {isAdmin && <CreateInstanceForm daemonId={daemonId} onDone={refresh} />}

      <DataTable
        label={t("instances")}
        urlPrefix="i"
        rows={detail.data?.instances}
        rowId={(i) => i.uuid}
        rowLabel={(i) => i.name}
        columns={columns}
        rowAttributes={(i) => ({ "data-testid": `instance-${i.name}`, className: i.uuid === selected ? "bg-indigo-50" : undefined })}
        loading={detail.isPending}
        empty={t("noInstances")}
        selection={isAdmin ? selection.table : undefined}
        toolbar={
          isAdmin && (
            <SelectionBar count={selection.rows.length} onClear={selection.clear}>
              <button type="button" className="btn-primary" onClick={() => (bulk.reset(), setBulkAction("start"))}>{tb("startInstances")}</button>
              <button type="button" className="btn-secondary" onClick={() => (bulk.reset(), setBulkAction("stop"))}>{tb("stopInstances")}</button>
            </SelectionBar>
          )
        }
      />
      {bulkAction && (
        <BulkDialog
          title={tb(bulkAction === "start" ? "startTitle" : "stopTitle")}
          question={tb("instancesQuestion", { action: bulkAction, count: selection.rows.length })}
          confirmLabel={tb("instancesConfirm", { action: bulkAction, count: selection.rows.length })}
          bulk={bulk}
          onRun={() => runBulk(bulkAction)}
          onClose={() => setBulkAction(null)}
        />
      )}
      {current && isAdmin && <Console key={current.uuid} daemonId={daemonId} instance={current} isAdmin={isAdmin} />}
      {filesInstance && d && <FileManager key={filesInstance.uuid} daemonUuid={d.uuid} instance={filesInstance} />}
    </section>
  );
}
