/**
 * The Fleetdeck agent protocol: the only code shared by the panel and the agent.
 *
 * Transport: one WebSocket per agent to `<panel>/agent/ws`, opened with the header
 * `Authorization: Bearer <server secret>`. A refused secret is answered on the upgrade with
 * HTTP 401 (the agent then stops with a clear message); any other failure makes the agent
 * reconnect with exponential back-off. Every frame is one JSON text message.
 *
 * Agent → panel: `hello` (its first frame: protocol version and capabilities), `host` (on
 * connect and every 10 minutes), `state` (every --interval seconds), `instances` (whenever an
 * instance changes state), `result` (the answer to a request) and `monitor_results` (service
 * monitor probes, in batches).
 * Panel → agent: `welcome` (first frame after the upgrade), `request`, and `monitors` (the
 * service monitors this machine runs: sent after the agent's hello and whenever they change; each
 * replaces the previous list).
 *
 * Both sides validate what they receive with the zod schemas of agent/protocol-schemas.ts.
 *
 * Versions: 2 added `hello` and capabilities. An agent of protocol 1 sends no `hello`; the panel
 * takes its first other frame as the sign, treats it as it always behaved (it decides about
 * commands itself; it runs instances) and marks it outdated. 3 added `monitors` and
 * `monitor_results`: the panel sends `monitors` only to agents whose hello says 3 or more, so
 * older agents go on reporting as before (and agents ignore frame types they do not know).
 */

export const AGENT_WS_PATH = "/agent/ws";
export const PROTOCOL_VERSION = 3;
/** The first protocol with service monitors (`monitors`, `monitor_results`). */
export const MONITORS_PROTOCOL_VERSION = 3;
/** The oldest protocol the panel still serves (one version behind). */
export const MIN_PROTOCOL_VERSION = 1;
/** Largest frame either side accepts (bytes). */
export const MAX_FRAME_BYTES = 1024 * 1024;
/** Largest command or console output an agent returns (bytes); longer output is cut and flagged. */
export const MAX_OUTPUT_BYTES = 64 * 1024;
/** Longest timeout an agent accepts for one command (seconds). */
export const MAX_COMMAND_TIMEOUT = 24 * 3600;
/** Most instances one agent holds (the panel refuses more before they reach a frame). */
export const MAX_INSTANCES = 10_000;
/** Most service monitors one agent runs, and most probe results in one `monitor_results` frame. */
export const MAX_MONITORS = 1_000;
export const MAX_MONITOR_RESULTS = 1_000;

/** A service monitor an agent runs (Nezha's types: 1 HTTP GET, 2 ICMP ping, 3 TCP connect). */
export interface MonitorTask {
  id: number;
  type: 1 | 2 | 3;
  /** A URL (1), a host (2) or host:port (3). */
  target: string;
  intervalSec: number;
}

/** One probe's outcome. `delayMs` is 0 when it failed; `certDaysLeft` only for HTTPS. */
export interface MonitorResult {
  monitorId: number;
  /** Unix ms the probe started. */
  at: number;
  ok: boolean;
  delayMs: number;
  certDaysLeft?: number | null;
  error?: string;
}

/**
 * What the machine's owner allowed the agent to do with what panel users supply: run commands
 * (`--allow-commands`) and run instances — their start and stop commands and stdin
 * (`--allow-instances`). Read-only collection the agent does on its own (metrics, update scans)
 * needs none. The agent enforces them itself whatever the panel sends.
 */
export interface Capabilities {
  commands: boolean;
  instances: boolean;
}

export interface HostInfo {
  hostname: string;
  platform: string; // e.g. "linux", "darwin", "win32"
  platformVersion: string; // distribution + version, e.g. "debian 12"
  release: string; // kernel release
  cpu: string[]; // e.g. ["Intel Xeon 2 Virtual Core"]
  arch: string; // e.g. "x64", "arm64"
  virtualization: string; // "" when none detected
  bootTime: number; // unix seconds
  memTotal: number; // bytes
  diskTotal: number; // bytes
  swapTotal: number; // bytes
  ipv4: string; // "" when none
  ipv6: string; // "" when none
  localIps: string[];
  gpu: string[];
  agentVersion: string;
  /** The agent process's own working directory (MCSManager's `process.cwd`). */
  cwd: string;
}

export interface Temperature {
  name: string;
  temperature: number; // °C
}

export interface LiveState {
  cpu: number; // percent, 0–100
  memUsed: number; // bytes
  memTotal: number; // bytes
  swapUsed: number;
  diskUsed: number;
  netInTransfer: number; // bytes since boot
  netOutTransfer: number;
  netInSpeed: number; // bytes/s
  netOutSpeed: number;
  uptime: number; // seconds
  load1: number;
  load5: number;
  load15: number;
  tcpConnCount: number;
  udpConnCount: number;
  processCount: number;
  temperatures: Temperature[];
  /** The agent's own process: CPU time used (µs), resident memory (bytes). */
  process: { cpuMicros: number; memory: number };
}

export type InstanceStatus = "stopped" | "starting" | "running" | "stopping";

export interface InstanceDefinition {
  uuid: string;
  name: string;
  startCommand: string; // run through /bin/sh -c (cmd.exe /c on Windows)
  cwd: string; // "" = the agent's own cwd
  stopCommand: string; // "" = send SIGTERM; otherwise a line written to the instance's stdin
  autoRestart: boolean; // restart after a crash (non-zero exit not asked for)
}

export interface InstanceState {
  uuid: string;
  status: InstanceStatus;
  pid: number | null;
  exitCode: number | null;
  startedAt: number | null; // unix ms
}

export interface PendingUpdate {
  name: string;
  currentVersion: string;
  newVersion: string;
  source: string; // repository/channel as the package manager reports it
}

/** Requests the panel can make, with their params and results. */
export interface RequestMap {
  "cmd.run": {
    params: { shell: string; cmd: string; timeout: number; customShell?: string };
    result: { output: string; exitCode: number | null; timedOut: boolean; truncated: boolean };
  };
  "updates.scan": {
    params: Record<string, never>;
    result: { manager: string; updates: PendingUpdate[] };
  };
  /** Replaces the agent's instance definitions (the panel is their source of truth). */
  "instance.sync": { params: { instances: InstanceDefinition[] }; result: { count: number } };
  "instance.start": { params: { uuid: string }; result: InstanceState };
  "instance.stop": { params: { uuid: string }; result: InstanceState };
  "instance.restart": { params: { uuid: string }; result: InstanceState };
  "instance.kill": { params: { uuid: string }; result: InstanceState };
  "instance.input": { params: { uuid: string; line: string }; result: { ok: true } };
  "instance.output": { params: { uuid: string }; result: { output: string } };
}
export type RequestMethod = keyof RequestMap;

/** Error codes an agent returns in a failed `result`. */
export type AgentErrorCode =
  | "commands_disabled" // agent not started with --allow-commands
  | "instances_disabled" // agent not started with --allow-instances
  | "bad_shell" // shell not found on this machine
  | "unknown_instance"
  | "instance_not_running"
  | "instance_running"
  | "start_failed"
  | "bad_request"
  | "internal";

export type AgentToPanel =
  | { type: "hello"; protocol: number; agentVersion: string; capabilities: Capabilities }
  | { type: "host"; host: HostInfo }
  | { type: "state"; seq: number; at: number; state: LiveState }
  | { type: "instances"; instances: InstanceState[] }
  | { type: "monitor_results"; results: MonitorResult[] }
  | { type: "result"; id: number; ok: true; data: unknown }
  | { type: "result"; id: number; ok: false; code: AgentErrorCode; error: string };

export type PanelToAgent =
  | { type: "welcome"; serverId: number; protocol: number }
  | { type: "request"; id: number; method: RequestMethod; params: unknown }
  | { type: "monitors"; monitors: MonitorTask[] };
