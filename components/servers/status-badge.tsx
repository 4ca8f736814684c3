"use client";
import { useTranslations } from "next-intl";
import type { ServerRow } from "@/lib/dialects/ui/views";

export function StatusBadge({ server }: { server: Pick<ServerRow, "status" | "lastActive"> }) {
  const t = useTranslations("servers");
  const never = server.lastActive === null;
  const style = server.status === "online" ? "bg-emerald-100 text-emerald-800" : server.status === "overdue" ? "bg-red-100 text-red-800" : "bg-slate-200 text-slate-700";
  return (
    <span className={`inline-flex items-center gap-1 rounded-full px-2 py-0.5 text-xs font-medium ${style}`} data-status={server.status}>
      <span aria-hidden className={`h-1.5 w-1.5 rounded-full ${server.status === "online" ? "bg-emerald-500" : "bg-slate-400"}`} />
      {never ? t("neverReported") : t(server.status)}
    </span>
  );
}
