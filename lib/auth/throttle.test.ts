import { describe, expect, it } from "vitest";
import { SignInThrottle } from "./throttle";

const opts = { freeFailures: 2, baseDelayMs: 1000, maxDelayMs: 8000, forgetAfterMs: 60_000, addressLimit: 5, addressWindowMs: 60_000 };

describe("SignInThrottle", () => {
  it("lets a pair fail a few times, then makes it wait longer after each failure, up to a ceiling", () => {
    const t = new SignInThrottle({ ...opts, addressLimit: 1000 });
    t.fail("admin", "198.51.100.7", 0);
    t.fail("admin", "198.51.100.7", 0);
    expect(t.retryAfter("admin", "198.51.100.7", 0)).toBe(1000);
    t.fail("admin", "198.51.100.7", 1000);
    expect(t.retryAfter("admin", "198.51.100.7", 1000)).toBe(2000);
    t.fail("admin", "198.51.100.7", 3000);
    expect(t.retryAfter("admin", "198.51.100.7", 3000)).toBe(4000);
    t.fail("admin", "198.51.100.7", 7000);
    expect(t.retryAfter("admin", "198.51.100.7", 7000)).toBe(8000);
    t.fail("admin", "198.51.100.7", 15_000);
    expect(t.retryAfter("admin", "198.51.100.7", 15_000)).toBe(8000);
  });

  it("never locks a username for everyone: the owner's own address is unaffected", () => {
    const t = new SignInThrottle({ ...opts, addressLimit: 1000 });
    for (let i = 0; i < 50; i++) t.fail("admin", "203.0.113.9", i);
    expect(t.retryAfter("admin", "203.0.113.9", 100)).toBeGreaterThan(0);
    expect(t.retryAfter("admin", "192.0.2.1", 100)).toBe(0);
    expect(t.retryAfter("Admin", "203.0.113.9", 100)).toBeGreaterThan(0);
  });

  it("caps one address over all usernames (a password sprayer)", () => {
    const t = new SignInThrottle(opts);
    for (let i = 0; i < 5; i++) t.fail(`user${i}`, "203.0.113.9", 10);
    expect(t.retryAfter("someone-else", "203.0.113.9", 20)).toBe(60_000 - 10);
    expect(t.retryAfter("someone-else", "192.0.2.1", 20)).toBe(0);
    expect(t.retryAfter("someone-else", "203.0.113.9", 60_011)).toBe(0);
  });

  it("forgets a pair on success and after a quiet hour", () => {
    const t = new SignInThrottle(opts);
    for (let i = 0; i < 4; i++) t.fail("a", "192.0.2.1", 0);
    expect(t.retryAfter("a", "192.0.2.1", 1)).toBeGreaterThan(0);
    t.succeed("a", "192.0.2.1");
    expect(t.retryAfter("a", "192.0.2.1", 1)).toBe(0);
    for (let i = 0; i < 4; i++) t.fail("b", "192.0.2.1", 0);
    expect(t.retryAfter("b", "192.0.2.1", 60_001)).toBe(0);
  });
});
