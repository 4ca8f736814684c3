"use client";
import { useMutation } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { useState } from "react";
import { Modal } from "./modal";

/** Asks before a destructive action; the action runs only on the dialog's own button. */
export function ConfirmDialog({
  title,
  text,
  confirmLabel,
  busy,
  error,
  onConfirm,
  onClose,
  children,
}: {
  title: string;
  text: React.ReactNode;
  confirmLabel: string;
  busy: boolean;
  error: string | null;
  onConfirm: () => void;
  onClose: () => void;
  children?: React.ReactNode;
}) {
  const tc = useTranslations("common");
  return (
    <Modal title={title} onClose={onClose}>
      <p className="text-sm text-slate-700">{text}</p>
      {children}
      {error && <p role="alert" className="rounded bg-red-50 px-3 py-2 text-sm text-red-700">{error}</p>}
      <div className="flex justify-end gap-2">
        <button type="button" className="btn-secondary" onClick={onClose}>{tc("cancel")}</button>
        <button type="button" className="btn-danger" disabled={busy} onClick={onConfirm}>{confirmLabel}</button>
      </div>
    </Modal>
  );
}

/**
 * The one delete control of the UI: a button (a trash icon, or a "Delete" button) that opens a
 * confirmation naming what goes, runs `onDelete` from the dialog, shows the server's message
 * if it fails and closes when it succeeds.
 */
export function ConfirmDelete({
  label,
  title,
  text,
  confirmLabel,
  onDelete,
  onDeleted,
  variant = "icon",
}: {
  /** The trigger's accessible name ("Delete token", "Delete web-1"). */
  label: string;
  title: string;
  text: React.ReactNode;
  confirmLabel?: string;
  onDelete: () => Promise<unknown>;
  onDeleted?: () => void;
  /** "icon": a trash icon (table rows); "button": a red button with the word. */
  variant?: "icon" | "button";
}) {
  const tc = useTranslations("common");
  const [open, setOpen] = useState(false);
  const remove = useMutation({
    mutationFn: onDelete,
    onSuccess: () => {
      setOpen(false);
      onDeleted?.();
    },
  });
  return (
    <>
      {variant === "icon" ? (
        <button type="button" aria-label={label} title={label} className="rounded p-1.5 text-slate-500 hover:bg-red-50 hover:text-red-600" onClick={() => (remove.reset(), setOpen(true))}>
          <TrashIcon />
        </button>
      ) : (
        <button type="button" aria-label={label} className="btn-danger" disabled={remove.isPending} onClick={() => (remove.reset(), setOpen(true))}>
          {tc("delete")}
        </button>
      )}
      {open && (
        <ConfirmDialog
          title={title}
          text={text}
          confirmLabel={confirmLabel ?? tc("delete")}
          busy={remove.isPending}
          error={remove.error?.message ?? null}
          onConfirm={() => remove.mutate()}
          onClose={() => setOpen(false)}
        />
      )}
    </>
  );
}

export function TrashIcon() {
  return (
    <svg aria-hidden="true" viewBox="0 0 20 20" fill="currentColor" className="h-4 w-4">
      <path
        fillRule="evenodd"
        d="M8.75 1A2.75 2.75 0 0 0 6 3.75v.44c-.8.08-1.59.18-2.38.3a.75.75 0 1 0 .23 1.49l.15-.03.84 10.52A2.75 2.75 0 0 0 7.58 19h4.84a2.75 2.75 0 0 0 2.74-2.53L16 5.95l.15.03a.75.75 0 0 0 .23-1.49c-.79-.12-1.58-.22-2.38-.3v-.44A2.75 2.75 0 0 0 11.25 1h-2.5ZM10 4c.84 0 1.67.03 2.5.08v-.33c0-.69-.56-1.25-1.25-1.25h-2.5c-.69 0-1.25.56-1.25 1.25v.33C8.33 4.03 9.16 4 10 4ZM8.58 7.72a.75.75 0 0 0-1.5.06l.3 7.5a.75.75 0 1 0 1.5-.06l-.3-7.5Zm4.34.06a.75.75 0 1 0-1.5-.06l-.3 7.5a.75.75 0 1 0 1.5.06l.3-7.5Z"
        clipRule="evenodd"
      />
    </svg>
  );
}
