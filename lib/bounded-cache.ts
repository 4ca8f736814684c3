/**
 * A cache bounded by entry count and by bytes, least recently used out first. For caches whose
 * keys come from requests (an attacker chooses how many there are and how large): a bound on the
 * count alone lets a few huge entries take the memory, a bound on bytes alone lets millions of
 * tiny ones take the CPU of a Map that never shrinks.
 */
export class BoundedCache<V> {
  private readonly map = new Map<string, { value: V; cost: number }>();
  private total = 0;

  constructor(
    private readonly limits: { maxEntries: number; maxBytes: number },
    /** What a value costs in bytes, beyond its key. */
    private readonly sizeOf: (value: V) => number,
  ) {}

  get(key: string): V | undefined {
    const hit = this.map.get(key);
    if (!hit) return undefined;
    // Most recently used goes last, so eviction takes the coldest.
    this.map.delete(key);
    this.map.set(key, hit);
    return hit.value;
  }

  set(key: string, value: V): void {
    this.delete(key);
    // JS strings take up to two bytes a character.
    const cost = 2 * key.length + this.sizeOf(value);
    // One entry never crowds out most of the others: it is simply not kept.
    if (cost > this.limits.maxBytes / 4) return;
    this.map.set(key, { value, cost });
    this.total += cost;
    for (const oldest of this.map.keys()) {
      if (this.map.size <= this.limits.maxEntries && this.total <= this.limits.maxBytes) break;
      this.delete(oldest);
    }
  }

  delete(key: string): void {
    const old = this.map.get(key);
    if (!old) return;
    this.map.delete(key);
    this.total -= old.cost;
  }

  clear(): void {
    this.map.clear();
    this.total = 0;
  }

  get size(): number {
    return this.map.size;
  }

  get bytes(): number {
    return this.total;
  }
}
