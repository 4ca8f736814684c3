"use client";
import type { RowSelectionState } from "@tanstack/react-table";
import { useTranslations } from "next-intl";
import { useMemo, useState } from "react";
import type { Selection } from "./data-table";

/**
 * Selected rows for bulk actions, by row id. Only rows still in `rows` count: a server deleted
 * or filtered away by a tag since it was ticked is not acted on behind the user's back.
 */
export function useSelection<T>(rows: readonly T[], rowId: (row: T) => string) {
  const [state, setState] = useState<RowSelectionState>({});
  const selected = useMemo(() => rows.filter((r) => state[rowId(r)]), [rows, state, rowId]);
  const table: Selection = { state, onChange: setState };
  return { table, rows: selected, clear: () => setState({}) };
}

/** "3 selected", the bulk actions, and a way to clear; nothing while no row is ticked. */
export function SelectionBar({ count, onClear, children }: { count: number; onClear: () => void; children: React.ReactNode }) {
  const t = useTranslations("table");
  if (count === 0) return null;
  return (
    <div className="flex flex-wrap items-center gap-2" role="group" aria-label={t("bulkActions")}>
      <span className="text-sm font-medium text-slate-700" data-testid="selected-count">{t("selected", { count })}</span>
      {children}
      <button type="button" className="btn-secondary" onClick={onClear}>{t("clearSelection")}</button>
    </div>
  );
}
