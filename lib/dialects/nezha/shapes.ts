import { z } from "zod";
import type { LiveEntry } from "../../fleet/live";

/** Nezha's "never reported": Go's zero time (0001-01-01) in unix seconds. */
export const NEVER_ACTIVE = -62135596800;

// The documented shapes (seed + later v0 fields), as zod for the OpenAPI document.
const common = {
  id: z.number().int(),
  name: z.string(),
  tag: z.string(),
  last_active: z.number().int().describe("Unix seconds; -62135596800 when the server never reported"),
  ipv4: z.string(),
  ipv6: z.string(),
  valid_ip: z.string().describe("ipv4 when there is one, else ipv6, else empty"),
  display_index: z.number().int(),
  hide_for_guest: z.boolean().describe("Hidden from anonymous callers of the public status view (when an admin has turned it on); signed-in callers and tokens see it as usual"),
};
export const nezhaListItem = z.object(common);
export const nezhaHost = z.object({
  Platform: z.string(), PlatformVersion: z.string(), CPU: z.array(z.string()).nullable(), MemTotal: z.number().int(),
  DiskTotal: z.number().int(), SwapTotal: z.number().int(), Arch: z.string(), Virtualization: z.string(),
  BootTime: z.number().int(),
  CountryCode: z.string().describe("ISO 3166-1 alpha-2 country of the address the panel sees the agent connect from (shipped country-level database); empty when that address is private, loopback or unknown"), Version: z.string(), GPU: z.array(z.string()).nullable(),
});
export const nezhaStatus = z.object({
  CPU: z.number(), MemUsed: z.number().int(), SwapUsed: z.number().int(), DiskUsed: z.number().int(),
  NetInTransfer: z.number().int(), NetOutTransfer: z.number().int(), NetInSpeed: z.number().int(), NetOutSpeed: z.number().int(),
  Uptime: z.number().int(), Load1: z.number(), Load5: z.number(), Load15: z.number(), TcpConnCount: z.number().int(),
  UdpConnCount: z.number().int(), ProcessCount: z.number().int(),
  Temperatures: z.array(z.object({ Name: z.string(), Temperature: z.number() })).nullable(), GPU: z.number(),
});
export const nezhaDetailsItem = z.object({ ...common, host: nezhaHost, status: nezhaStatus });
export const nezhaEnvelope = (result: z.ZodType) => z.object({ code: z.number().int(), message: z.string(), result });

const int = (n: number | undefined) => (Number.isFinite(n) ? Math.round(n as number) : 0);

function commonOf(e: LiveEntry): z.infer<typeof nezhaListItem> {
  const ipv4 = e.host?.ipv4 ?? "";
  const ipv6 = e.host?.ipv6 ?? "";
  return {
    id: e.meta.id,
    name: e.meta.name,
    tag: e.meta.tag,
    last_active: e.lastActive === null ? NEVER_ACTIVE : Math.floor(e.lastActive / 1000),
    ipv4,
    ipv6,
    valid_ip: ipv4 || ipv6,
    display_index: e.meta.displayIndex,
    hide_for_guest: e.meta.hideForGuest,
  };
}

export function listItemOf(e: LiveEntry) {
  return commonOf(e);
}

/** `host` and `status` are always objects, zero-valued for a server that never reported. */
export function detailsItemOf(e: LiveEntry): z.infer<typeof nezhaDetailsItem> {
  const h = e.host;
  const s = e.state;
  return {
    ...commonOf(e),
    host: {
      Platform: h?.platform ?? "",
      PlatformVersion: h?.platformVersion ?? "",
      CPU: h?.cpu.length ? h.cpu : null,
      MemTotal: int(h?.memTotal),
      DiskTotal: int(h?.diskTotal),
      SwapTotal: int(h?.swapTotal),
      Arch: h?.arch ?? "",
      Virtualization: h?.virtualization ?? "",
      BootTime: int(h?.bootTime),
      CountryCode: e.country,
      Version: h?.agentVersion ?? "",
      GPU: h?.gpu.length ? h.gpu : null,
    },
    status: {
      CPU: s?.cpu ?? 0,
      MemUsed: int(s?.memUsed),
      SwapUsed: int(s?.swapUsed),
      DiskUsed: int(s?.diskUsed),
      NetInTransfer: int(s?.netInTransfer),
      NetOutTransfer: int(s?.netOutTransfer),
      NetInSpeed: int(s?.netInSpeed),
      NetOutSpeed: int(s?.netOutSpeed),
      Uptime: int(s?.uptime),
      Load1: s?.load1 ?? 0,
      Load5: s?.load5 ?? 0,
      Load15: s?.load15 ?? 0,
      TcpConnCount: int(s?.tcpConnCount),
      UdpConnCount: int(s?.udpConnCount),
      ProcessCount: int(s?.processCount),
      Temperatures: s ? s.temperatures.map((t) => ({ Name: t.name, Temperature: t.temperature })) : null,
      GPU: 0,
    },
  };
}
