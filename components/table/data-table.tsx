"use client";
import {
  columnFilteringFeature,
  createFilteredRowModel,
  createSortedRowModel,
  filterFn_includesString,
  globalFilteringFeature,
  rowSelectionFeature,
  rowSortingFeature,
  sortFn_alphanumeric,
  sortFn_basic,
  sortFn_text,
  tableFeatures,
  useTable,
  type ColumnDef,
  type Row,
  type RowData,
  type RowSelectionState,
  type SortingState,
} from "@tanstack/react-table";
import { useVirtualizer } from "@tanstack/react-virtual";
import { useTranslations } from "next-intl";
import { useEffect, useId, useMemo, useRef } from "react";
import { useUrlParam } from "./url-state";

/**
 * The one table of the UI (servers, agents, daemons, tokens, keys, users, audit): a search box,
 * sorting by any column with a value, optional grouping, optional row selection, and row
 * virtualization so 10,000 rows cost what 40 do. Search, sort and grouping live in the URL.
 *
 * TanStack Table owns the row model (filter → sort) and the selection state; this component
 * owns the markup. Grouping is done here, after sorting, as header rows between runs of rows:
 * rows keep the chosen sort inside their group, and a group header is one more virtual row.
 */

const features = tableFeatures({
  columnFilteringFeature,
  globalFilteringFeature,
  rowSortingFeature,
  rowSelectionFeature,
  filteredRowModel: createFilteredRowModel(),
  sortedRowModel: createSortedRowModel(),
  filterFns: { includesString: filterFn_includesString },
  sortFns: { alphanumeric: sortFn_alphanumeric, basic: sortFn_basic, text: sortFn_text },
});
type Features = typeof features;

export type CellValue = string | number | null | undefined;

export interface DataColumn<T> {
  id: string;
  header: string;
  /** Header read by screen readers only (an actions column). */
  hideHeader?: boolean;
  /** The value the column sorts by (and searches, with `search`); without it the column does not sort. */
  value?: (row: T) => CellValue;
  /** Part of what the search box matches (text columns: names, tags, addresses). */
  search?: boolean;
  cell: (row: T) => React.ReactNode;
  /** Classes for the column's cells (e.g. "whitespace-nowrap"). */
  className?: string;
  /**
   * Keep the column at the right edge while the table scrolls sideways (row actions): on a
   * phone the buttons stay in view without scrolling the table.
   */
  stickyRight?: boolean;
}

const STICKY_RIGHT = "sticky right-0 bg-white shadow-[-6px_0_6px_-6px_rgba(15,23,42,0.25)]";

export interface GroupOption<T> {
  id: string;
  label: string;
  value: (row: T) => string;
}

export interface Selection {
  state: RowSelectionState;
  onChange: (next: RowSelectionState) => void;
}

/** Rows kept in the DOM beyond the visible ones, each way. */
const OVERSCAN = 6;
/**
 * A row's height for the virtualizer. Rows are not measured: they sit in the table's normal
 * flow between two spacer rows, so a row a few pixels taller only moves the spacers' sum, and
 * skipping the measurement (a ResizeObserver per row) keeps fast scrolling cheap.
 */
const ROW_ESTIMATE = 49;

export function DataTable<T extends RowData>({
  label,
  rows,
  rowId,
  rowLabel,
  columns,
  urlPrefix = "",
  groups,
  selection,
  rowAttributes,
  defaultSort,
  toolbar,
  empty,
  loading,
  onVisibleRows,
}: {
  /** The table's accessible name. */
  label: string;
  rows: readonly T[] | undefined;
  rowId: (row: T) => string;
  /** What a row is called in its checkbox's label ("Select web-1"); needed with `selection`. */
  rowLabel?: (row: T) => string;
  columns: DataColumn<T>[];
  /** Prefix of the URL parameters, for pages with several tables. */
  urlPrefix?: string;
  groups?: GroupOption<T>[];
  selection?: Selection;
  rowAttributes?: (row: T) => { "data-testid"?: string; className?: string };
  defaultSort?: { id: string; desc?: boolean };
  /** Controls shown beside the search box (filters, bulk actions). */
  toolbar?: React.ReactNode;
  empty?: React.ReactNode;
  loading?: boolean;
  /** The rows on screen (and the few kept beyond), whenever they change: what the push stream should carry. */
  onVisibleRows?: (rows: T[]) => void;
}) {
  const t = useTranslations("table");
  const searchId = useId();
  const [query, setQuery] = useUrlParam(`${urlPrefix}q`);
  const [sortParam, setSortParam] = useUrlParam(`${urlPrefix}sort`);
  const [groupParam, setGroupParam] = useUrlParam(`${urlPrefix}group`);
  const group = groups?.find((g) => g.id === groupParam) ?? null;

  const sorting = useMemo<SortingState>(() => parseSort(sortParam, defaultSort), [sortParam, defaultSort]);
  const defs = useMemo(() => toColumnDefs(columns), [columns]);
  const data = useMemo(() => rows ?? EMPTY, [rows]) as T[];

  const table = useTable({
    features,
    columns: defs as ColumnDef<Features, T>[],
    data,
    getRowId: (row: T) => rowId(row),
    state: { sorting, globalFilter: query, rowSelection: selection?.state ?? NO_SELECTION },
    onSortingChange: (updater) => {
      const next = typeof updater === "function" ? updater(sorting) : updater;
      setSortParam(formatSort(next, defaultSort));
    },
    onGlobalFilterChange: (updater) => setQuery(String(typeof updater === "function" ? updater(query) : (updater ?? ""))),
    onRowSelectionChange: (updater) => {
      if (!selection) return;
      selection.onChange(typeof updater === "function" ? updater(selection.state) : updater);
    },
    globalFilterFn: "includesString",
    enableSortingRemoval: true,
    enableMultiSort: false,
  });

  const sortedRows = table.getRowModel().rows;
  const items = useMemo(() => withGroups(sortedRows, group), [sortedRows, group]);

  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: items.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_ESTIMATE,
    getItemKey: (i) => items[i].key,
    overscan: OVERSCAN,
  });
  const virtual = virtualizer.getVirtualItems();
  const visibleKey = virtual.map((v) => items[v.index]?.key ?? "").join("\u0000");
  const onVisible = useRef(onVisibleRows);
  useEffect(() => {
    onVisible.current = onVisibleRows;
  });
  useEffect(() => {
    if (!onVisible.current) return;
    const shown: T[] = [];
    for (const v of virtual) {
      const item = items[v.index];
      if (item?.kind === "row") shown.push(item.row.original);
    }
    onVisible.current(shown);
    // visibleKey says when the rows on screen changed (virtual and items are new each render).
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [visibleKey]);
  const padTop = virtual.length ? virtual[0].start : 0;
  const padBottom = virtual.length ? virtualizer.getTotalSize() - virtual[virtual.length - 1].end : 0;
  const colSpan = columns.length + (selection ? 1 : 0);

  const selectRows = (ids: string[], on: boolean) => {
    if (!selection) return;
    const next = { ...selection.state };
    for (const id of ids) {
      if (on) next[id] = true;
      else delete next[id];
    }
    selection.onChange(next);
  };
  const shownIds = sortedRows.map((r) => r.id);
  const selectedShown = selection ? shownIds.filter((id) => selection.state[id]).length : 0;

  return (
    <div className="card space-y-0 p-0">
      <div className="flex flex-wrap items-end gap-2 border-b border-slate-100 p-3">
        <div className="min-w-0 flex-1 basis-48">
          <label className="sr-only" htmlFor={searchId}>{t("search")}</label>
          <input
            id={searchId}
            type="search"
            className="input"
            placeholder={t("searchPlaceholder")}
            value={query}
            onChange={(e) => table.setGlobalFilter(e.target.value)}
            autoComplete="off"
          />
        </div>
        {groups && groups.length > 0 && (
          <div className="flex items-center gap-2">
            <label className="text-sm text-slate-600" htmlFor={`${searchId}-group`}>{t("groupBy")}</label>
            <select id={`${searchId}-group`} className="input w-auto" value={group?.id ?? ""} onChange={(e) => setGroupParam(e.target.value)}>
              <option value="">{t("noGrouping")}</option>
              {groups.map((g) => (
                <option key={g.id} value={g.id}>{g.label}</option>
              ))}
            </select>
          </div>
        )}
        {toolbar}
        <span className="ml-auto text-xs text-slate-500" data-testid="table-count">
          {rows && (query ? t("matches", { shown: sortedRows.length, total: data.length }) : t("count", { total: data.length }))}
        </span>
      </div>
      <div ref={scrollRef} className="max-h-[75vh] overflow-auto">
        <table className="table" aria-label={label} aria-rowcount={items.length + 1}>
          <thead className="sticky top-0 z-10 bg-white">
            {/* Rows carry aria-rowindex: with virtualization most rows are not in the DOM. */}
            <tr aria-rowindex={1}>
              {selection && (
                <th className="w-8">
                  <input
                    type="checkbox"
                    aria-label={t("selectAll")}
                    checked={shownIds.length > 0 && selectedShown === shownIds.length}
                    ref={(el) => {
                      if (el) el.indeterminate = selectedShown > 0 && selectedShown < shownIds.length;
                    }}
                    onChange={(e) => selectRows(shownIds, e.target.checked)}
                  />
                </th>
              )}
              {table.getHeaderGroups()[0].headers.map((header) => {
                const col = columns[header.index];
                const sorted = header.column.getIsSorted();
                return (
                  <th
                    key={header.id}
                    aria-sort={sorted === "asc" ? "ascending" : sorted === "desc" ? "descending" : undefined}
                    className={`whitespace-nowrap ${col.stickyRight ? STICKY_RIGHT : ""}`}
                  >
                    {col.hideHeader ? (
                      <span className="sr-only">{col.header}</span>
                    ) : header.column.getCanSort() ? (
                      <button type="button" className="inline-flex items-center gap-1 hover:text-slate-900" onClick={header.column.getToggleSortingHandler()}>
                        {col.header}
                        <span aria-hidden className="w-3 text-xs">{sorted === "asc" ? "▲" : sorted === "desc" ? "▼" : ""}</span>
                      </button>
                    ) : (
                      col.header
                    )}
                  </th>
                );
              })}
            </tr>
          </thead>
          <tbody>
            {padTop > 0 && <tr aria-hidden style={{ height: padTop }} />}
            {virtual.map((v) => {
              const item = items[v.index];
              if (item.kind === "group") {
                const ids = item.rows.map((r) => r.id);
                const on = selection ? ids.filter((id) => selection.state[id]).length : 0;
                return (
                  <tr key={item.key} data-index={v.index} aria-rowindex={v.index + 2} className="bg-slate-50" data-group={item.name}>
                    <td colSpan={colSpan} className="py-1.5 text-xs font-semibold uppercase tracking-wide text-slate-600">
                      <span className="inline-flex items-center gap-2">
                        {selection && (
                          <input
                            type="checkbox"
                            aria-label={t("selectGroup", { name: item.name || t("none") })}
                            checked={on === ids.length}
                            onChange={(e) => selectRows(ids, e.target.checked)}
                          />
                        )}
                        {item.name || t("none")} <span className="font-normal text-slate-400">({ids.length})</span>
                      </span>
                    </td>
                  </tr>
                );
              }
              const row = item.row;
              const attrs = rowAttributes?.(row.original);
              return (
                <tr key={item.key} data-index={v.index} aria-rowindex={v.index + 2} data-testid={attrs?.["data-testid"]} className={attrs?.className}>
                  {selection && (
                    <td className="w-8">
                      <input
                        type="checkbox"
                        aria-label={t("selectRow", { name: rowLabel?.(row.original) ?? row.id })}
                        checked={!!selection.state[row.id]}
                        onChange={(e) => selectRows([row.id], e.target.checked)}
                      />
                    </td>
                  )}
                  {row.getAllCells().map((cell, i) => (
                    <td key={cell.id} className={`${columns[i].className ?? ""} ${columns[i].stickyRight ? STICKY_RIGHT : ""}`} data-column={columns[i].id}>
                      <table.FlexRender cell={cell} />
                    </td>
                  ))}
                </tr>
              );
            })}
            {padBottom > 0 && <tr aria-hidden style={{ height: padBottom }} />}
          </tbody>
        </table>
        {loading && <p className="p-4 text-sm text-slate-500">{t("loading")}</p>}
        {!loading && rows && sortedRows.length === 0 && <div className="p-4 text-sm text-slate-500">{data.length === 0 ? empty : t("noMatches")}</div>}
      </div>
    </div>
  );
}

const EMPTY: never[] = [];
const NO_SELECTION: RowSelectionState = {};

type Item<T extends RowData> = { kind: "row"; key: string; row: Row<Features, T> } | { kind: "group"; key: string; name: string; rows: Row<Features, T>[] };

/** Sorted rows, split into runs by group (groups in name order), each run under a header item. */
function withGroups<T extends RowData>(rows: Row<Features, T>[], group: GroupOption<T> | null): Item<T>[] {
  if (!group) return rows.map((row) => ({ kind: "row", key: row.id, row }));
  const byName = new Map<string, Row<Features, T>[]>();
  for (const row of rows) {
    const name = group.value(row.original);
    const list = byName.get(name);
    if (list) list.push(row);
    else byName.set(name, [row]);
  }
  const items: Item<T>[] = [];
  for (const name of [...byName.keys()].sort((a, b) => a.localeCompare(b))) {
    const members = byName.get(name)!;
    items.push({ kind: "group", key: `\u0000group:${name}`, name, rows: members });
    for (const row of members) items.push({ kind: "row", key: row.id, row });
  }
  return items;
}

function toColumnDefs<T extends RowData>(columns: DataColumn<T>[]): ColumnDef<Features, T, CellValue>[] {
  return columns.map((c) => ({
    id: c.id,
    header: c.header,
    // Missing values (a server that never reported) sort after every real one, either way.
    accessorFn: (row: T) => c.value?.(row) ?? undefined,
    cell: (ctx: { row: { original: T } }) => c.cell(ctx.row.original),
    enableSorting: !!c.value,
    enableGlobalFilter: !!c.search,
    sortUndefined: "last" as const,
  })) as ColumnDef<Features, T, CellValue>[];
}

/** "cpu.desc" ⇄ [{ id: "cpu", desc: true }]; the default sort leaves the parameter out. */
function parseSort(param: string, fallback?: { id: string; desc?: boolean }): SortingState {
  if (param === "none") return [];
  const m = /^([\w-]+)\.(asc|desc)$/.exec(param);
  if (m) return [{ id: m[1], desc: m[2] === "desc" }];
  return fallback ? [{ id: fallback.id, desc: !!fallback.desc }] : [];
}

function formatSort(sorting: SortingState, fallback?: { id: string; desc?: boolean }): string {
  const first = sorting[0];
  if (!first) return fallback ? "none" : "";
  if (fallback && first.id === fallback.id && first.desc === !!fallback.desc) return "";
  return `${first.id}.${first.desc ? "desc" : "asc"}`;
}
