"use client";
import { useTranslations } from "next-intl";
import type { Agent } from "./types";

const COLORS: Record<Agent["status"], string> = {
  online: "bg-emerald-100 text-emerald-800",
  offline: "bg-slate-200 text-slate-700",
  overdue: "bg-amber-100 text-amber-800",
};

export function StatusBadge({ status }: { status: Agent["status"] }) {
  const t = useTranslations("agents");
  return <span className={`rounded px-2 py-0.5 text-xs font-medium ${COLORS[status]}`}>{t(status)}</span>;
}
