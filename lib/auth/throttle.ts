import { LRUCache } from "lru-cache";
import { singleton } from "../global";

/**
 * Sign-in throttling that a stranger cannot turn against the administrator. Failures are counted
 * per (username, address) pair: a few are free, then each one doubles the wait before that pair
 * may try again. An address also has a ceiling over all usernames (a password sprayer). Nothing
 * is ever counted per username alone, so guessing from elsewhere never locks the real owner out:
 * they sign in from their own address, whose pair has no failures.
 */
export interface ThrottleOptions {
  /** Failures of a pair before the first delay. */
  freeFailures: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A pair's count is forgotten this long after its last failure. */
  forgetAfterMs: number;
  /** Failures from one address (any usernames) within the window before it is refused. */
  addressLimit: number;
  addressWindowMs: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = {
  freeFailures: 3,
  baseDelayMs: 1_000,
  maxDelayMs: 15 * 60_000,
  forgetAfterMs: 60 * 60_000,
  addressLimit: 100,
  addressWindowMs: 15 * 60_000,
};

interface PairState {
  failures: number;
  last: number;
}

export class SignInThrottle {
  // Bounded: an attacker cycling usernames or addresses evicts old entries, never grows memory.
  private pairs = new LRUCache<string, PairState>({ max: 50_000 });
  private addresses = new LRUCache<string, number[]>({ max: 20_000 });

  constructor(readonly opts: ThrottleOptions = DEFAULT_THROTTLE) {}

  private pairKey = (username: string, address: string) => `${address}\n${username.toLowerCase()}`;

  /** The wait after `failures` failures of a pair. */
  delayAfter(failures: number): number {
    const over = failures - this.opts.freeFailures;
    if (over < 0) return 0;
    return Math.min(this.opts.maxDelayMs, this.opts.baseDelayMs * 2 ** Math.min(over, 30));
  }

  /** Milliseconds until this username may be tried from this address; 0 when now. */
  retryAfter(username: string, address: string, now = Date.now()): number {
    const pair = this.pairs.get(this.pairKey(username, address));
    const pairWait = pair && now - pair.last < this.opts.forgetAfterMs ? pair.last + this.delayAfter(pair.failures) - now : 0;
    const recent = this.recent(address, now);
    const addressWait = recent.length >= this.opts.addressLimit ? recent[0] + this.opts.addressWindowMs - now : 0;
    return Math.max(0, pairWait, addressWait);
  }

  fail(username: string, address: string, now = Date.now()): void {
    const key = this.pairKey(username, address);
    const pair = this.pairs.get(key);
    const failures = pair && now - pair.last < this.opts.forgetAfterMs ? pair.failures + 1 : 1;
    this.pairs.set(key, { failures, last: now });
    const recent = this.recent(address, now);
    recent.push(now);
    this.addresses.set(address, recent.slice(-this.opts.addressLimit));
  }

  /** A successful sign-in clears its pair (not the address's ceiling: other names stay counted). */
  succeed(username: string, address: string): void {
    this.pairs.delete(this.pairKey(username, address));
  }

  /** Addresses refused right now for reaching the per-address ceiling (MCSManager's `banips`). */
  blockedAddresses(now = Date.now()): number {
    let n = 0;
    for (const address of this.addresses.keys()) if (this.recent(address, now).length >= this.opts.addressLimit) n++;
    return n;
  }

  private recent(address: string, now: number): number[] {
    return (this.addresses.get(address) ?? []).filter((t) => t > now - this.opts.addressWindowMs);
  }
}

export const loginThrottle = singleton("signInThrottle", () => new SignInThrottle());
