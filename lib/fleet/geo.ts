import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { Reader } from "mmdb-lib";
import { parseAddress } from "../http/address";

/**
 * Country of an address, for Nezha's `CountryCode`: the address the panel sees an agent connect
 * from, looked up in a country-level database shipped in an npm package
 * (@ip-location-db/geo-whois-asn-country-mmdb, CC BY 4.0 data from the NRO — credited in the
 * README), so nothing is downloaded at run time. Private, loopback, link-local and other
 * non-public addresses have no country: "" (as Nezha leaves it).
 */

// mmdb-lib types records as MaxMind's own shapes; this database's record is `{country_code}`.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let reader: Reader<any> | null | undefined;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function database(): Reader<any> | null {
  if (reader !== undefined) return reader;
  try {
    // Resolved at run time (not bundled): the ~8 MB file is read once, on the first lookup.
    // From the panel's directory, not this module's: bundlers move this file, not node_modules.
    const require = createRequire(path.join(process.cwd(), "package.json"));
    const file = require.resolve("@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb");
    reader = new Reader<any>(readFileSync(file));
  } catch (e) {
    console.error("fleetdeck: the GeoIP country database could not be loaded; CountryCode stays empty:", e);
    reader = null;
  }
  return reader;
}

const cache = new Map<string, string>();

/** ISO 3166-1 alpha-2 code of a public address; "" for a private/loopback/unknown one. */
export function countryOf(address: string): string {
  if (!address) return "";
  const hit = cache.get(address);
  if (hit !== undefined) return hit;
  let code = "";
  try {
    const addr = parseAddress(address); // IPv4-mapped IPv6 comes back as IPv4
    if (addr && addr.range() === "unicast") {
      const rec = database()?.get(addr.toString()) as { country_code?: unknown } | null | undefined;
      code = typeof rec?.country_code === "string" ? rec.country_code.toUpperCase() : "";
    }
  } catch {
    code = "";
  }
  // Agents connect from few addresses; the bound only guards against churn.
  if (cache.size > 10_000) cache.clear();
  cache.set(address, code);
  return code;
}
