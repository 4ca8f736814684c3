import { live, type LiveEntry } from "../fleet/live";
import { singleton } from "../global";
import { detailsItemOf, listItemOf } from "./shape";

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
  body: string;
}

const fragments = singleton("nezhaFragments", () => new Map<string, { version: number; json: string }>());
const answers = singleton("nezhaAnswers", () => new Map<string, Cached>());

function fragment(kind: Kind, e: LiveEntry): string {
  const key = `${kind}:${e.meta.id}`;
  const hit = fragments.get(key);
  if (hit && hit.version === e.version) return hit.json;
  const json = JSON.stringify(kind === "list" ? listItemOf(e) : detailsItemOf(e));
  fragments.set(key, { version: e.version, json });
  if (fragments.size > 4 * live.all().length + 1000) fragments.clear();
  return json;
}

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

function select(sel: Selection): LiveEntry[] {
  if ("ids" in sel) return sel.ids.map((id) => live.get(id)).filter((e): e is LiveEntry => !!e);
  return sel.tag === "" ? live.all() : live.all().filter((e) => e.meta.tag === sel.tag);
}

/** The whole `{code, message, result}` body, serialized. */
export function nezhaAnswer(kind: Kind, sel: Selection): string {
  const key = `${kind}:${"ids" in sel ? `id=${sel.ids.join(",")}` : `tag=${sel.tag}`}`;
  const now = Date.now();
  const hit = answers.get(key);
  if (hit && hit.metaGeneration === live.metaGeneration && (hit.generation === live.generation || now - hit.at < STATE_STALENESS_MS)) {
    return hit.body;
  }
  const body = `{"code":0,"message":"success","result":[${select(sel).map((e) => fragment(kind, e)).join(",")}]}`;
  if (answers.size > 1000) answers.clear();
  answers.set(key, { generation: live.generation, metaGeneration: live.metaGeneration, at: now, body });
  return body;
}
