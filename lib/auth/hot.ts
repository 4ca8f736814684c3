import { authCache } from "./cache";

/**
 * The last answer of authentication for each recently presented token, keyed by the token as
 * sent: a script calling again costs one Map lookup instead of hashing the token and rebuilding
 * its principal (the bench/auth-overhead.mjs budget is a few percent of a ~30 µs route). Entries
 * live at most as long as the user cache (5 s) and are all dropped whenever any token or user
 * changes (lib/auth/revocation.ts: in any process), so a deleted token, a disabled owner or a new role applies at the next request. The
 * keys are secrets: this map is never logged, listed or serialised, and holds them no longer
 * than an entry lives.
 */
export interface HotEntry<T> {
  until: number;
  tokenId: number;
  /** Answers per carrier (an outcome names its carrier). */
  byCarrier: Record<string, T>;
}

export const HOT_AUTH_MAX = 10_000;

export const hotAuth = authCache<string, HotEntry<unknown>>("hotAuth", { max: HOT_AUTH_MAX, maxBytes: 8 * 1024 * 1024, valueBytes: 400 });

export function clearHotAuth(): void {
  hotAuth.clear();
}
