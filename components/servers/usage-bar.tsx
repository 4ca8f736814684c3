import { formatPercent } from "./format";

/** A thin percentage bar; its colour warns from 70 % and alarms from 90 %. */
export function UsageBar({ percent, label, detail }: { percent: number | null; label: string; detail?: string }) {
  const p = percent ?? 0;
  const colour = p >= 90 ? "bg-red-500" : p >= 70 ? "bg-amber-500" : "bg-emerald-500";
  return (
    <div className="min-w-28" title={detail}>
      <div className="flex justify-between text-xs text-slate-600">
        <span>{formatPercent(percent)}</span>
        {detail && <span className="ml-2 truncate text-slate-400">{detail}</span>}
      </div>
      <div
        className="mt-0.5 h-1.5 w-full overflow-hidden rounded bg-slate-200"
        role="meter"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent === null ? undefined : Math.round(p)}
      >
        <div className={`h-full ${colour}`} style={{ width: `${p}%` }} />
      </div>
    </div>
  );
}
