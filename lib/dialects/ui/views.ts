import { z } from "zod";
import type { HostInfo, Temperature } from "../../../agent/protocol";
import { agentStatus, isOnline, type AgentStatus, type LiveEntry } from "../../fleet/live";
import type { MetricPoint } from "../../fleet/history";
import type { ApiRequest } from "../../http/api";
import { config } from "../../env";

/**
 * What the panel's own UI shows of a server (/api/ui/servers*). Built from the in-memory live
 * state only (never history), so the 2-second refresh of the servers view costs no query.
 * Metrics are null when the panel holds no report for the server (never reported, or not since
 * the panel restarted): the UI shows "—" rather than a misleading 0.
 */
export interface ServerRow {
  id: number;
  name: string;
  tag: string;
  online: boolean;
  status: AgentStatus;
  /** The agent holds its WebSocket now (it may still be "offline" if it stopped reporting). */
  connected: boolean;
  /** Unix ms of the last accepted report; null when it never reported. */
  lastActive: number | null;
  platform: string;
  hideForGuest: boolean;
  displayIndex: number;
  /** Only for administrators (Nezha shows notes to admins only). */
  note?: string;
  cpu: number | null;
  memUsed: number | null;
  memTotal: number | null;
  swapUsed: number | null;
  swapTotal: number | null;
  diskUsed: number | null;
  diskTotal: number | null;
  netInSpeed: number | null;
  netOutSpeed: number | null;
  netInTransfer: number | null;
  netOutTransfer: number | null;
  uptime: number | null;
  load1: number | null;
  load5: number | null;
  load15: number | null;
}

export interface ServerDetail extends ServerRow {
  host: HostInfo | null;
  temperatures: Temperature[];
  tcpConnCount: number | null;
  udpConnCount: number | null;
  processCount: number | null;
  client: string;
  site: string;
  monitoringType: string;
  description: string;
  remarks: string;
  isLocal: boolean;
  createdAt: string;
  /**
   * What the machine's owner allowed its agent to run (true/false), null when unknown (the agent
   * has not connected since the panel started, or is too old to say); the agent's protocol, and
   * whether it is older than the panel's; the version it announced in its hello ("" when too
   * old to say). null when the panel has not heard from it.
   */
  agent: { protocol: number; outdated: boolean; version: string; commands: boolean | null; instances: boolean | null; selfUpdate: boolean | null } | null;
  /**
   * The agent version this panel serves at /agent/latest.json (what `--self-update` agents
   * install, and the install line), null when the bundle is not built.
   */
  panelAgentVersion: string | null;
  /** The machine's clock minus the panel's, from its last report (ms; null before any report). */
  clockSkewMs: number | null;
  /** Country of the address the agent connects from ("" when private or unknown). */
  country: string;
}

/** A history point as the charts want it: `at` in unix ms. */
export type HistoryPoint = Omit<MetricPoint, "at"> & { at: number };

export const historyRangeSchema = z.enum(["hour", "day"]);
export type HistoryRange = z.infer<typeof historyRangeSchema>;

export function serverRow(e: LiveEntry, opts: { admin: boolean }, now = Date.now()): ServerRow {
  const s = e.state;
  const h = e.host;
  return {
    id: e.meta.id,
    name: e.meta.name,
    tag: e.meta.tag,
    online: isOnline(e, now),
    status: agentStatus(e, now),
    connected: e.connected,
    lastActive: e.lastActive,
    platform: h ? [h.platform, h.platformVersion].filter(Boolean).join(" ") : "",
    hideForGuest: e.meta.hideForGuest,
    displayIndex: e.meta.displayIndex,
    ...(opts.admin ? { note: e.meta.note } : {}),
    cpu: s?.cpu ?? null,
    memUsed: s?.memUsed ?? null,
    // The state carries the live total (it can change with memory hot-plug); the host report the last known one.
    memTotal: s?.memTotal || h?.memTotal || null,
    swapUsed: s?.swapUsed ?? null,
    swapTotal: h?.swapTotal ?? null,
    diskUsed: s?.diskUsed ?? null,
    diskTotal: h?.diskTotal ?? null,
    netInSpeed: s?.netInSpeed ?? null,
    netOutSpeed: s?.netOutSpeed ?? null,
    netInTransfer: s?.netInTransfer ?? null,
    netOutTransfer: s?.netOutTransfer ?? null,
    uptime: s?.uptime ?? null,
    load1: s?.load1 ?? null,
    load5: s?.load5 ?? null,
    load15: s?.load15 ?? null,
  };
}

export function serverDetail(e: LiveEntry, opts: { admin: boolean; panelAgentVersion?: string | null }, now = Date.now()): ServerDetail {
  const s = e.state;
  return {
    ...serverRow(e, opts, now),
    host: e.host,
    temperatures: s?.temperatures ?? [],
    tcpConnCount: s?.tcpConnCount ?? null,
    udpConnCount: s?.udpConnCount ?? null,
    processCount: s?.processCount ?? null,
    client: e.meta.client,
    site: e.meta.site,
    monitoringType: e.meta.monitoringType,
    description: e.meta.description,
    remarks: e.meta.remarks,
    isLocal: e.meta.isLocal,
    createdAt: e.meta.createdAt.toISOString(),
    agent: e.agent ? { protocol: e.agent.protocol, outdated: e.agent.outdated, version: e.agent.agentVersion, ...e.agent.capabilities } : null,
    panelAgentVersion: opts.panelAgentVersion ?? null,
    clockSkewMs: e.clockSkewMs,
    country: e.country,
  };
}

export function historyPoints(points: MetricPoint[]): HistoryPoint[] {
  return points.map((p) => ({ ...p, at: p.at.getTime() }));
}

const AGENT_COMMAND_HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

/**
 * The panel's address as agents should dial it: the address the admin reached the panel at
 * (an agent on another machine most likely reaches it the same way), with the scheme and path
 * of NEXTAUTH_URL when that names the same host (a TLS proxy in front keeps `https`). The host
 * is checked against a strict pattern because it ends up in a shell command the admin pastes.
 */
export function panelUrlFor(headers: { host?: string; forwardedHost?: string; forwardedProto?: string }, nextauthUrl: string | undefined): string {
  const configured = (() => {
    try {
      return nextauthUrl ? new URL(nextauthUrl) : null;
    } catch {
      return null;
    }
  })();
  const host = (headers.forwardedHost ?? headers.host ?? "").split(",")[0].trim();
  if (!AGENT_COMMAND_HOST.test(host)) return configured ? stripSlash(configured.href) : "http://localhost:3000";
  if (configured && configured.host === host) return stripSlash(configured.href);
  const proto = (headers.forwardedProto ?? "").split(",")[0].trim() === "https" ? "https" : "http";
  return `${proto}://${host}`;
}

function stripSlash(url: string): string {
  return url.replace(/\/+$/, "");
}

/** The copy-paste command that runs this server's agent (from a checkout of Fleetdeck). */
export function agentCommand(panelUrl: string, secret: string): string {
  return `npm run agent -- --panel ${panelUrl} --secret ${secret}`;
}

/** What an admin is shown once after adding a server or rotating its secret. */
export function enrollment(req: Pick<ApiRequest, "header">, secret: string): { secret: string; panelUrl: string; command: string } {
  const panelUrl = panelUrlFor(
    { host: req.header("host"), forwardedHost: req.header("x-forwarded-host"), forwardedProto: req.header("x-forwarded-proto") },
    config().NEXTAUTH_URL,
  );
  return { secret, panelUrl, command: agentCommand(panelUrl, secret) };
}

/** A server id in a path: digits only ("abc", "-1", "1.5" and "01x" name no server). */
export const serverIdSchema = z.string().regex(/^[1-9]\d{0,14}$/).transform(Number);
