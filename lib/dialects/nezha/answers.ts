import type { Principal } from "../../auth/principal";
import { live, type LiveEntry } from "../../fleet/live";
import { canList, scopeKey } from "../../fleet/policy";
import { BoundedCache } from "../../bounded-cache";
import { singleton } from "../../global";
import { EncodedAnswer } from "../../http/encoded";
import { detailsItemOf, listItemOf } from "./shapes";

type Kind = "list" | "details";

/**
 * Pre-serialized answers. Each server's JSON fragment is cached by the entry's version, and each
 * whole answer by the store's generation; under constant reports a whole answer is reused for at
 * most STATE_STALENESS_MS (never across an added, removed or edited server), so the cost of a
 * request does not grow with the number of reporting agents.
 */
const STATE_STALENESS_MS = 500;

interface Cached {
  generation: number;
  metaGeneration: number;
  at: number;
  /** The body with its compressed forms, made once per cached answer (lib/http/encoded.ts). */
  answer: EncodedAnswer;
}

const fragments = singleton("nezhaFragments", () => new Map<string, { version: number; json: string }>());
/**
 * Keys come from requests (arbitrary id lists and tags), so whole answers are bounded by count and
 * by bytes (an answer about a large fleet is megabytes).
 */
const answers = singleton("nezhaAnswers", () => new BoundedCache<Cached>({ maxEntries: 1000, maxBytes: 32 * 1024 * 1024 }, (c) => 3 * c.answer.bytes.length + 64));

function fragment(kind: Kind, e: LiveEntry): string {
  const key = `${kind}:${e.meta.id}`;
  const hit = fragments.get(key);
  if (hit && hit.version === e.version) return hit.json;
  const json = JSON.stringify(kind === "list" ? listItemOf(e) : detailsItemOf(e));
  fragments.set(key, { version: e.version, json });
  if (fragments.size > 4 * live.all().length + 1000) fragments.clear();
  return json;
}

const EMPTY = `{"code":0,"message":"success","result":[]}`;
const EMPTY_ANSWER = new EncodedAnswer(EMPTY);

export type Selection = { ids: number[] } | { tag: string };

/**
 * `id` (a comma list, order kept, unknown and unparseable ids skipped) wins over `tag` (exact,
 * case-sensitive; empty = every server), as the Nezha document says.
 */
export function parseSelection(query: URLSearchParams, allowIds: boolean): Selection {
  const id = query.get("id");
  if (allowIds && id !== null && id !== "") {
    const seen = new Set<number>();
    for (const part of id.split(",", 10_001)) {
      const n = /^\d{1,15}$/.test(part.trim()) ? Number(part.trim()) : NaN;
      if (Number.isSafeInteger(n) && n > 0) seen.add(n);
      if (seen.size >= 10_000) break;
    }
    return { ids: [...seen] };
  }
  return { tag: query.get("tag") ?? "" };
}

/** The selected servers the principal may list (the access policy decides, as for every door). */
function select(p: Principal, whole: boolean, sel: Selection): LiveEntry[] {
  const visible = (e: LiveEntry) => whole || canList(p, e.meta);
  if ("ids" in sel) return sel.ids.map((id) => live.get(id)).filter((e): e is LiveEntry => !!e && visible(e));
  return live.all().filter((e) => (sel.tag === "" || e.meta.tag === sel.tag) && visible(e));
}

/** Longest id list kept as a cache key; longer selections are answered without caching. */
const MAX_KEY_CHARS = 2_000;

/**
 * The whole `{code, message, result}` body, serialized. Answers are cached per (scope, kind,
 * selection): principals who may list the same machines share them, so an admin's dashboard and
 * a restricted user's never mix. The cache is bounded by count and bytes; arbitrary long id lists
 * are not cached at all (nor compressed: that would cost a compression per request).
 */
export function nezhaAnswer(p: Principal, kind: Kind, sel: Selection): EncodedAnswer | string {
  const scope = scopeKey(p);
  const selKey = "ids" in sel ? `id=${sel.ids.join(",")}` : `tag=${sel.tag}`;
  const key = `${scope}|${kind}:${selKey}`;
  const cacheable = key.length <= MAX_KEY_CHARS;
  const now = Date.now();
  const hit = cacheable ? answers.get(key) : undefined;
  if (hit && hit.metaGeneration === live.metaGeneration && (hit.generation === live.generation || now - hit.at < STATE_STALENESS_MS)) {
    return hit.answer;
  }
  if (scope === "-") return EMPTY_ANSWER;
  const body = `{"code":0,"message":"success","result":[${select(p, scope === "*", sel).map((e) => fragment(kind, e)).join(",")}]}`;
  if (!cacheable) return body;
  const answer = new EncodedAnswer(body);
  answers.set(key, { generation: live.generation, metaGeneration: live.metaGeneration, at: now, answer });
  return answer;
}
