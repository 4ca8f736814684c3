import { z } from "zod";
import type { InstanceState, InstanceStatus } from "../../../agent/protocol";
import { isOnline, type LiveEntry } from "../../fleet/live";

/**
 * MCSManager's JSON shapes, as zod (they feed the OpenAPI document) and the functions that build
 * them from Fleetdeck's live state and instance definitions. Whole-number fields are rounded:
 * typed clients (mcsmapi's pydantic models) reject `12.5` where MCSManager sends an integer.
 */

const int = (n: number | null | undefined): number => (typeof n === "number" && Number.isFinite(n) ? Math.round(n) : 0);
const ratio = (n: number): number => (Number.isFinite(n) ? Math.min(1, Math.max(0, n)) : 0);

export const mcsmEnvelope = (data: z.ZodType) =>
  z.object({ status: z.number().int().describe("Equals the HTTP status"), data, time: z.number().int().describe("Unix ms when the answer was made") });

// ---- daemons ---------------------------------------------------------------------------------

export const daemonIdentity = z.object({
  uuid: z.string().describe("The daemon id (daemonId / remote_uuid in other routes)"),
  ip: z.string(),
  port: z.number().int().describe("Always 0: Fleetdeck agents dial the panel and listen on no port"),
  prefix: z.string(),
  available: z.boolean().describe("Online: reported within the offline window"),
  remarks: z.string().describe("The daemon's remarks, or its server name when it has none"),
});

export const daemonSystem = z.object({
  version: z.string().describe("The agent's version"),
  process: z.object({
    cpu: z.number().int().describe("CPU time used by the agent process, µs"),
    memory: z.number().int().describe("Resident memory of the agent process, bytes"),
    cwd: z.string(),
  }),
  instance: z.object({ running: z.number().int(), total: z.number().int() }),
  system: z.object({
    type: z.string().describe("os.type(): Linux, Windows_NT, Darwin…"),
    hostname: z.string(),
    platform: z.string(),
    release: z.string(),
    uptime: z.number().int().describe("Seconds"),
    cwd: z.string(),
    loadavg: z.tuple([z.number(), z.number(), z.number()]),
    freemem: z.number().int(),
    cpuUsage: z.number().min(0).max(1),
    memUsage: z.number().min(0).max(1),
    totalmem: z.number().int(),
    processCpu: z.number().int().describe("The agent process's CPU use, percent of one CPU between its last two reports (0 until it has reported twice)"),
    processMem: z.number().int().describe("The agent process's resident memory, bytes (0 before its first report)"),
  }),
  cpuMemChart: z.array(z.object({ cpu: z.number(), mem: z.number() })).describe("Latest CPU and memory use, percent"),
  config: z.object({
    language: z.string(),
    uploadSpeedRate: z.number().int(),
    downloadSpeedRate: z.number().int(),
    portRangeStart: z.number().int(),
    portRangeEnd: z.number().int(),
    portAssignInterval: z.number().int(),
    port: z.number().int(),
    maxDownloadFromUrlFileCount: z.number().int(),
  }),
  ...daemonIdentity.shape,
});
export type DaemonSystem = z.infer<typeof daemonSystem>;

const OS_TYPES: Record<string, string> = { linux: "Linux", win32: "Windows_NT", darwin: "Darwin", freebsd: "FreeBSD", openbsd: "OpenBSD", sunos: "SunOS", aix: "AIX" };
export const osType = (platform: string) => OS_TYPES[platform] ?? platform;

export function daemonIdentityOf(e: LiveEntry, now = Date.now()): z.infer<typeof daemonIdentity> {
  return {
    uuid: e.meta.agentId,
    ip: e.host?.ipv4 || e.host?.ipv6 || e.lastIp || "",
    port: 0,
    prefix: "",
    available: isOnline(e, now),
    remarks: e.meta.remarks || e.meta.name,
  };
}

/** One `remote_services_system` entry: the seed's fields plus what mcsmapi requires. */
export function daemonSystemOf(e: LiveEntry, counts: { running: number; total: number }, now = Date.now()): DaemonSystem {
  const h = e.host;
  const s = e.state;
  const totalmem = int(s?.memTotal || h?.memTotal);
  const used = int(s?.memUsed);
  const memUsage = totalmem > 0 ? ratio(used / totalmem) : 0;
  const cpuUsage = ratio((s?.cpu ?? 0) / 100);
  return {
    version: h?.agentVersion ?? "",
    process: { cpu: int(s?.process.cpuMicros), memory: int(s?.process.memory), cwd: h?.cwd ?? "" },
    instance: counts,
    system: {
      type: osType(h?.platform ?? ""),
      hostname: h?.hostname ?? "",
      platform: h?.platform ?? "",
      release: h?.release ?? "",
      uptime: int(s?.uptime),
      cwd: h?.cwd ?? "",
      loadavg: [s?.load1 ?? 0, s?.load5 ?? 0, s?.load15 ?? 0],
      freemem: Math.max(0, totalmem - used),
      cpuUsage,
      memUsage,
      totalmem,
      processCpu: Math.round(e.agentCpuPercent ?? 0),
      processMem: int(s?.process.memory),
    },
    cpuMemChart: [{ cpu: Math.round(cpuUsage * 1000) / 10, mem: Math.round(memUsage * 1000) / 10 }],
    // Daemon settings MCSManager clients parse; Fleetdeck has no equivalents, so fixed values.
    config: {
      language: "en_us", uploadSpeedRate: 0, downloadSpeedRate: 0, portRangeStart: 0, portRangeEnd: 0,
      portAssignInterval: 0, port: 0, maxDownloadFromUrlFileCount: 0,
    },
    ...daemonIdentityOf(e, now),
  };
}

/** Running = anything the agent reports as not stopped (starting and stopping included). */
export { runningCount } from "../../fleet/instance-counts";

// ---- instances -------------------------------------------------------------------------------

/** MCSManager's status codes: -1 busy, 0 stopped, 1 stopping, 2 starting, 3 running. */
export const MCSM_STATUS: Record<InstanceStatus, number> = { stopped: 0, stopping: 1, starting: 2, running: 3 };
export const statusOfCode = (code: number): InstanceStatus | null =>
  (Object.entries(MCSM_STATUS).find(([, c]) => c === code)?.[0] as InstanceStatus | undefined) ?? null;

/** MCSManager writes Ctrl-C as "^C"; Fleetdeck's equivalent is an empty stop command (SIGTERM). */
export const CTRL_C = "^C";

export const instanceConfig = z.object({
  nickname: z.string(),
  startCommand: z.string(),
  stopCommand: z.string().describe('A line written to stdin, or "^C" for a signal'),
  cwd: z.string(),
  ie: z.string(),
  oe: z.string(),
  createDatetime: z.number().int(),
  lastDatetime: z.number().int(),
  type: z.string(),
  tag: z.array(z.string()),
  endTime: z.number().int(),
  fileCode: z.string(),
  processType: z.string(),
  updateCommand: z.string(),
  actionCommandList: z.array(z.string()),
  crlf: z.number().int(),
  docker: z.record(z.string(), z.unknown()),
  enableRcon: z.boolean(),
  rconPassword: z.string(),
  rconPort: z.number().int(),
  rconIp: z.string(),
  terminalOption: z.object({ haveColor: z.boolean(), pty: z.boolean(), ptyWindowCol: z.number().int(), ptyWindowRow: z.number().int() }),
  eventTask: z.object({ autoStart: z.boolean(), autoRestart: z.boolean(), ignore: z.boolean() }),
  pingConfig: z.object({ ip: z.string(), port: z.number().int(), type: z.number().int() }),
  runAs: z.string(),
  basePort: z.number().int(),
});

export const instanceDetail = z.object({
  instanceUuid: z.string(),
  daemonId: z.string(),
  started: z.number().int().describe("1 when the instance is running now, else 0 (Fleetdeck keeps no start count)"),
  status: z.number().int().describe("-1 busy, 0 stopped, 1 stopping, 2 starting, 3 running"),
  config: instanceConfig,
  info: z.object({
    currentPlayers: z.number().int(),
    maxPlayers: z.number().int(),
    version: z.string(),
    fileLock: z.number().int(),
    playersChart: z.array(z.unknown()),
    openFrpStatus: z.boolean(),
    latency: z.number().int(),
  }),
  processInfo: z.object({
    cpu: z.number().describe("Percent of one CPU used by the instance's processes (its whole process group on Linux; its process tree elsewhere) over the last report interval; 0 when stopped or when its agent is older than protocol 3"),
    memory: z.number().int().describe("Resident memory of the instance's processes, bytes; 0 when stopped or when its agent is older than protocol 3"),
    ppid: z.number().int().describe("Always 0: the parent is the agent, whose pid is not reported"),
    pid: z.number().int(),
    ctime: z.number().int().describe("Unix ms the main process started, as the operating system says (the agent's spawn time for agents older than protocol 3); 0 when stopped"),
    elapsed: z.number().int(), timestamp: z.number().int(),
  }),
  space: z.number().int().describe("Bytes in the instance's working directory (the agent's own when none is set), walked in the background at most once a minute; 0 while unknown: not walked yet, more than 200,000 entries, or an agent older than protocol 3"),
});
export type InstanceDetail = z.infer<typeof instanceDetail>;

export interface InstanceRow {
  uuid: string;
  name: string;
  startCommand: string;
  cwd: string;
  stopCommand: string;
  autoRestart: boolean;
  autoStart: boolean;
  createdAt: Date;
  updatedAt: Date;
}

const crlf = (platform: string | undefined) => (platform === "win32" ? 2 : 1);

export function instanceConfigOf(row: InstanceRow, platform?: string): z.infer<typeof instanceConfig> {
  return {
    nickname: row.name,
    startCommand: row.startCommand,
    stopCommand: row.stopCommand || CTRL_C,
    cwd: row.cwd,
    ie: "utf-8",
    oe: "utf-8",
    createDatetime: row.createdAt.getTime(),
    lastDatetime: row.updatedAt.getTime(),
    type: "universal",
    tag: [],
    endTime: 0,
    fileCode: "utf-8",
    processType: "general",
    updateCommand: "",
    actionCommandList: [],
    crlf: crlf(platform),
    docker: {},
    enableRcon: false,
    rconPassword: "",
    rconPort: 0,
    rconIp: "",
    terminalOption: { haveColor: false, pty: false, ptyWindowCol: 164, ptyWindowRow: 40 },
    eventTask: { autoStart: row.autoStart, autoRestart: row.autoRestart, ignore: false },
    pingConfig: { ip: "", port: 0, type: 1 },
    runAs: "",
    basePort: 0,
  };
}

export function instanceDetailOf(row: InstanceRow, state: InstanceState, daemon: LiveEntry, now = Date.now()): InstanceDetail {
  const status = MCSM_STATUS[state.status];
  const usage = daemon.state?.instanceUsage?.find((u) => u.uuid === row.uuid);
  const started = state.status === "stopped" ? 0 : (usage?.processStartedAt ?? state.startedAt ?? 0);
  return {
    instanceUuid: row.uuid,
    daemonId: daemon.meta.agentId,
    started: state.status === "running" ? 1 : 0,
    status,
    config: instanceConfigOf(row, daemon.host?.platform),
    info: { currentPlayers: -1, maxPlayers: -1, version: "", fileLock: 0, playersChart: [], openFrpStatus: false, latency: 0 },
    processInfo: {
      cpu: usage && state.status === "running" ? usage.cpu : 0,
      memory: usage && state.status === "running" ? Math.round(usage.memory) : 0,
      ppid: 0,
      pid: state.pid ?? 0,
      ctime: started,
      elapsed: started ? Math.max(0, now - started) : 0,
      timestamp: now,
    },
    space: Math.round(usage?.space ?? 0),
  };
}
