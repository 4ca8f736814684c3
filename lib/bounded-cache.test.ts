import { describe, expect, it } from "vitest";
import { BoundedCache } from "./bounded-cache";

const strings = () => new BoundedCache<string>({ maxEntries: 3, maxBytes: 1000 }, (v) => 2 * v.length);

describe("BoundedCache", () => {
  it("keeps at most maxEntries, dropping the least recently used", () => {
    const c = strings();
    for (const k of ["a", "b", "c"]) c.set(k, k);
    expect(c.get("a")).toBe("a"); // a is now the most recent
    c.set("d", "d");
    expect(c.size).toBe(3);
    expect(c.get("b")).toBeUndefined();
    expect(["a", "c", "d"].map((k) => c.get(k))).toEqual(["a", "c", "d"]);
  });

  it("keeps at most maxBytes, counting keys and values", () => {
    const c = new BoundedCache<string>({ maxEntries: 1000, maxBytes: 1000 }, (v) => 2 * v.length);
    for (let i = 0; i < 100; i++) c.set(`k${i}`, "x".repeat(100));
    expect(c.bytes).toBeLessThanOrEqual(1000);
    expect(c.size).toBeGreaterThan(0);
    expect(c.get("k99")).toBe("x".repeat(100));
    expect(c.get("k0")).toBeUndefined();
  });

  it("does not keep an entry larger than a quarter of the bytes", () => {
    const c = strings();
    c.set("small", "s");
    c.set("huge", "x".repeat(200));
    expect(c.get("huge")).toBeUndefined();
    expect(c.get("small")).toBe("s");
  });

  it("accounts replaced and deleted entries", () => {
    const c = strings();
    c.set("a", "x".repeat(50));
    c.set("a", "y");
    expect(c.bytes).toBe(2 + 2);
    c.delete("a");
    expect(c.bytes).toBe(0);
    expect(c.size).toBe(0);
  });
});
