"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { useState } from "react";
import type { ServerRow } from "@/lib/dialects/ui/views";
import { fetchJson } from "../fetch-json";
import { SecretDialog, type Enrollment } from "./secret-notice";
import { ServerFormDialog } from "./server-form";

/** Edit, new secret, delete: one server's admin buttons, in the list and on its page. */
export function ServerAdminActions({ server, onDeleted, onError }: { server: ServerRow; onDeleted?: () => void; onError: (message: string | null) => void }) {
  const t = useTranslations("servers");
  const tc = useTranslations("common");
  const qc = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [enrollment, setEnrollment] = useState<Enrollment | null>(null);
  const refresh = () => Promise.all([qc.invalidateQueries({ queryKey: ["servers"] }), qc.invalidateQueries({ queryKey: ["server", server.id] })]);
  const rotate = useMutation({
    mutationFn: () => fetchJson<Enrollment>(`/api/ui/servers/${server.id}/secret`, { method: "POST" }),
    onSuccess: (answer) => {
      setEnrollment(answer);
      onError(null);
      return refresh();
    },
    onError: (e: Error) => onError(e.message),
  });
  const remove = useMutation({
    mutationFn: () => fetchJson(`/api/ui/servers/${server.id}`, { method: "DELETE" }),
    onSuccess: async () => {
      onError(null);
      qc.removeQueries({ queryKey: ["server", server.id] });
      await qc.invalidateQueries({ queryKey: ["servers"] });
      onDeleted?.();
    },
    onError: (e: Error) => onError(e.message),
  });

  return (
    <span className="inline-flex gap-1 whitespace-nowrap">
      <button className="btn-secondary" type="button" onClick={() => setEditing(true)} aria-label={`${t("edit")} ${server.name}`}>
        {t("edit")}
      </button>
      <button
        className="btn-secondary"
        type="button"
        aria-label={`${t("rotateSecret")} ${server.name}`}
        disabled={rotate.isPending}
        onClick={() => window.confirm(t("confirmRotate", { name: server.name })) && rotate.mutate()}
      >
        {t("rotateSecret")}
      </button>
      <button
        className="btn-danger"
        type="button"
        aria-label={`${tc("delete")} ${server.name}`}
        disabled={remove.isPending}
        onClick={() => window.confirm(t("confirmDelete", { name: server.name })) && remove.mutate()}
      >
        {tc("delete")}
      </button>
      {editing && (
        <ServerFormDialog
          editing={{ id: server.id, name: server.name, tag: server.tag, note: server.note ?? "", hideForGuest: server.hideForGuest, displayIndex: server.displayIndex }}
          onClose={() => setEditing(false)}
        />
      )}
      {enrollment && <SecretDialog enrollment={enrollment} onClose={() => setEnrollment(null)} />}
    </span>
  );
}
