"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { useState } from "react";
import { ConfirmDelete, ConfirmDialog } from "../confirm-delete";
import { serverKey, serversKey, type ServerRow } from "../data/servers";
import { fetchJson } from "../fetch-json";
import { InstallDialog, SecretDialog, type Enrollment } from "./secret-notice";
import { ServerFormDialog } from "./server-form";

/**
 * Edit, new secret, delete: one server's admin buttons, in the list and on its page. `compact`
 * draws icons (the list's sticky actions column, which must fit beside a phone's table).
 */
export function ServerAdminActions({ server, onDeleted, onError, compact }: { server: ServerRow; onDeleted?: () => void; onError: (message: string | null) => void; compact?: boolean }) {
  const t = useTranslations("servers");
  const tc = useTranslations("common");
  const qc = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [rotating, setRotating] = useState(false);
  const [enrollment, setEnrollment] = useState<Enrollment | null>(null);
  const [installing, setInstalling] = useState(false);
  const refresh = () => Promise.all([qc.invalidateQueries({ queryKey: serversKey }), qc.invalidateQueries({ queryKey: serverKey(server.id) })]);
  const rotate = useMutation({
    mutationFn: () => fetchJson<Enrollment>(`/api/ui/servers/${server.id}/secret`, { method: "POST" }),
    onSuccess: (answer) => {
      setRotating(false);
      setEnrollment(answer);
      onError(null);
      return refresh();
    },
  });
  const button = compact ? "rounded p-1.5 text-slate-500 hover:bg-slate-100 hover:text-slate-800" : "btn-secondary";

  return (
    <span className="inline-flex gap-1 whitespace-nowrap">
      <button className={button} type="button" onClick={() => setEditing(true)} aria-label={`${t("edit")} ${server.name}`} title={t("edit")}>
        {compact ? <PencilIcon /> : t("edit")}
      </button>
      <button className={button} type="button" aria-label={`${t("rotateSecret")} ${server.name}`} title={t("rotateSecret")} onClick={() => (rotate.reset(), setRotating(true))}>
        {compact ? <KeyIcon /> : t("rotateSecret")}
      </button>
      {!compact && (
        <button className={button} type="button" aria-label={`${t("installAgent")} ${server.name}`} onClick={() => setInstalling(true)}>
          {t("installAgent")}
        </button>
      )}
      <ConfirmDelete
        variant={compact ? "icon" : "button"}
        label={`${tc("delete")} ${server.name}`}
        title={t("deleteTitle", { name: server.name })}
        text={t("confirmDelete", { name: server.name })}
        onDelete={() => fetchJson(`/api/ui/servers/${server.id}`, { method: "DELETE" })}
        onDeleted={async () => {
          onError(null);
          qc.removeQueries({ queryKey: serverKey(server.id) });
          await qc.invalidateQueries({ queryKey: serversKey });
          onDeleted?.();
        }}
      />
      {rotating && (
        <ConfirmDialog
          title={t("rotateSecret")}
          text={t("confirmRotate", { name: server.name })}
          confirmLabel={t("rotateSecret")}
          busy={rotate.isPending}
          error={rotate.error?.message ?? null}
          onConfirm={() => rotate.mutate()}
          onClose={() => setRotating(false)}
        />
      )}
      {editing && (
        <ServerFormDialog
          editing={{ id: server.id, name: server.name, tag: server.tag, note: server.note ?? "", hideForGuest: server.hideForGuest, displayIndex: server.displayIndex }}
          onClose={() => setEditing(false)}
        />
      )}
      {enrollment && <SecretDialog enrollment={enrollment} onClose={() => setEnrollment(null)} />}
      {installing && <InstallDialog serverId={server.id} name={server.name} onClose={() => setInstalling(false)} />}
    </span>
  );
}

function PencilIcon() {
  return (
    <svg aria-hidden="true" viewBox="0 0 20 20" fill="currentColor" className="h-4 w-4">
      <path d="M14.7 2.3a1 1 0 0 1 1.4 0l1.6 1.6a1 1 0 0 1 0 1.4L7.5 15.5l-4 1 1-4L14.7 2.3Z" />
    </svg>
  );
}

function KeyIcon() {
  return (
    <svg aria-hidden="true" viewBox="0 0 20 20" fill="none" stroke="currentColor" strokeWidth="1.6" className="h-4 w-4">
      <circle cx="6.5" cy="13.5" r="3.5" />
      <path d="M9 11l7-7m-3 3 2 2m-4 0 1.5 1.5" strokeLinecap="round" />
    </svg>
  );
}
