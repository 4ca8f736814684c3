import { singleton } from "../global";

/**
 * Failed sign-ins per key (an address or an account) in a sliding window. A key with `limit`
 * failures in the last `windowMs` is refused until the oldest of them leaves the window.
 */
export class FailureThrottle {
  private failures = new Map<string, number[]>();
  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  /** Milliseconds until `key` may try again; 0 when it may now. */
  retryAfter(key: string, now = Date.now()): number {
    const list = this.recent(key, now);
    return list.length >= this.limit ? list[0] + this.windowMs - now : 0;
  }

  fail(key: string, now = Date.now()): void {
    const list = this.recent(key, now);
    list.push(now);
    this.failures.set(key, list);
    if (this.failures.size > 10_000) this.sweep(now);
  }

  reset(key: string): void {
    this.failures.delete(key);
  }

  private recent(key: string, now: number): number[] {
    return (this.failures.get(key) ?? []).filter((t) => t > now - this.windowMs);
  }

  private sweep(now: number): void {
    for (const [key, list] of this.failures) {
      if (!list.some((t) => t > now - this.windowMs)) this.failures.delete(key);
    }
  }
}

export const loginThrottle = singleton("loginThrottle", () => new FailureThrottle(10, 60_000));
