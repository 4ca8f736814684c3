/**
 * Remote commands (`POST /agents/{agent_id}/cmd/`): validate the body, record the run, hand it to
 * the agent over its WebSocket, and turn the agent's answer or failure into what Tactical RMM's
 * clients expect. Used by the Tactical RMM dialect and by the panel UI alike.
 */
import { z } from "zod";
import { MAX_OUTPUT_BYTES } from "../../agent/protocol";
import { audit } from "../audit";
import type { Principal } from "../auth/principal";
import { db } from "../db";
import { ApiError } from "../dialects/common";
import { AgentRequestError, askAgent, isAgentConnected } from "../fleet/agents";
import type { LiveEntry } from "../fleet/live";
import { historyItemOf, type CommandRunRow } from "./shape";

/** Shell names Tactical RMM clients send, plus the short POSIX ones. */
export const SHELLS = ["bash", "/bin/bash", "sh", "/bin/sh", "cmd", "powershell", "custom"] as const;
export const MIN_TIMEOUT = 1;
export const MAX_TIMEOUT = 3600;
export const DEFAULT_TIMEOUT = 30;
const MAX_COMMAND_CHARS = 64 * 1024;
/** Time on top of the command's own timeout for the agent to kill it and answer. */
const ANSWER_GRACE_MS = 5_000;

export const UNABLE_TO_CONTACT = "Unable to contact the agent";
export const COMMANDS_DISABLED =
  "Commands are disabled on this agent: it runs commands only when started with --allow-commands";

// DRF's wording, so that clients written against Tactical RMM see familiar field errors.
const REQUIRED = "This field is required.";
const requiredOr = (message: string) => ({ error: (issue: { input?: unknown }) => (issue.input === undefined ? REQUIRED : message) });
const commandText = () =>
  z
    .string(requiredOr("Not a valid string."))
    .min(1, "This field may not be blank.")
    .max(MAX_COMMAND_CHARS, `Ensure this field has no more than ${MAX_COMMAND_CHARS} characters.`);

export const cmdBody = z.object({
  shell: z
    .enum(SHELLS, requiredOr(`Not a valid choice: use one of ${SHELLS.join(", ")}.`))
    .describe("bash or /bin/bash, sh or /bin/sh, cmd (Windows), powershell (pwsh or powershell on PATH), custom (with custom_shell)"),
  cmd: commandText().optional().describe("The command line (required unless `command` is given)"),
  command: commandText().optional().describe("Alias of `cmd`"),
  // DRF's IntegerField accepts "30" as well as 30; so do we. Never 2.5, never out of range.
  timeout: z
    .union([z.number().int(), z.string().regex(/^\s*\d+\s*$/).transform(Number)], { error: "A valid integer is required." })
    .pipe(
      z
        .number()
        .min(MIN_TIMEOUT, `Ensure this value is greater than or equal to ${MIN_TIMEOUT}.`)
        .max(MAX_TIMEOUT, `Ensure this value is less than or equal to ${MAX_TIMEOUT}.`),
    )
    .default(DEFAULT_TIMEOUT)
    .describe(`Seconds (${MIN_TIMEOUT}–${MAX_TIMEOUT}, default ${DEFAULT_TIMEOUT}); the command is killed when it runs longer`),
  run_as_user: z
    .boolean({ error: "Must be a valid boolean." })
    .default(false)
    .describe("Tactical RMM runs the command as the logged-in Windows user; Fleetdeck agents cannot, so only false is accepted"),
  custom_shell: z.string().max(4096).optional().describe("Path of the executable when shell is custom (run as `<custom_shell> -c <cmd>`)"),
});

export interface CommandInput {
  shell: (typeof SHELLS)[number];
  cmd: string;
  timeout: number;
  customShell?: string;
}

/**
 * Parses a command body; throws a ZodError listing every bad field at once, as DRF does (zod
 * skips object-level checks once a field failed, so the cross-field rules run separately).
 */
export function parseCmdBody(raw: unknown): CommandInput {
  const input = raw === undefined || raw === null ? {} : raw;
  const parsed = cmdBody.safeParse(input);
  const issues: z.core.$ZodIssue[] = parsed.success ? [] : [...parsed.error.issues];
  if (typeof input === "object" && !Array.isArray(input)) {
    const body = input as Record<string, unknown>;
    const custom = (message: string, path: string): void => {
      issues.push({ code: "custom", message, path: [path], input: body[path] });
    };
    if (body.cmd === undefined && body.command === undefined) custom(REQUIRED, "cmd");
    if (body.shell === "custom" && (typeof body.custom_shell !== "string" || !body.custom_shell.trim())) {
      custom("This field is required when shell is custom.", "custom_shell");
    }
    if (body.run_as_user === true) {
      custom("Not supported: Fleetdeck agents run commands as the user the agent runs as.", "run_as_user");
    }
  }
  if (issues.length || !parsed.success) throw new z.ZodError(issues);
  const b = parsed.data;
  return {
    shell: b.shell,
    cmd: (b.cmd ?? b.command)!,
    timeout: b.timeout,
    ...(b.shell === "custom" ? { customShell: b.custom_shell!.trim() } : {}),
  };
}

export interface CommandOutcome {
  id: number;
  status: "done" | "timeout";
  exitCode: number | null;
  /** The output as stored and answered, with a note when it was cut or the command killed. */
  output: string;
}

function withNotes(output: string, r: { timedOut: boolean; truncated: boolean }, timeout: number): string {
  const notes: string[] = [];
  if (r.truncated) notes.push(`[Fleetdeck: the output was longer than ${MAX_OUTPUT_BYTES / 1024} KiB; only the first ${MAX_OUTPUT_BYTES / 1024} KiB are shown]`);
  if (r.timedOut) notes.push(`[Fleetdeck: the command did not finish within ${timeout} s and was killed]`);
  if (!notes.length) return output;
  return (output && !output.endsWith("\n") ? output + "\n" : output) + notes.join("\n");
}

/** What a failed agent request means to the caller: always a 400 with a plain sentence. */
function failureMessage(e: unknown): string {
  if (!(e instanceof AgentRequestError)) return UNABLE_TO_CONTACT;
  switch (e.code) {
    case "commands_disabled":
      return COMMANDS_DISABLED;
    case "bad_shell":
    case "bad_request":
      return `The agent cannot run this command: ${e.message}`;
    case "offline":
    case "timeout":
    case "bad_response":
      return UNABLE_TO_CONTACT;
    default:
      return `The agent failed to run the command: ${e.message}`;
  }
}

/**
 * Runs a command on an agent and records it (who, when, which agent, command, exit code,
 * output). A command to an agent without an open connection is refused at once and recorded as
 * failed, so the history also shows attempts that never ran.
 */
export async function runCommand(entry: LiveEntry, p: Principal, input: CommandInput, ip = ""): Promise<CommandOutcome> {
  const serverId = entry.meta.id;
  const run = await db.commandRun.create({
    data: { serverId, userId: p.userId, username: p.username, shell: input.shell, command: input.cmd, timeout: input.timeout, status: "running" },
  });
  void audit({ action: "agent.cmd", actorId: p.userId, actorName: p.username, target: entry.meta.name, detail: `#${run.id} ${input.shell}: ${input.cmd.slice(0, 200)}`, ip }).catch(() => undefined);
  try {
    if (!isAgentConnected(serverId)) throw new AgentRequestError("offline", "the agent is not connected");
    const r = await askAgent(
      serverId,
      "cmd.run",
      { shell: input.shell, cmd: input.cmd, timeout: input.timeout, ...(input.customShell ? { customShell: input.customShell } : {}) },
      input.timeout * 1000 + ANSWER_GRACE_MS,
    );
    const output = withNotes(r.output, r, input.timeout);
    const status = r.timedOut ? "timeout" : "done";
    await db.commandRun.update({ where: { id: run.id }, data: { status, exitCode: r.exitCode, output, finishedAt: new Date() } });
    return { id: run.id, status, exitCode: r.exitCode, output };
  } catch (e) {
    const message = failureMessage(e);
    const detail = e instanceof AgentRequestError && message === UNABLE_TO_CONTACT ? `${message} (${e.message})` : message;
    await db.commandRun.update({ where: { id: run.id }, data: { status: "failed", output: detail, finishedAt: new Date() } }).catch(() => undefined);
    throw new ApiError(400, message);
  }
}

/** Most recent first; the documented endpoints never page through more than this. */
export const HISTORY_LIMIT = 200;

export async function commandHistory(entry: LiveEntry) {
  const rows: CommandRunRow[] = await db.commandRun.findMany({
    where: { serverId: entry.meta.id },
    orderBy: { id: "desc" },
    take: HISTORY_LIMIT,
  });
  return rows.map((r) => historyItemOf(r, entry.meta.agentId));
}
