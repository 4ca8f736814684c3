import type { IncomingMessage } from "node:http";
import ipaddr from "ipaddr.js";
import { config } from "../env";

/**
 * Where a request came from — the one answer the sign-in throttle, the audit log and tokens'
 * address limits all use. The socket's peer, unless TRUST_PROXY says that peer is a reverse proxy
 * whose X-Forwarded-For may be believed:
 *   "" / "0" / "false"  nobody: X-Forwarded-For is ignored (anyone can send one)
 *   "1" / "true"        the direct peer is a proxy every request crosses: the last address it appended
 *   "10.0.0.0/8, ::1"   these proxies: walk X-Forwarded-For from the right past trusted proxies
 */
type Trust = { kind: "none" } | { kind: "one" } | { kind: "list"; ranges: [ipaddr.IPv4 | ipaddr.IPv6, number][] };

let parsed: { raw: string; trust: Trust } | undefined;

export function parseTrustProxy(raw: string): Trust {
  const v = raw.trim().toLowerCase();
  if (v === "" || v === "0" || v === "false") return { kind: "none" };
  if (v === "1" || v === "true") return { kind: "one" };
  return { kind: "list", ranges: v.split(",").map((s) => s.trim()).filter(Boolean).map(parseRange) };
}

/** An address or a CIDR (IPv4 or IPv6) as a range; throws on anything else. */
export function parseRange(s: string): [ipaddr.IPv4 | ipaddr.IPv6, number] {
  if (s.includes("/")) {
    const [addr, bits] = ipaddr.parseCIDR(s);
    return [normal(addr), addr.kind() === "ipv6" && normal(addr).kind() === "ipv4" ? Math.max(0, bits - 96) : bits];
  }
  const addr = normal(ipaddr.parse(s));
  return [addr, addr.kind() === "ipv4" ? 32 : 128];
}

/** IPv4-mapped IPv6 (::ffff:10.0.0.1, how node reports IPv4 peers on a dual-stack socket) as IPv4. */
function normal(addr: ipaddr.IPv4 | ipaddr.IPv6): ipaddr.IPv4 | ipaddr.IPv6 {
  return addr.kind() === "ipv6" && (addr as ipaddr.IPv6).isIPv4MappedAddress() ? (addr as ipaddr.IPv6).toIPv4Address() : addr;
}

/** A printable, parseable address, or null. */
export function parseAddress(s: string | undefined): ipaddr.IPv4 | ipaddr.IPv6 | null {
  if (!s) return null;
  const t = s.trim().replace(/^\[(.*)\]$/, "$1");
  if (!ipaddr.isValid(t)) return null;
  try {
    return normal(ipaddr.parse(t));
  } catch {
    return null;
  }
}

/** Whether `addr` lies in one of `ranges` (families must agree). */
export function inRanges(addr: ipaddr.IPv4 | ipaddr.IPv6, ranges: [ipaddr.IPv4 | ipaddr.IPv6, number][]): boolean {
  for (const range of ranges) if (range[0].kind() === addr.kind() && addr.match(range)) return true;
  return false;
}

function trust(): Trust {
  const raw = config().TRUST_PROXY;
  if (parsed?.raw !== raw) parsed = { raw, trust: parseTrustProxy(raw) };
  return parsed.trust;
}

/** The client's address from the socket's peer and the X-Forwarded-For header, per TRUST_PROXY. */
export function clientAddress(socketAddress: string | undefined, forwardedFor: string | string[] | undefined): string {
  const peer = parseAddress(socketAddress);
  const peerText = peer ? peer.toString() : (socketAddress ?? "");
  const t = trust();
  if (t.kind === "none" || !forwardedFor) return peerText;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(",") : forwardedFor).split(",").map((s) => s.trim()).filter(Boolean);
  if (!hops.length) return peerText;
  if (t.kind === "one") return parseAddress(hops[hops.length - 1])?.toString() ?? peerText;
  if (!peer || !inRanges(peer, t.ranges)) return peerText;
  // Right to left: each trusted proxy vouches for the hop before it; the first untrusted is the client.
  let client = peerText;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = parseAddress(hops[i]);
    if (!hop) break;
    client = hop.toString();
    if (!inRanges(hop, t.ranges)) break;
  }
  return client;
}

/** The client's address of a node request (the fast door sets it in CLIENT_IP_HEADER for everything behind). */
export function clientAddressOf(req: IncomingMessage): string {
  return clientAddress(req.socket.remoteAddress, req.headers["x-forwarded-for"]);
}
