import { LRUCache } from "lru-cache";
import { singleton } from "../global";

/**
 * Every cache authentication keeps (sessions, users, tokens, hot answers) is one of these: bounded
 * by entry count AND by bytes (keys are attacker-chosen: a flood of 4 KB garbage cookies must not
 * grow memory without end), least recently used evicted first. All of them are registered here so
 * a revocation (lib/auth/revocation.ts) can drop every one at once, in every module copy of the
 * process (the registry hangs off globalThis).
 */
const registry = singleton("authCaches", () => new Map<string, LRUCache<string | number, object>>());

/** A rough size of an entry: its key's characters plus a fixed cost for the value's object. */
const sizeOf = (key: string | number, valueBytes: number) => (typeof key === "string" ? key.length : 8) + valueBytes;

export function authCache<K extends string | number, V extends object>(
  name: string,
  opts: { max: number; maxBytes: number; valueBytes?: number },
): LRUCache<K, V> {
  return registry.get(name) as LRUCache<K, V> | undefined ?? register(name, opts);
}

function register<K extends string | number, V extends object>(name: string, opts: { max: number; maxBytes: number; valueBytes?: number }) {
  const valueBytes = opts.valueBytes ?? 200;
  const cache = new LRUCache<K, V>({ max: opts.max, maxSize: opts.maxBytes, sizeCalculation: (_v, k) => sizeOf(k, valueBytes) });
  registry.set(name, cache as unknown as LRUCache<string | number, object>);
  return cache;
}

/** Drops every authentication cache of this process (a revocation happened somewhere). */
export function clearAuthCaches(): void {
  for (const cache of registry.values()) cache.clear();
}
