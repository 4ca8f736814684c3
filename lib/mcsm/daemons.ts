import { db } from "../db";
import { singleton } from "../global";
import { isOnline, live, type LiveEntry } from "../fleet/live";
import { ApiError } from "../dialects/common";
import { daemonSystemOf, runningCount } from "./shape";

/**
 * Daemons (every Fleetdeck server, seen the MCSManager way), answered from live state: nothing
 * here asks an agent, so a hung daemon costs nothing and latency does not grow with their number.
 */

/** Daemon uuid (the server's agentId) → entry, rebuilt only when servers are added/removed/edited. */
const byUuid = singleton("mcsmDaemonsByUuid", () => ({ metaGeneration: -1, map: new Map<string, LiveEntry>() }));

export function findDaemon(uuid: string): LiveEntry | undefined {
  if (byUuid.metaGeneration !== live.metaGeneration) {
    byUuid.map = new Map(live.all().map((e) => [e.meta.agentId, e]));
    byUuid.metaGeneration = live.metaGeneration;
  }
  return byUuid.map.get(uuid);
}

/** The daemon a request names, or MCSManager-style 404. */
export function requireDaemon(uuid: string): LiveEntry {
  const e = findDaemon(uuid);
  if (!e) throw new ApiError(404, `Daemon not found: ${uuid}`);
  return e;
}

// ---- instance totals --------------------------------------------------------------------------

/**
 * How many instances each server defines. The database is the source of truth (an offline
 * daemon still has its instances), but counting per request would put a query on the hot path:
 * the counts are kept here, refreshed in the background at most every REFRESH_MS and at once
 * after a change made through this panel (`definitionsChanged`).
 */
const REFRESH_MS = 2_000;
const totals = singleton("mcsmInstanceTotals", () => ({
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

/** Called after an instance is created or deleted here, so the next answer counts it. */
export async function definitionsChanged(): Promise<void> {
  await totals.loading?.catch(() => undefined);
  await refreshTotals();
}

export function instanceCounts(e: LiveEntry): { running: number; total: number } {
  const running = runningCount(e.instances);
  // An agent may still run an instance the panel just deleted: never show running > total.
  return { running, total: Math.max(totals.counts.get(e.meta.id) ?? 0, running) };
}

// ---- remote_services_system, pre-serialized -------------------------------------------------------

/**
 * Each daemon's JSON fragment is cached by (entry version, its counts, its availability): being
 * online depends on the clock, not only on reports. The whole array is reused for at most
 * ANSWER_STALENESS_MS while reports stream in (never across an added/removed/edited server or a
 * changed instance count), so a request costs a string concatenation whatever the fleet's size.
 */
const ANSWER_STALENESS_MS = 500;
const fragments = singleton("mcsmSystemFragments", () => new Map<number, { key: string; json: string }>());
const answer = singleton("mcsmSystemAnswer", () => ({ metaGeneration: -1, totalsVersion: -1, generation: -1, at: 0, body: "[]" }));

function fragment(e: LiveEntry, now: number): string {
  const counts = instanceCounts(e);
  const key = `${e.version}:${counts.running}/${counts.total}:${isOnline(e, now) ? 1 : 0}`;
  const hit = fragments.get(e.meta.id);
  if (hit && hit.key === key) return hit.json;
  const json = JSON.stringify(daemonSystemOf(e, counts, now));
  fragments.set(e.meta.id, { key, json });
  return json;
}

/** The `data` array of remote_services_system, serialized. */
export function remoteServicesSystemJson(now = Date.now()): string {
  const a = answer;
  if (
    a.metaGeneration === live.metaGeneration &&
    a.totalsVersion === totals.version &&
    (a.generation === live.generation ? now - a.at < ANSWER_STALENESS_MS * 2 : now - a.at < ANSWER_STALENESS_MS)
  ) {
    return a.body;
  }
  const entries = live.all();
  if (fragments.size > entries.length * 2 + 100) fragments.clear();
  a.body = `[${entries.map((e) => fragment(e, now)).join(",")}]`;
  a.metaGeneration = live.metaGeneration;
  a.totalsVersion = totals.version;
  a.generation = live.generation;
  a.at = now;
  return a.body;
}

/** A whole MCSManager envelope around already-serialized data: only `time` changes per request. */
export function mcsmRaw(dataJson: string, status = 200): string {
  return `{"status":${status},"data":${dataJson},"time":${Date.now()}}`;
}
