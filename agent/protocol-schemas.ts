/**
 * The agent protocol's zod schemas, in one place for both ends: the panel's hub validates what
 * agents send with them, the agent validates what the panel sends. Built with `zod/mini` (its
 * functional API tree-shakes), because this module is bundled into the agent, which must stay
 * small on every managed machine.
 *
 * Objects strip unknown keys: a newer peer may send more, and nothing unchecked reaches a handler.
 */
import * as z from "zod/mini";
import {
  MAX_COMMAND_TIMEOUT,
  MAX_FRAME_BYTES,
  MAX_INSTANCES,
  MAX_MONITOR_RESULTS,
  MAX_MONITORS,
  MAX_OUTPUT_BYTES,
  MAX_WATCHED,
  OUTPUT_FRAME_BYTES,
  FILE_CHUNK_BYTES,
  FILE_WINDOW_BYTES,
  type AgentErrorCode,
  type Capabilities,
  type FileListResult,
  type HostInfo,
  type InstanceDefinition,
  type InstanceState,
  type InstanceUsage,
  type LiveState,
  type MonitorResult,
  type MonitorTask,
  type OutputFrame,
  type PendingUpdate,
  type WatchFrame,
  type RequestMap,
  type RequestMethod,
} from "./protocol";

const str = (max = 1024) => z.string().check(z.maxLength(max));
const count = () => z.int().check(z.nonnegative());
const nonneg = () => z.number().check(z.nonnegative());
const list = <T extends z.core.SomeType>(item: T, max: number) => z.array(item).check(z.maxLength(max));

/** Longest text a peer's error message keeps (it is shown to people, not parsed). */
const MAX_ERROR_CHARS = 4096;

/** Cuts text to at most `max` UTF-8 bytes on a character boundary, keeping its head or its tail. */
export function capBytes(text: string, max: number, keep: "head" | "tail"): { text: string; cut: boolean } {
  // A string of n UTF-16 units holds at most 3n UTF-8 bytes: most answers need no encoding.
  if (text.length * 3 <= max) return { text, cut: false };
  const buf = Buffer.from(text, "utf8");
  if (buf.length <= max) return { text, cut: false };
  if (keep === "head") {
    let end = max;
    while (end > 0 && (buf[end] & 0xc0) === 0x80) end--; // do not split a character
    return { text: buf.subarray(0, end).toString("utf8"), cut: true };
  }
  let start = buf.length - max;
  while (start < buf.length && (buf[start] & 0xc0) === 0x80) start++;
  return { text: buf.subarray(start).toString("utf8"), cut: true };
}

/** A failed validation in one line: where and what (zod/mini carries no English messages). */
export function issueText(error: z.core.$ZodError, prefix = ""): string {
  const issue = error.issues[0];
  if (!issue) return "invalid";
  const where = [prefix, ...issue.path.map(String)].filter(Boolean).join(".") || "frame";
  if (issue.message && issue.message !== "Invalid input") return `${where}: ${issue.message}`;
  const detail = issue as { expected?: unknown; maximum?: unknown; minimum?: unknown };
  const extra =
    detail.expected !== undefined ? ` (expected ${String(detail.expected)})`
    : detail.maximum !== undefined ? ` (at most ${String(detail.maximum)})`
    : detail.minimum !== undefined ? ` (at least ${String(detail.minimum)})`
    : "";
  return `${where}: ${issue.code.replace(/_/g, " ")}${extra}`;
}

// ---- what agents send (validated by the panel's hub) -------------------------------------------

export const capabilitiesSchema: z.ZodMiniType<Capabilities> = z.object({ commands: z.boolean(), instances: z.boolean(), selfUpdate: z.optional(z.boolean()) });

export const hostSchema: z.ZodMiniType<HostInfo> = z.object({
  hostname: str(255),
  platform: str(64),
  platformVersion: str(256),
  release: str(256),
  cpu: list(str(512), 256),
  arch: str(64),
  virtualization: str(128),
  bootTime: nonneg(),
  memTotal: nonneg(),
  diskTotal: nonneg(),
  swapTotal: nonneg(),
  ipv4: str(64),
  ipv6: str(128),
  localIps: list(str(128), 256),
  gpu: list(str(512), 64),
  agentVersion: str(64),
  cwd: str(4096),
});

export const liveStateSchema: z.ZodMiniType<LiveState> = z.object({
  cpu: z.number().check(z.minimum(0), z.maximum(100)),
  memUsed: nonneg(),
  memTotal: nonneg(),
  swapUsed: nonneg(),
  diskUsed: nonneg(),
  netInTransfer: nonneg(),
  netOutTransfer: nonneg(),
  netInSpeed: nonneg(),
  netOutSpeed: nonneg(),
  uptime: nonneg(),
  load1: nonneg(),
  load5: nonneg(),
  load15: nonneg(),
  tcpConnCount: count(),
  udpConnCount: count(),
  processCount: count(),
  temperatures: list(z.object({ name: str(128), temperature: z.number() }), 512),
  process: z.object({ cpuMicros: nonneg(), memory: nonneg() }),
  users: z.optional(list(str(256), 1024)),
  needsReboot: z.optional(z.nullable(z.boolean())),
  instanceUsage: z.optional(list(z.lazy(() => instanceUsageSchema), MAX_INSTANCES)),
});

const uuidSchema = z.string().check(z.minLength(1), z.maxLength(128));

export const instanceStateSchema: z.ZodMiniType<InstanceState> = z.object({
  uuid: uuidSchema,
  status: z.enum(["stopped", "starting", "running", "stopping"]),
  pid: z.nullable(z.int().check(z.positive())),
  exitCode: z.nullable(z.int()),
  startedAt: z.nullable(nonneg()),
});

const instanceUsageSchema: z.ZodMiniType<InstanceUsage> = z.object({
  uuid: uuidSchema,
  cpu: nonneg(),
  memory: nonneg(),
  processStartedAt: z.nullable(nonneg()),
  space: z.nullable(nonneg()),
});

export const envelopeSchema = z.object({ type: z.string() });
export const helloFrameSchema = z.object({
  type: z.literal("hello"),
  protocol: z.int().check(z.positive()),
  agentVersion: z._default(str(64), ""),
  capabilities: capabilitiesSchema,
});
export const hostFrameSchema = z.object({ type: z.literal("host"), host: hostSchema });
export const stateFrameSchema = z.object({
  type: z.literal("state"),
  seq: z.int().check(z.positive()),
  at: z.int().check(z.nonnegative()),
  state: liveStateSchema,
});
export const instancesFrameSchema = z.object({ type: z.literal("instances"), instances: list(instanceStateSchema, MAX_INSTANCES) });
export const monitorResultSchema: z.ZodMiniType<MonitorResult> = z.object({
  monitorId: z.int().check(z.positive()),
  at: nonneg(),
  ok: z.boolean(),
  delayMs: z.number().check(z.gte(0), z.lte(3_600_000)),
  certDaysLeft: z.optional(z.nullable(z.number().check(z.gte(-100_000), z.lte(100_000)))),
  error: z.optional(str(500)),
});
export const monitorResultsFrameSchema = z.object({ type: z.literal("monitor_results"), results: list(monitorResultSchema, MAX_MONITOR_RESULTS) });

const agentErrorCodes = [
  "commands_disabled",
  "instances_disabled",
  "bad_shell",
  "unknown_instance",
  "instance_not_running",
  "instance_running",
  "start_failed",
  "bad_request",
  "internal",
  "file_bad_path",
  "file_not_found",
  "file_exists",
  "file_too_large",
  "file_binary",
  "file_not_a_file",
  "file_not_a_directory",
  "file_bad_archive",
] as const satisfies readonly AgentErrorCode[];

export const resultFrameSchema = z.union([
  z.object({ type: z.literal("result"), id: z.int(), ok: z.literal(true), data: z.unknown() }),
  z.object({
    type: z.literal("result"),
    id: z.int(),
    ok: z.literal(false),
    // A code this panel does not know (newer agent) is reported as "internal".
    code: z.catch(z.enum(agentErrorCodes), "internal" as const),
    // Cut rather than refused: a refused answer would leave the request to time out.
    error: z.pipe(z.string(), z.transform((s) => (s.length > MAX_ERROR_CHARS ? `${s.slice(0, MAX_ERROR_CHARS)}…` : s))),
  }),
]);
export type ResultFrame = z.infer<typeof resultFrameSchema>;

const pendingUpdateSchema: z.ZodMiniType<PendingUpdate> = z.object({
  name: str(512),
  currentVersion: str(512),
  newVersion: str(512),
  source: str(512),
  severity: z.optional(z.enum(["security", "normal", ""])),
});

/**
 * What each request's result must look like. Output is capped at MAX_OUTPUT_BYTES here too:
 * the panel never trusts an agent's own cap (a command's output keeps its head and is flagged,
 * a console keeps its most recent tail).
 */
export const resultSchemas: { [M in RequestMethod]: z.ZodMiniType<RequestMap[M]["result"]> } = {
  "cmd.run": z.pipe(
    z.object({ output: z.string(), exitCode: z.nullable(z.int()), timedOut: z.boolean(), truncated: z.boolean() }),
    z.transform((r) => {
      const { text, cut } = capBytes(r.output, MAX_OUTPUT_BYTES, "head");
      return { ...r, output: text, truncated: r.truncated || cut };
    }),
  ),
  "updates.scan": z.object({ manager: str(64), updates: list(pendingUpdateSchema, 100_000) }),
  "instance.sync": z.object({ count: count() }),
  "instance.start": instanceStateSchema,
  "instance.stop": instanceStateSchema,
  "instance.restart": instanceStateSchema,
  "instance.kill": instanceStateSchema,
  "instance.input": z.object({ ok: z.literal(true) }),
  "instance.output": z.pipe(
    z.object({ output: z.string(), seq: z.optional(count()) }),
    z.transform((r) => ({ output: capBytes(r.output, MAX_OUTPUT_BYTES, "tail").text, ...(r.seq !== undefined ? { seq: r.seq } : {}) })),
  ),
  ...fileResultSchemas(),
};

// ---- what the panel sends (validated by the agent) ----------------------------------------------

export const welcomeFrameSchema = z.object({ type: z.literal("welcome"), serverId: z.int(), protocol: z.int() });
export const monitorTaskSchema: z.ZodMiniType<MonitorTask> = z.object({
  id: z.int().check(z.positive()),
  type: z.union([z.literal(1), z.literal(2), z.literal(3)]),
  target: str(2048),
  intervalSec: z.int().check(z.gte(10), z.lte(86_400)),
});
export const monitorsFrameSchema = z.object({ type: z.literal("monitors"), monitors: list(monitorTaskSchema, MAX_MONITORS) });
/** The envelope of a request; its params are checked per method with paramsSchemas. */
export const requestFrameSchema = z.object({
  type: z.literal("request"),
  id: z.int(),
  method: z.string().check(z.maxLength(64)),
  params: z.unknown(),
});

const notBlank = (what: string) => z.refine<string>((v) => v.trim() !== "", `${what} must not be empty`);

export const instanceDefinitionSchema: z.ZodMiniType<InstanceDefinition> = z.object({
  uuid: uuidSchema,
  name: z._default(str(1024), ""),
  startCommand: z.string().check(notBlank("startCommand")),
  cwd: z._default(str(4096), ""),
  stopCommand: z._default(z.string(), ""),
  autoRestart: z._default(z.boolean(), false),
  autoStart: z._default(z.boolean(), false),
});

const uuidParams = z.object({ uuid: uuidSchema });

export const paramsSchemas: { [M in RequestMethod]: z.ZodMiniType<RequestMap[M]["params"]> } = {
  "cmd.run": z.object({
    shell: str(4096),
    cmd: z.string(),
    timeout: z.number().check(
      z.refine((t) => Number.isFinite(t) && t > 0 && t <= MAX_COMMAND_TIMEOUT, `must be a number of seconds from 1 to ${MAX_COMMAND_TIMEOUT}`),
    ),
    customShell: z.pipe(z.optional(z.nullable(str(4096))), z.transform((v) => v ?? undefined)),
    stream: z.optional(z.boolean()),
  }),
  "updates.scan": z.pipe(z.unknown(), z.transform(() => ({}) as Record<string, never>)),
  "instance.sync": z.object({ instances: list(instanceDefinitionSchema, MAX_INSTANCES) }),
  "instance.start": uuidParams,
  "instance.stop": uuidParams,
  "instance.restart": uuidParams,
  "instance.kill": uuidParams,
  "instance.input": z.object({ uuid: uuidSchema, line: z.string().check(z.maxLength(MAX_FRAME_BYTES)) }),
  "instance.output": uuidParams,
  ...fileParamsSchemas(),
};

export const isRequestMethod = (m: string): m is RequestMethod => Object.prototype.hasOwnProperty.call(paramsSchemas, m);

// ---- instance files (protocol 4) ------------------------------------------------------------------
// Functions, so that this section can sit at the end of the module and still be spread into the
// tables above (they are built when the module loads, after these declarations are hoisted).

// Plain numbers and function declarations only: the tables above call these while the module loads.
function filePath() {
  return z.string().check(z.maxLength(4096));
}
function okSchema() {
  return z.object({ ok: z.literal(true) });
}
function streamId() {
  return z.int().check(z.nonnegative(), z.maximum(0xffffffff));
}

function fileResultSchemas() {
  const listItem = z.object({
    name: str(1024),
    size: nonneg(),
    time: str(128),
    mode: z.int(),
    type: z.union([z.literal(0), z.literal(1)]),
  });
  return {
    "file.list": z.object({ items: list(listItem, 100), page: count(), pageSize: count(), total: count(), absolutePath: filePath() }) as z.ZodMiniType<FileListResult>,
    "file.read": z.object({ text: z.string().check(z.maxLength(MAX_FRAME_BYTES)) }),
    "file.write": okSchema(),
    "file.touch": okSchema(),
    "file.mkdir": okSchema(),
    "file.copy": okSchema(),
    "file.move": okSchema(),
    "file.delete": okSchema(),
    "file.zip": okSchema(),
    "file.unzip": okSchema(),
    "file.download": z.object({ size: nonneg(), name: str(1024) }),
    "file.upload": z.object({ credit: z.int().check(z.positive(), z.maximum(FILE_WINDOW_BYTES * 4)) }),
    "file.finish": z.object({ size: nonneg() }),
  } as const;
}

function fileParamsSchemas() {
  const target = z.object({ uuid: uuidSchema, target: filePath() });
  const pairs = z.object({ uuid: uuidSchema, pairs: list(z.tuple([filePath(), filePath()]), 10_000) }) as z.ZodMiniType<{ uuid: string; pairs: [string, string][] }>;
  return {
    "file.list": z.object({ uuid: uuidSchema, target: filePath(), page: count(), pageSize: z.int().check(z.minimum(1), z.maximum(100)), fileName: str(1024) }),
    "file.read": target,
    "file.write": z.object({ uuid: uuidSchema, target: filePath(), text: z.string().check(z.maxLength(MAX_FRAME_BYTES)) }),
    "file.touch": target,
    "file.mkdir": target,
    "file.copy": pairs,
    "file.move": pairs,
    "file.delete": z.object({ uuid: uuidSchema, targets: list(filePath(), 10_000) }),
    "file.zip": z.object({ uuid: uuidSchema, archive: filePath(), files: list(filePath(), 10_000) }),
    "file.unzip": z.object({ uuid: uuidSchema, archive: filePath(), dest: filePath(), code: str(32) }),
    "file.download": z.object({ uuid: uuidSchema, target: filePath(), stream: streamId() }),
    "file.upload": z.object({ uuid: uuidSchema, dir: filePath(), name: str(1024), stream: streamId() }),
    "file.finish": z.object({ stream: streamId() }),
  } as const;
}

/** Agent → panel: more room for an upload; the end of a download. */
export const fileCreditFrameSchema = z.object({ type: z.literal("file.credit"), stream: streamId(), bytes: z.int().check(z.positive(), z.maximum(FILE_WINDOW_BYTES * 4)) });
export const fileEndFrameSchema = z.object({ type: z.literal("file.end"), stream: streamId(), error: z.optional(str(MAX_ERROR_CHARS)) });
/** Panel → agent: more room for a download; drop a transfer. */
export const fileCancelFrameSchema = z.object({ type: z.literal("file.cancel"), stream: streamId() });
export { FILE_CHUNK_BYTES };

// ---- streamed output (protocol 6) -----------------------------------------------------------------

/** Agent → panel: chunks of watched instances' and streamed commands' output. */
export const outputFrameSchema: z.ZodMiniType<OutputFrame> = z.object({
  type: z.literal("output"),
  // A chunk's data is at most OUTPUT_FRAME_BYTES of output; as UTF-16 units never more.
  instances: z.optional(list(z.object({ uuid: uuidSchema, seq: z.int().check(z.positive()), data: z.string().check(z.maxLength(OUTPUT_FRAME_BYTES)) }), MAX_WATCHED)),
  commands: z.optional(list(z.object({ id: z.int(), seq: z.int().check(z.positive()), data: z.string().check(z.maxLength(OUTPUT_FRAME_BYTES)) }), 1_000)),
});

/** Panel → agent: the instances whose output to push. */
export const watchFrameSchema: z.ZodMiniType<WatchFrame> = z.object({ type: z.literal("watch"), instances: list(uuidSchema, MAX_WATCHED) });
