"use client";
import { useQuery } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { useState } from "react";
import { Modal } from "@/components/modal";
import { fetchJson } from "../fetch-json";

/** The answer to adding a server or rotating its secret: the only time the secret is shown. */
export interface Enrollment {
  id: number;
  name: string;
  secret: string;
  panelUrl: string;
  command: string;
}

/** A one-time enrollment code and the line that installs the agent with it (never the secret). */
interface InstallLine {
  code: string;
  expiresAt: string;
  command: string;
}

/**
 * Asks for a fresh enrollment code each time it is shown: codes work once and for an hour. The
 * self-update option is off unless the admin ticks it, with its risk said beside it.
 */
function InstallLineField({ serverId }: { serverId: number }) {
  const t = useTranslations("servers");
  const [selfUpdate, setSelfUpdate] = useState(false);
  const line = useQuery({
    queryKey: ["install-line", serverId],
    queryFn: () => fetchJson<InstallLine>(`/api/ui/servers/${serverId}/enrollment`, { method: "POST" }),
    staleTime: Infinity,
    gcTime: 0,
    retry: false,
  });
  if (line.error) return <p role="alert" className="text-sm text-red-700">{line.error.message}</p>;
  if (!line.data) return <p className="text-sm text-slate-500">…</p>;
  return (
    <div className="space-y-1">
      <CopyField id="install-line" label={t("installLabel")} value={selfUpdate ? `${line.data.command} --self-update` : line.data.command} />
      <p className="text-xs text-slate-500">{t("installHint", { time: new Date(line.data.expiresAt).toLocaleTimeString() })}</p>
      <label className="flex items-center gap-2 pt-1 text-sm">
        <input type="checkbox" data-testid="self-update" checked={selfUpdate} onChange={(e) => setSelfUpdate(e.currentTarget.checked)} />
        {t("selfUpdateLabel")}
      </label>
      <p className="text-xs text-amber-800">{t("selfUpdateRisk")}</p>
    </div>
  );
}

/** The install line alone (the server page's "Install agent"). */
export function InstallDialog({ serverId, name, onClose }: { serverId: number; name: string; onClose: () => void }) {
  const t = useTranslations("servers");
  return (
    <Modal title={t("installTitle", { name })} onClose={onClose}>
      <InstallLineField serverId={serverId} />
      <div className="flex justify-end">
        <button className="btn-primary" type="button" onClick={onClose}>{t("done")}</button>
      </div>
    </Modal>
  );
}

export function SecretDialog({ enrollment, onClose }: { enrollment: Enrollment; onClose: () => void }) {
  const t = useTranslations("servers");
  return (
    <Modal title={t("secretTitle", { name: enrollment.name })} onClose={onClose}>
      <InstallLineField serverId={enrollment.id} />
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
