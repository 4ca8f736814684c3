"use client";
import { useQuery } from "@tanstack/react-query";
import { useTranslations } from "next-intl";

interface Detail {
  id: number;
  name: string;
  last_active: number;
  host: { CountryCode: string; MemTotal: number };
  status: { CPU: number; MemUsed: number };
}

/** Read-only: the same answer an anonymous Nezha client gets (credentials omitted on purpose). */
export function StatusBoard() {
  const t = useTranslations("publicStatus");
  const q = useQuery({
    queryKey: ["public-status-board"],
    refetchInterval: 5_000,
    queryFn: async () => {
      const res = await fetch("/api/v1/server/details", { credentials: "omit" });
      if (res.status === 403 || res.status === 401) return null;
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return ((await res.json()) as { result: Detail[] }).result;
    },
  });
  const now = Date.now() / 1000;
  return (
    <main className="mx-auto max-w-4xl space-y-4 p-6">
      <h1 className="text-2xl font-semibold">{t("title")}</h1>
      {q.data === null && <p>{t("off")}</p>}
      {q.data && q.data.length === 0 && <p>{t("none")}</p>}
      {q.data && q.data.length > 0 && (
        <table className="w-full border-collapse text-sm" data-testid="status-table">
          <thead>
            <tr className="text-left text-slate-500">
              <th className="p-2">{t("name")}</th>
              <th className="p-2" />
              <th className="p-2">{t("cpu")}</th>
              <th className="p-2">{t("memory")}</th>
              <th className="p-2">{t("country")}</th>
            </tr>
          </thead>
          <tbody>
            {q.data.map((s) => (
              <tr key={s.id} className="border-t border-slate-200">
                <td className="p-2 font-medium">{s.name}</td>
                <td className="p-2">{now - s.last_active < 60 ? t("online") : t("offline")}</td>
                <td className="p-2">{s.status.CPU.toFixed(1)} %</td>
                <td className="p-2">{s.host.MemTotal ? `${((100 * s.status.MemUsed) / s.host.MemTotal).toFixed(0)} %` : "—"}</td>
                <td className="p-2">{s.host.CountryCode || "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}
