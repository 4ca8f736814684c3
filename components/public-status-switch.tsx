"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { fetchJson } from "@/components/fetch-json";

/** The admin's switch for the public, read-only status page (/status) and anonymous Nezha reads. */
export function PublicStatusSwitch() {
  const t = useTranslations("publicStatus");
  const qc = useQueryClient();
  const q = useQuery({ queryKey: ["public-status"], queryFn: () => fetchJson<{ enabled: boolean }>("/api/ui/settings/public-status") });
  const set = useMutation({
    mutationFn: (enabled: boolean) => fetchJson<{ enabled: boolean }>("/api/ui/settings/public-status", { method: "PUT", body: { enabled } }),
    onSuccess: (data) => qc.setQueryData(["public-status"], data),
  });
  const enabled = q.data?.enabled ?? false;
  return (
    <div className="flex flex-wrap items-center gap-3 rounded border border-slate-200 bg-white p-3 text-sm">
      <label className="flex items-center gap-2">
        <input type="checkbox" checked={enabled} disabled={q.isLoading || set.isPending} onChange={(e) => set.mutate(e.target.checked)} />
        <span>{t("label")}</span>
      </label>
      <span className="text-slate-500">{t("hint")}</span>
      {enabled && <a className="text-indigo-700 underline" href="/status">/status</a>}
      {set.error && <span role="alert" className="text-red-700">{(set.error as Error).message}</span>}
    </div>
  );
}
