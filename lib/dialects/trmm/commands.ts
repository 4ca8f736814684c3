/**
 * Tactical RMM's command body (`POST /agents/{agent_id}/cmd/`), parsed with Django REST
 * framework's wording so that clients written against Tactical RMM see familiar field errors.
 */
import { z } from "zod";
import { DEFAULT_TIMEOUT, MAX_COMMAND_CHARS, MAX_TIMEOUT, MIN_TIMEOUT, SHELLS, type CommandInput } from "../../fleet/commands";

export const UNABLE_TO_CONTACT = "Unable to contact the agent";

/** The answer to a command queued for an offline agent (a JSON string, like every command answer). */
export const queuedMessage = (hostname: string, jobId: number) =>
  `The command was queued and will run on ${hostname} when its agent connects again (job #${jobId})`;

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
  queue_if_offline: z
    .boolean({ error: "Must be a valid boolean." })
    .default(false)
    .describe(
      "Fleetdeck extension. When true and the agent is not connected, the command is queued instead of refused: the answer is 200 " +
        'with a JSON string ("The command was queued and will run on {hostname} when its agent connects again (job #N)"), and the ' +
        "command runs once when the agent connects, within FLEETDECK_QUEUE_EXPIRY_HOURS (default 24); its output then appears in " +
        "the agent's history under the user who queued it. Queued jobs are listed and cancelled in the panel. Default false: an " +
        'offline agent answers 400 {"detail":"Unable to contact the agent"}, as Tactical RMM does.',
    ),
});


/**
 * Parses a command body; throws a ZodError listing every bad field at once, as DRF does (zod
 * skips object-level checks once a field failed, so the cross-field rules run separately).
 */
export function parseCmdBody(raw: unknown): { input: CommandInput; queueIfOffline: boolean } {
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
    input: {
      shell: b.shell,
      cmd: (b.cmd ?? b.command)!,
      timeout: b.timeout,
      ...(b.shell === "custom" ? { customShell: b.custom_shell!.trim() } : {}),
    },
    queueIfOffline: b.queue_if_offline,
  };
}

