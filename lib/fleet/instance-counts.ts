import { db } from "../db";
import { singleton } from "../global";
import type { LiveEntry } from "./live";

/**
 * How many instances each server defines. The database is the source of truth (an offline
 * machine still has its instances), but counting per request would put a query on the hot path
 * of daemon lists: the counts are kept here, refreshed in the background at most every REFRESH_MS
 * and at once after a change made through this panel (`definitionsChanged`).
 */
const REFRESH_MS = 2_000;
const totals = singleton("instanceTotals", () => ({
  counts: new Map<number, number>(),
  version: 0,
  at: 0,
  loading: null as Promise<void> | null,
}));

function refreshTotals(): Promise<void> {
  return (totals.loading ??= db.instance
    .groupBy({ by: ["serverId"], _count: { _all: true } })
    .then((rows) => {
      const next = new Map(rows.map((r) => [r.serverId, r._count._all]));
      const same = next.size === totals.counts.size && [...next].every(([k, v]) => totals.counts.get(k) === v);
      if (!same) {
        totals.counts = next;
        totals.version++;
      }
      totals.at = Date.now();
    })
    .catch(() => undefined)
    .finally(() => {
      totals.loading = null;
    }));
}

/** Makes sure the counts are loaded (first call waits; later calls refresh in the background). */
export async function ensureTotals(): Promise<void> {
  if (totals.at === 0) await refreshTotals();
  else if (Date.now() - totals.at > REFRESH_MS) void refreshTotals();
}

/** Bumped whenever a count changes: keys caches of answers that show counts. */
export function totalsVersion(): number {
  return totals.version;
}

/** Called after an instance is created or deleted here, so the next answer counts it. */
export async function definitionsChanged(): Promise<void> {
  await totals.loading?.catch(() => undefined);
  await refreshTotals();
}

/** Instances whose process is alive (MCSManager counts every state but stopped as running). */
export function runningCount(instances: LiveEntry["instances"]): number {
  let n = 0;
  for (const i of instances) if (i.status !== "stopped") n++;
  return n;
}

export function instanceCounts(e: LiveEntry): { running: number; total: number } {
  const running = runningCount(e.instances);
  // An agent may still run an instance the panel just deleted: never show running > total.
  return { running, total: Math.max(totals.counts.get(e.meta.id) ?? 0, running) };
}
