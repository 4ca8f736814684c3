import { z } from "zod";
import { inRanges, parseAddress, parseRange } from "../http/address";

/**
 * A token's limits (least privilege): read-only, some of the APIs, some source addresses. Expiry
 * is the token row's own `expiresAt`. Stored as three columns of ApiToken (readOnly, apis,
 * allowedCidrs); parsed once when the token is read, checked on every request by the guard.
 */
export const API_NAMES = ["nezha", "mcsm", "trmm", "ui"] as const;
export type ApiName = (typeof API_NAMES)[number];

type Range = ReturnType<typeof parseRange>;

export interface TokenScope {
  readOnly: boolean;
  /** null = every API. */
  apis: ApiName[] | null;
  /** null = from anywhere. */
  cidrs: Range[] | null;
}

/** The columns as stored. */
export interface ScopeColumns {
  readOnly: boolean;
  apis: string;
  allowedCidrs: string;
}

const split = (s: string) => s.split(",").map((x) => x.trim()).filter(Boolean);

/** The parsed limits of a stored token, or undefined when it has none (the common, fast case). */
export function scopeOf(row: ScopeColumns): TokenScope | undefined {
  if (!row.readOnly && !row.apis && !row.allowedCidrs) return undefined;
  const cidrs: Range[] = [];
  for (const c of split(row.allowedCidrs)) {
    try {
      cidrs.push(parseRange(c));
    } catch {
      // Validated at creation; a row edited by hand into nonsense matches nothing rather than everything.
    }
  }
  return {
    readOnly: row.readOnly,
    apis: row.apis ? (split(row.apis).filter((a) => (API_NAMES as readonly string[]).includes(a)) as ApiName[]) : null,
    cidrs: row.allowedCidrs ? cidrs : null,
  };
}

export type ScopeRefusal = "read_only" | "api" | "address";

/**
 * Parsed client addresses, so a script calling again from the same address parses nothing (the
 * scope check runs on every request of a limited token). Bounded: cleared when full.
 */
const parsedAddresses = new Map<string, ReturnType<typeof parseAddress>>();
function addressOf(ip: string): ReturnType<typeof parseAddress> {
  let addr = parsedAddresses.get(ip);
  if (addr === undefined) {
    if (parsedAddresses.size >= 4_096) parsedAddresses.clear();
    addr = parseAddress(ip);
    parsedAddresses.set(ip, addr);
  }
  return addr;
}

/** Why a scoped token may not make this request, or null when it may. */
export function scopeRefusal(scope: TokenScope, route: { api: string; acts: boolean }, ip: string): ScopeRefusal | null {
  if (scope.cidrs) {
    const addr = addressOf(ip);
    if (!addr || !inRanges(addr, scope.cidrs)) return "address";
  }
  if (scope.apis && !scope.apis.includes(route.api as ApiName)) return "api";
  if (scope.readOnly && route.acts) return "read_only";
  return null;
}

export const SCOPE_MESSAGES: Record<Exclude<ScopeRefusal, "address">, string> = {
  read_only: "This token is read-only: it cannot call a route that changes or runs anything",
  api: "This token is not allowed to use this API",
};

// ---- input -----------------------------------------------------------------------------------------

/** A list given as a JSON array or a comma-separated string (forms, the CLI). */
const listOf = <T extends z.ZodType>(item: T) =>
  z.preprocess((v) => (typeof v === "string" ? split(v) : v), z.array(item).max(50, "At most 50 entries"));

export const apisSchema = listOf(z.enum(API_NAMES, { error: `APIs are some of ${API_NAMES.join(", ")}` }))
  .describe(`The APIs the token may use (${API_NAMES.join(", ")}); empty = all`);

export const cidrSchema = z
  .string()
  .trim()
  .max(64)
  .refine((s) => {
    try {
      parseRange(s);
      return true;
    } catch {
      return false;
    }
  }, "Not an IPv4/IPv6 address or CIDR (e.g. 203.0.113.0/24, 2001:db8::/32)");

export const cidrsSchema = listOf(cidrSchema).describe("Source addresses or CIDRs (IPv4 and IPv6) the token may be used from; empty = anywhere");

/** What a caller asks for; absent fields mean "no limit" (or the parent's limit, for a child token). */
export interface ScopeInput {
  readOnly?: boolean;
  apis?: ApiName[];
  allowedCidrs?: string[];
}

/** The stored columns of a requested scope, normalised (addresses as ipaddr prints them). */
export function columnsOf(input: ScopeInput): ScopeColumns {
  const apis = [...new Set(input.apis ?? [])].sort((a, b) => API_NAMES.indexOf(a) - API_NAMES.indexOf(b));
  const cidrs = [...new Set((input.allowedCidrs ?? []).map((c) => {
    const [addr, bits] = parseRange(c);
    return `${addr.toString()}/${bits}`;
  }))];
  return { readOnly: input.readOnly ?? false, apis: apis.join(","), allowedCidrs: cidrs.join(",") };
}

/**
 * A child's scope: what it asks for, bound by its parent's. Anything broader than the parent is an
 * error (field → message), not silently narrowed, so a script learns what it got. Unset fields
 * inherit the parent's limit.
 */
export function narrowColumns(parent: ScopeColumns, child: ScopeInput): { columns: ScopeColumns } | { field: string; message: string } {
  const wanted = columnsOf(child);
  const readOnly = parent.readOnly || wanted.readOnly;
  if (parent.readOnly && child.readOnly === false) return { field: "readOnly", message: "A token made with a read-only token must be read-only" };
  let apis = wanted.apis;
  if (parent.apis) {
    const allowed = split(parent.apis);
    if (!apis) apis = parent.apis;
    else if (split(apis).some((a) => !allowed.includes(a))) return { field: "apis", message: `A token made with a token may use only its APIs (${parent.apis})` };
  }
  let allowedCidrs = wanted.allowedCidrs;
  if (parent.allowedCidrs) {
    const ranges = split(parent.allowedCidrs).map(parseRange);
    if (!allowedCidrs) allowedCidrs = parent.allowedCidrs;
    else {
      for (const c of split(allowedCidrs)) {
        const [addr, bits] = parseRange(c);
        const inside = ranges.some(([r, rb]) => r.kind() === addr.kind() && bits >= rb && addr.match([r, rb] as never));
        if (!inside) return { field: "allowedCidrs", message: `A token made with a token may come only from its addresses (${parent.allowedCidrs})` };
      }
    }
  }
  return { columns: { readOnly, apis, allowedCidrs } };
}

/** How a listing shows a scope. */
export function scopeView(row: ScopeColumns): { readOnly: boolean; apis: ApiName[]; allowedCidrs: string[] } {
  return { readOnly: row.readOnly, apis: split(row.apis) as ApiName[], allowedCidrs: split(row.allowedCidrs) };
}
