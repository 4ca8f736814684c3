import { afterEach, describe, expect, it } from "vitest";
import { clientAddress } from "./address";

const KEY = Symbol.for("fleetdeck.config");
function trust(value: string) {
  (globalThis as Record<symbol, unknown>)[KEY] = { TRUST_PROXY: value };
}
afterEach(() => delete (globalThis as Record<symbol, unknown>)[KEY]);

describe("clientAddress", () => {
  it("ignores X-Forwarded-For unless TRUST_PROXY says so", () => {
    for (const v of ["", "0", "false"]) {
      trust(v);
      expect(clientAddress("::ffff:10.1.2.3", "203.0.113.5")).toBe("10.1.2.3");
    }
  });

  it("with 1, believes the address the direct peer appended", () => {
    trust("1");
    expect(clientAddress("10.0.0.2", "198.51.100.1, 203.0.113.5")).toBe("203.0.113.5");
    expect(clientAddress("10.0.0.2", "garbage")).toBe("10.0.0.2");
  });

  it("with a list, walks past trusted proxies only, IPv4 and IPv6", () => {
    trust("10.0.0.0/8, fd00::/8");
    expect(clientAddress("10.0.0.2", "198.51.100.1, 203.0.113.5, 10.9.9.9")).toBe("203.0.113.5");
    expect(clientAddress("fd00::1", "2001:db8::7")).toBe("2001:db8::7");
    // A peer outside the list is the client, whatever it claims.
    expect(clientAddress("192.0.2.1", "203.0.113.5")).toBe("192.0.2.1");
    expect(clientAddress("10.0.0.2", undefined)).toBe("10.0.0.2");
  });
});
