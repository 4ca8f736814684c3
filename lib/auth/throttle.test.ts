import { describe, expect, it } from "vitest";
import { FailureThrottle } from "./throttle";

describe("FailureThrottle", () => {
  it("allows up to the limit, then refuses until the window has passed", () => {
    const t = new FailureThrottle(3, 60_000);
    for (let i = 0; i < 3; i++) {
      expect(t.retryAfter("ip:1", 1000 + i)).toBe(0);
      t.fail("ip:1", 1000 + i);
    }
    expect(t.retryAfter("ip:1", 2000)).toBe(1000 + 60_000 - 2000);
    expect(t.retryAfter("ip:2", 2000)).toBe(0);
    expect(t.retryAfter("ip:1", 61_001)).toBe(0);
  });

  it("forgets an account's failures on reset", () => {
    const t = new FailureThrottle(1, 60_000);
    t.fail("user:a", 0);
    expect(t.retryAfter("user:a", 1)).toBeGreaterThan(0);
    t.reset("user:a");
    expect(t.retryAfter("user:a", 1)).toBe(0);
  });
});
