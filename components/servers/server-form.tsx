"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { useState } from "react";
import { fetchJson } from "../fetch-json";
import { Modal } from "@/components/modal";
import type { Enrollment } from "./secret-notice";

export interface ServerFormValues {
  name: string;
  tag: string;
  note: string;
  hideForGuest: boolean;
  displayIndex: number;
}

const EMPTY: ServerFormValues = { name: "", tag: "", note: "", hideForGuest: false, displayIndex: 0 };

/**
 * Add (no `editing`) or edit a server. Adding answers with the secret, handed to `onCreated`
 * so that it can be shown once.
 */
export function ServerFormDialog({
  editing,
  onClose,
  onCreated,
}: {
  editing?: { id: number } & ServerFormValues;
  onClose: () => void;
  onCreated?: (enrollment: Enrollment) => void;
}) {
  const t = useTranslations("servers");
  const tc = useTranslations("common");
  const qc = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const initial = editing ?? EMPTY;
  const save = useMutation({
    mutationFn: (values: ServerFormValues) =>
      editing
        ? fetchJson<unknown>(`/api/ui/servers/${editing.id}`, { method: "PATCH", body: values })
        : fetchJson<Enrollment>("/api/ui/servers", { method: "POST", body: values }),
    onSuccess: async (answer) => {
      await qc.invalidateQueries({ queryKey: ["servers"] });
      if (editing) await qc.invalidateQueries({ queryKey: ["server", editing.id] });
      else onCreated?.(answer as Enrollment);
      onClose();
    },
    onError: (e: Error) => setError(e.message),
  });

  return (
    <Modal title={editing ? t("editTitle", { name: editing.name }) : t("add")} onClose={onClose}>
      <form
        className="space-y-3"
        onSubmit={(e) => {
          e.preventDefault();
          const f = new FormData(e.currentTarget);
          save.mutate({
            name: String(f.get("name") ?? ""),
            tag: String(f.get("tag") ?? ""),
            note: String(f.get("note") ?? ""),
            hideForGuest: f.get("hideForGuest") === "on",
            displayIndex: Number(f.get("displayIndex") ?? 0) || 0,
          });
        }}
      >
        <div>
          <label className="label" htmlFor="server-name">{t("name")}</label>
          <input className="input" id="server-name" name="name" required maxLength={100} defaultValue={initial.name} autoFocus />
        </div>
        <div>
          <label className="label" htmlFor="server-tag">{t("tag")}</label>
          <input className="input" id="server-tag" name="tag" maxLength={100} defaultValue={initial.tag} />
        </div>
        <div>
          <label className="label" htmlFor="server-note">{t("note")}</label>
          <textarea className="input" id="server-note" name="note" maxLength={2000} rows={2} defaultValue={initial.note} />
        </div>
        <div>
          <label className="label" htmlFor="server-order">{t("displayIndex")}</label>
          <input className="input" id="server-order" name="displayIndex" type="number" step={1} min={-1_000_000} max={1_000_000} defaultValue={initial.displayIndex} />
          <p className="mt-1 text-xs text-slate-500">{t("displayIndexHint")}</p>
        </div>
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" name="hideForGuest" defaultChecked={initial.hideForGuest} />
          {t("hideForGuest")}
        </label>
        {error && <p role="alert" className="rounded bg-red-50 px-3 py-2 text-sm text-red-700">{error}</p>}
        <div className="flex justify-end gap-2">
          <button className="btn-secondary" type="button" onClick={onClose}>{tc("cancel")}</button>
          <button className="btn-primary" type="submit" disabled={save.isPending}>{editing ? tc("save") : tc("create")}</button>
        </div>
      </form>
    </Modal>
  );
}
