"use client";
import { useTranslations } from "next-intl";
import { useState } from "react";
import { Modal } from "@/components/modal";

/** The answer to adding a server or rotating its secret: the only time the secret is shown. */
export interface Enrollment {
  id: number;
  name: string;
  secret: string;
  panelUrl: string;
  command: string;
}

export function SecretDialog({ enrollment, onClose }: { enrollment: Enrollment; onClose: () => void }) {
  const t = useTranslations("servers");
  return (
    <Modal title={t("secretTitle", { name: enrollment.name })} onClose={onClose}>
      <p className="text-sm text-slate-600">{t("secretOnce")}</p>
      <CopyField id="agent-command" label={t("commandLabel")} value={enrollment.command} />
      <CopyField id="agent-secret" label={t("secretLabel")} value={enrollment.secret} />
      <div className="flex justify-end">
        <button className="btn-primary" type="button" onClick={onClose}>{t("done")}</button>
      </div>
    </Modal>
  );
}

function CopyField({ id, label, value }: { id: string; label: string; value: string }) {
  const t = useTranslations("servers");
  const [copied, setCopied] = useState(false);
  return (
    <div>
      <label className="label" htmlFor={id}>{label}</label>
      <div className="flex gap-2">
        <input className="input font-mono text-xs" id={id} readOnly value={value} onFocus={(e) => e.currentTarget.select()} />
        <button
          className="btn-secondary"
          type="button"
          onClick={() => {
            // The clipboard API exists only on secure origins (https or localhost); elsewhere the
            // field is selected for a manual copy.
            const input = document.getElementById(id) as HTMLInputElement | null;
            input?.select();
            navigator.clipboard?.writeText(value).then(() => setCopied(true), () => undefined);
          }}
        >
          {copied ? t("copied") : t("copy")}
        </button>
      </div>
    </div>
  );
}
