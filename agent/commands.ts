/**
 * `cmd.run`: runs one command through a shell and returns its combined output.
 */
import { MAX_OUTPUT_BYTES, type RequestMap } from "./protocol";
export { MAX_COMMAND_TIMEOUT } from "./protocol";
import { AgentError } from "./errors";
import { runProcess } from "./process";
import { isExecutable, which } from "./util";

type CmdParams = RequestMap["cmd.run"]["params"];
type CmdResult = RequestMap["cmd.run"]["result"];

/**
 * For POSIX shells, stderr is sent into the stdout pipe by the shell itself, so that the combined
 * output keeps the exact order in which the command wrote it (as Go's CombinedOutput does with one
 * pipe; two pipes read by the agent can be reordered when its event loop is busy). Kept on the
 * same line so that the shell's line numbers in error messages stay the user's.
 */
const posixCombined = (cmd: string): string => `exec 2>&1; ${cmd}`;

interface ShellPlan {
  file: string;
  args: string[];
}

async function firstExisting(candidates: string[]): Promise<string | null> {
  for (const c of candidates) {
    const found = c.includes("/") || c.includes("\\") ? ((await isExecutable(c)) ? c : null) : await which(c);
    if (found) return found;
  }
  return null;
}

/** Maps the panel's shell name to an executable on this machine, or throws `bad_shell`. */
export async function resolveShell(shell: string, cmd: string, customShell?: string): Promise<ShellPlan> {
  switch (shell) {
    case "bash":
    case "/bin/bash": {
      const file = await firstExisting(["/bin/bash", "bash"]);
      if (!file) throw new AgentError("bad_shell", "bash is not installed on this machine");
      return { file, args: ["-c", posixCombined(cmd)] };
    }
    case "sh":
    case "/bin/sh": {
      const file = await firstExisting(["/bin/sh", "sh"]);
      if (!file) throw new AgentError("bad_shell", "sh is not available on this machine");
      return { file, args: ["-c", posixCombined(cmd)] };
    }
    case "cmd": {
      if (process.platform !== "win32") {
        throw new AgentError("bad_shell", `the cmd shell exists only on Windows (this machine runs ${process.platform})`);
      }
      const file = process.env.ComSpec || "cmd.exe";
      return { file, args: ["/d", "/s", "/c", cmd] };
    }
    case "powershell": {
      const file = await firstExisting(["pwsh", "powershell"]);
      if (!file) throw new AgentError("bad_shell", "PowerShell (pwsh or powershell) is not on this machine's PATH");
      return { file, args: ["-NoProfile", "-NonInteractive", "-Command", cmd] };
    }
    case "custom": {
      if (!customShell) throw new AgentError("bad_shell", 'shell "custom" needs customShell (the path of an executable)');
      if (!(await isExecutable(customShell))) {
        throw new AgentError("bad_shell", `custom shell ${JSON.stringify(customShell)} is not an executable file on this machine`);
      }
      return { file: customShell, args: ["-c", cmd] };
    }
    default:
      throw new AgentError(
        "bad_shell",
        `unknown shell ${JSON.stringify(shell)} (use bash, sh, cmd, powershell or custom)`,
      );
  }
}

/** Runs a command; `onData` receives its output as it is written (what the result will hold). */
export async function runCommand(params: CmdParams, onData?: (chunk: Buffer) => void): Promise<CmdResult> {
  const plan = await resolveShell(params.shell, params.cmd, params.customShell);
  try {
    return await runProcess(plan.file, plan.args, {
      timeoutMs: Math.round(params.timeout * 1000),
      maxBytes: MAX_OUTPUT_BYTES,
      onData,
    });
  } catch (err) {
    throw new AgentError("bad_shell", `cannot start ${plan.file}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
