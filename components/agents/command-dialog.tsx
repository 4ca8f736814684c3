"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { useEffect, useId, useRef, useState } from "react";
import { fetchJson } from "../fetch-json";
import { agentKey, type Agent } from "./types";
import { newLiveKey, useLiveCommandOutput } from "./live-output";

type Outcome =
  | { id: number; status: "done" | "timeout"; exitCode: number | null; output: string }
  /** The agent was offline and the command was queued for it (lib/fleet/commands.ts QueuedCommand). */
  | { status: "queued"; job: { id: number } };

// The same names the API accepts (lib/fleet/commands.ts SHELLS); the default follows the platform.
export const SHELLS = ["/bin/bash", "sh", "powershell", "cmd", "custom"] as const;
export type Shell = (typeof SHELLS)[number];

/** Sends one command to an agent and shows its output; the run lands in the history either way. */
export function CommandDialog({ agent, onClose }: { agent: Agent; onClose: () => void }) {
  const t = useTranslations("agents");
  const qc = useQueryClient();
  const titleId = useId();
  const first = useRef<HTMLSelectElement>(null);
  const [shell, setShell] = useState<Shell>(agent.plat === "windows" ? "powershell" : "/bin/bash");
  // The output is followed live under a key of this page's choosing while the answer is awaited.
  const [liveKey, setLiveKey] = useState<string | null>(null);
  const run = useMutation({
    mutationFn: (body: Record<string, unknown>) => fetchJson<Outcome>(`/api/ui/agents/${encodeURIComponent(agent.agent_id)}/cmd`, { method: "POST", body }),
    onSettled: () => {
      setLiveKey(null);
      return qc.invalidateQueries({ queryKey: agentKey(agent.agent_id) });
    },
  });
  const liveText = useLiveCommandOutput(agent.agent_id, liveKey ? { key: liveKey } : null);

  useEffect(() => {
    first.current?.focus();
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && onClose();
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);

  return (
    <div className="fixed inset-0 z-50 flex items-start justify-center overflow-y-auto bg-slate-900/40 p-4 pt-16">
      <div role="dialog" aria-modal="true" aria-labelledby={titleId} className="card w-full max-w-3xl space-y-3">
        <h2 id={titleId} className="text-lg font-semibold">
          {t("sendCommand")} — {agent.hostname}
        </h2>
        <form
          className="space-y-3"
          onSubmit={(e) => {
            e.preventDefault();
            const f = new FormData(e.currentTarget);
            const queueIfOffline = f.get("queueIfOffline") === "on";
            const key = agent.connected ? newLiveKey() : null;
            setLiveKey(key);
            run.mutate({
              shell,
              cmd: f.get("cmd"),
              timeout: Number(f.get("timeout")),
              queueIfOffline,
              ...(shell === "custom" ? { custom_shell: f.get("custom_shell") } : {}),
              ...(key ? { live: key } : {}),
            });
          }}
        >
          <div className="grid grid-cols-2 gap-3 md:grid-cols-3">
            <div>
              <label className="label" htmlFor="cmd-shell">{t("shell")}</label>
              <select ref={first} id="cmd-shell" className="input" value={shell} onChange={(e) => setShell(e.target.value as Shell)}>
                {SHELLS.map((s) => (
                  <option key={s} value={s}>{s}</option>
                ))}
              </select>
            </div>
            <div>
              <label className="label" htmlFor="cmd-timeout">{t("timeout")}</label>
              <input id="cmd-timeout" name="timeout" className="input" type="number" min={1} max={3600} step={1} defaultValue={30} required />
            </div>
            {shell === "custom" && (
              <div>
                <label className="label" htmlFor="cmd-custom">{t("customShell")}</label>
                <input id="cmd-custom" name="custom_shell" className="input font-mono" placeholder="/usr/bin/zsh" required />
              </div>
            )}
          </div>
          <div>
            <label className="label" htmlFor="cmd-text">{t("command")}</label>
            <textarea id="cmd-text" name="cmd" className="input font-mono" rows={3} required maxLength={65536} />
          </div>
          {!agent.connected && (
            <label className="flex items-center gap-2 text-sm">
              <input type="checkbox" name="queueIfOffline" defaultChecked />
              {t("queueIfOffline")}
            </label>
          )}
          <p className="text-xs text-slate-500">{t("commandsHint")}</p>
          <div className="flex gap-2">
            <button className="btn-primary" type="submit" disabled={run.isPending}>{run.isPending ? t("running") : t("run")}</button>
            <button className="btn-secondary" type="button" onClick={onClose}>{t("close")}</button>
          </div>
        </form>
        {run.isPending && liveText !== null && (
          <div className="space-y-1">
            <div className="text-sm font-medium text-slate-600">{t("liveOutput")}</div>
            <pre data-testid="command-live" aria-live="polite" className="max-h-96 overflow-auto rounded bg-slate-900 p-3 text-xs text-slate-100">
              {liveText}
            </pre>
          </div>
        )}
        {run.error && <p role="alert" className="rounded bg-red-50 px-3 py-2 text-sm text-red-700">{run.error.message}</p>}
        {run.data?.status === "queued" && <p role="status" className="rounded bg-amber-50 px-3 py-2 text-sm text-amber-800">{t("queuedCommand", { id: run.data.job.id })}</p>}
        {run.data && run.data.status !== "queued" && (
          <div className="space-y-1">
            <div className="flex gap-3 text-sm text-slate-600">
              <span className="font-medium">{t("output")}</span>
              {run.data.exitCode !== null && <span>{t("exitCode", { code: run.data.exitCode })}</span>}
              {run.data.status === "timeout" && <span className="text-amber-700">{t("killed")}</span>}
            </div>
            <pre data-testid="command-output" className="max-h-96 overflow-auto rounded bg-slate-900 p-3 text-xs text-slate-100">
              {run.data.output}
            </pre>
          </div>
        )}
      </div>
    </div>
  );
}
