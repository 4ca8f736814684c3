import { singleton } from "../../global";
import { EncodedAnswer, TickCache } from "../../http/encoded";
import { instanceCounts, totalsVersion } from "../../fleet/instance-counts";
import { isOnline, live, type LiveEntry } from "../../fleet/live";
import { notFound } from "../../fleet/errors";
import { daemonSystemOf } from "./shapes";

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
  if (!e) throw notFound("server", `Daemon not found: ${uuid}`);
  return e;
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

/**
 * The `data` array of remote_services_system, serialized. Daemons that are not online are left
 * out, as MCSManager leaves out every daemon it cannot ask (`remote_services` and
 * `remote_services_list` keep them, with `available: false`); typed clients reject an entry
 * with zeroed system values.
 */
export function remoteServicesSystemJson(now = Date.now()): string {
  const a = answer;
  if (
    a.metaGeneration === live.metaGeneration &&
    a.totalsVersion === totalsVersion() &&
    (a.generation === live.generation ? now - a.at < ANSWER_STALENESS_MS * 2 : now - a.at < ANSWER_STALENESS_MS)
  ) {
    return a.body;
  }
  const entries = live.all();
  if (fragments.size > entries.length * 2 + 100) fragments.clear();
  const parts: string[] = [];
  for (const e of entries) if (isOnline(e, now)) parts.push(fragment(e, now));
  a.body = `[${parts.join(",")}]`;
  a.metaGeneration = live.metaGeneration;
  a.totalsVersion = totalsVersion();
  a.generation = live.generation;
  a.at = now;
  return a.body;
}

/** A whole MCSManager envelope around already-serialized data: only `time` changes per request. */
export function mcsmRaw(dataJson: string, status = 200): string {
  return `{"status":${status},"data":${dataJson},"time":${Date.now()}}`;
}

/**
 * A whole MCSManager envelope around cached data, as an EncodedAnswer, so the compressed form is
 * made once per cached data string rather than per request. Its `time` is when the envelope was
 * built (at most a tick old, as the data is), which is what lets one compressed body serve
 * every request of the tick.
 */
const envelopes = singleton("mcsmEnvelopes", () => new Map<string, { data: string; answer: EncodedAnswer }>());

export function mcsmEncoded(key: string, dataJson: string): EncodedAnswer {
  const hit = envelopes.get(key);
  // The cached data strings are the same objects until rebuilt: this compares references first.
  if (hit && hit.data === dataJson) return hit.answer;
  if (envelopes.size >= 100) envelopes.clear();
  const answer = new EncodedAnswer(mcsmRaw(dataJson));
  envelopes.set(key, { data: dataJson, answer });
  return answer;
}

/** The MCSManager answers built per request (lists, overview), kept for one tick each. */
export const mcsmTickAnswers = singleton("mcsmTickAnswers", () => new TickCache(1_000, 50));
