import { describe, expect, it } from "vitest";
import { countryOf } from "./geo";

describe("countryOf (the shipped country database)", () => {
  it("names the country of public addresses, IPv4, IPv6 and IPv4-mapped", () => {
    expect(countryOf("8.8.8.8")).toBe("US");
    expect(countryOf("::ffff:8.8.8.8")).toBe("US");
    expect(countryOf("2001:4860:4860::8888")).toBe("US");
    expect(countryOf("81.2.69.142")).toBe("GB");
  });
  it("is empty for private, loopback, link-local and unparseable addresses", () => {
    for (const a of ["127.0.0.1", "::1", "10.1.2.3", "192.168.0.5", "172.16.0.1", "169.254.1.1", "fe80::1", "fd00::1", "::ffff:127.0.0.1", "", "nonsense"]) {
      expect(countryOf(a), a).toBe("");
    }
  });
});
