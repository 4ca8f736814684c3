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
 * 4 added instance files (the `file.*` requests, binary chunk frames and
 * `file.credit`/`file.cancel`/`file.end`, see "Instance files" below); the panel answers file
 * requests for an older agent at once with an error saying it must be updated, and everything
 * else works as before. 5 added the measured values, all optional on the wire: in `state`, the
 * logged-in users, whether the machine needs a reboot, and each running instance's process-tree
 * usage and folder size; `autoStart` in instance definitions; `severity` in pending updates. An
 * older agent sends none of them: the panel shows them as unknown, never as a constant.
 * 6 added streamed output (see "Streamed output" below): the panel's `watch` names the instances
 * someone is watching, and the agent pushes their output as `output` frames while it is written;
 * `cmd.run` with `stream: true` pushes a command's output the same way before its result; and the
 * result of `instance.output` carries `seq`, the last output chunk sent for that instance. The
 * panel sends `watch` and `stream` only to agents whose hello says 6 or more: an older agent's
 * console is read by polling `instance.output`, and its commands answer at the end, as before.
 * 7 added `selfUpdate` to the hello's capabilities (whether the owner installed the agent with
 * `--self-update`); an older agent does not say, and the panel shows it as unknown.
 */

export const AGENT_WS_PATH = "/agent/ws";
export const PROTOCOL_VERSION = 7;
/** The first protocol with service monitors (`monitors`, `monitor_results`). */
export const MONITORS_PROTOCOL_VERSION = 3;
/** The oldest protocol the panel still serves (older agents work, without what came later). */
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
  /**
   * Whether the owner let the agent install the agent its panel serves (`--self-update`; protocol
   * 7). Not a right over the machine granted to panel users, but the owner's choice the panel
   * shows beside them. Optional on the wire: older agents do not say (the panel shows unknown).
   */
  selfUpdate?: boolean;
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
  /** Protocol 3: who is logged in (utmp, as `who` shows it), one entry per user; absent = unknown. */
  users?: string[];
  /**
   * Protocol 3: the machine says it needs a reboot (Debian/Ubuntu /var/run/reboot-required,
   * RHEL-family `needs-restarting -r`); null when this machine has no way to say.
   */
  needsReboot?: boolean | null;
  /** Protocol 3: usage of each running instance's processes (its process group on Linux). */
  instanceUsage?: InstanceUsage[];
}

/** What an instance's processes use, measured by the agent (protocol 3). */
export interface InstanceUsage {
  uuid: string;
  /** Percent of one CPU over the last report interval, summed over the process tree (may exceed 100). */
  cpu: number;
  /** Resident memory of the process tree, bytes. */
  memory: number;
  /** When the instance's main process started, per the operating system (unix ms). */
  processStartedAt: number | null;
  /** Bytes in the instance's working directory, from a bounded background walk; null = not known (yet, or too large to walk). */
  space: number | null;
}

export type InstanceStatus = "stopped" | "starting" | "running" | "stopping";

export interface InstanceDefinition {
  uuid: string;
  name: string;
  startCommand: string; // run through /bin/sh -c (cmd.exe /c on Windows)
  cwd: string; // "" = the agent's own cwd
  stopCommand: string; // "" = send SIGTERM; otherwise a line written to the instance's stdin
  autoRestart: boolean; // restart after a crash (non-zero exit not asked for)
  /** Protocol 3: start it when the agent starts (a protocol-2 agent ignores it). */
  autoStart?: boolean;
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
  /**
   * Protocol 3: "security" or "normal" where the package manager says so (apt: the origin's suite
   * is a -security one; dnf/yum: updateinfo); "" where it does not.
   */
  severity?: "security" | "normal" | "";
}

/** Requests the panel can make, with their params and results. */
export interface RequestMap {
  "cmd.run": {
    /** `stream` (protocol 6): push the output as `output` frames while the command runs. */
    params: { shell: string; cmd: string; timeout: number; customShell?: string; stream?: boolean };
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
  /**
   * The instance's recent output (its ring buffer). Protocol 6: without the output not yet sent
   * as a chunk, and with `seq`, the last chunk sent, so that the chunks after it continue it exactly.
   */
  "instance.output": { params: { uuid: string }; result: { output: string; seq?: number } };
  "file.list": { params: { uuid: string; target: string; page: number; pageSize: number; fileName: string }; result: FileListResult };
  "file.read": { params: FileTarget; result: { text: string } };
  "file.write": { params: FileTarget & { text: string }; result: { ok: true } };
  "file.touch": { params: FileTarget; result: { ok: true } };
  "file.mkdir": { params: FileTarget; result: { ok: true } };
  "file.copy": { params: { uuid: string; pairs: [string, string][] }; result: { ok: true } };
  "file.move": { params: { uuid: string; pairs: [string, string][] }; result: { ok: true } };
  "file.delete": { params: { uuid: string; targets: string[] }; result: { ok: true } };
  "file.zip": { params: { uuid: string; archive: string; files: string[] }; result: { ok: true } };
  "file.unzip": { params: { uuid: string; archive: string; dest: string; code: string }; result: { ok: true } };
  /** Opens a file and starts sending it as chunks of `stream`, within the credit granted. */
  "file.download": { params: FileTarget & { stream: number }; result: { size: number; name: string } };
  /** Opens an upload of `name` into `dir` under a temporary name; the result is the first credit. */
  "file.upload": { params: { uuid: string; dir: string; name: string; stream: number }; result: { credit: number } };
  /** Commits an upload (after its last chunk): renamed into place. */
  "file.finish": { params: { stream: number }; result: { size: number } };
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
  | "internal"
  // Instance files (protocol 3): what agent/files.ts refuses.
  | "file_bad_path" // leaves the instance's folder, or a name that cannot be
  | "file_not_found"
  | "file_exists"
  | "file_too_large" // over a limit (edit, upload, unzip, zip, transfers at once)
  | "file_binary" // opened as text but is not
  | "file_not_a_file"
  | "file_not_a_directory"
  | "file_bad_archive";

export type AgentToPanel =
  | { type: "hello"; protocol: number; agentVersion: string; capabilities: Capabilities }
  | { type: "host"; host: HostInfo }
  | { type: "state"; seq: number; at: number; state: LiveState }
  | { type: "instances"; instances: InstanceState[] }
  | { type: "monitor_results"; results: MonitorResult[] }
  | { type: "result"; id: number; ok: true; data: unknown }
  | { type: "result"; id: number; ok: false; code: AgentErrorCode; error: string }
  | FileCreditFrame
  | { type: "file.end"; stream: number; error?: string }
  | OutputFrame;

export type PanelToAgent =
  | { type: "welcome"; serverId: number; protocol: number }
  | { type: "request"; id: number; method: RequestMethod; params: unknown }
  | { type: "monitors"; monitors: MonitorTask[] }
  | WatchFrame
  | FileCreditFrame
  | { type: "file.cancel"; stream: number };

// ---- Instance files (protocol 4) -------------------------------------------------------------------
//
// Paths are relative to the instance's working directory ("/" is the folder itself); the agent
// resolves them and refuses any that leaves it (agent/files.ts). Small operations are requests.
// A file's bytes travel as binary WebSocket frames: a 9-byte header (kind 1, stream id u32,
// sequence u32, big-endian) and at most FILE_CHUNK_BYTES of data. Each direction is
// credit-based: the sender may have at most the bytes the receiver granted in flight (the first
// FILE_WINDOW_BYTES come with the opening; `file.credit` grants more as the receiver consumes),
// so a transfer never holds more than a window in memory at either end and never fills the
// socket ahead of the agent's reports. Download: panel grants, agent sends, `file.end` closes
// (with `error` if reading failed). Upload: agent grants as it writes, panel sends, then the
// `file.finish` request commits. Either side's `file.cancel` (or a closed connection) drops it;
// a dropped upload leaves nothing under its final name.

export const FILES_PROTOCOL_VERSION = 4;
export const FILE_CHUNK_BYTES = 64 * 1024;
export const FILE_WINDOW_BYTES = 1024 * 1024;
const FILE_CHUNK_KIND = 1;
const FILE_HEADER_BYTES = 9;

export interface FileTarget {
  uuid: string;
  target: string;
}

export interface FileListItem {
  name: string;
  size: number;
  /** As MCSManager's daemon gives it: a Date's toString(). */
  time: string;
  /** Permission bits written as a decimal number (0o755 → 755), MCSManager's way. */
  mode: number;
  /** 0 folder, 1 file (MCSManager's). */
  type: 0 | 1;
}

export interface FileListResult {
  items: FileListItem[];
  page: number;
  pageSize: number;
  total: number;
  absolutePath: string;
}

export interface FileCreditFrame {
  type: "file.credit";
  stream: number;
  bytes: number;
}

export function encodeFileChunk(stream: number, seq: number, data: Uint8Array): Buffer {
  const buf = Buffer.allocUnsafe(FILE_HEADER_BYTES + data.length);
  buf.writeUInt8(FILE_CHUNK_KIND, 0);
  buf.writeUInt32BE(stream >>> 0, 1);
  buf.writeUInt32BE(seq >>> 0, 5);
  buf.set(data, FILE_HEADER_BYTES);
  return buf;
}

/** A chunk frame's parts (the payload is a view into `frame`), or null if it is not one. */
export function decodeFileChunk(frame: Buffer): { stream: number; seq: number; payload: Buffer } | null {
  if (frame.length < FILE_HEADER_BYTES || frame.length > FILE_HEADER_BYTES + FILE_CHUNK_BYTES || frame[0] !== FILE_CHUNK_KIND) return null;
  return { stream: frame.readUInt32BE(1), seq: frame.readUInt32BE(5), payload: frame.subarray(FILE_HEADER_BYTES) };
}

// ---- Streamed output (protocol 6) ------------------------------------------------------------------
//
// Instances: the panel's `watch` frame lists the instances whose console someone has open (each
// replaces the previous list; sent after the agent's hello and whenever it changes). The agent
// pushes what those instances write as chunks in `output` frames, numbered per instance (`seq`
// goes up by one per chunk; a number skipped means output was dropped: the panel reads the
// buffer again). Output of instances nobody watches only goes to the ring buffer: a console
// costs nothing while closed, and 10,000 agents do not stream to a panel that shows none of it.
// Commands: `cmd.run` with `stream: true` pushes the command's output (what its result will hold,
// so at most MAX_OUTPUT_BYTES) as chunks of the request's id, before the result.
//
// Pacing: chunks are batched (a frame at most every OUTPUT_FLUSH_MS, at once from
// OUTPUT_FLUSH_BYTES), all streams of an agent in one frame, within OUTPUT_FRAMES_PER_SECOND
// frames a second (bursts of OUTPUT_FRAME_BURST): well inside the panel's limit of 20 frames a
// second per agent, beside its reports. Output written faster waits and goes out in bigger frames;
// beyond OUTPUT_PENDING_BYTES waiting for one instance it is dropped (and `seq` skips one).

export const STREAMING_PROTOCOL_VERSION = 6;
export const OUTPUT_FLUSH_MS = 50;
export const OUTPUT_FLUSH_BYTES = 16 * 1024;
export const OUTPUT_FRAMES_PER_SECOND = 10;
export const OUTPUT_FRAME_BURST = 50;
/** Raw output bytes in one frame at most (escaped as JSON it stays well under MAX_FRAME_BYTES). */
export const OUTPUT_FRAME_BYTES = 128 * 1024;
export const OUTPUT_PENDING_BYTES = 256 * 1024;
/** Instances one `watch` frame may name. */
export const MAX_WATCHED = 1_000;

export interface WatchFrame {
  type: "watch";
  instances: string[];
}

export interface InstanceOutputChunk {
  uuid: string;
  seq: number;
  data: string;
}

export interface CommandOutputChunk {
  /** The id of the `cmd.run` request. */
  id: number;
  seq: number;
  data: string;
}

export interface OutputFrame {
  type: "output";
  instances?: InstanceOutputChunk[];
  commands?: CommandOutputChunk[];
}
