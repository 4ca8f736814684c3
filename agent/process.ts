/**
 * Running a child process with bounded output and a hard timeout that kills its whole process
 * group (shell + everything it started), used by cmd.run and updates.scan.
 */
import { spawn, type ChildProcess } from "node:child_process";

export interface RunOptions {
  timeoutMs: number;
  /** Output kept (stdout and stderr interleaved in arrival order); the rest is drained and dropped. */
  maxBytes: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Each part of the output as it is kept (what the result will hold), as it is written. */
  onData?(chunk: Buffer): void;
}

export interface RunResult {
  output: string;
  exitCode: number | null;
  timedOut: boolean;
  truncated: boolean;
}

/** Kills a detached child and its process group (on Windows, the process tree). */
export function killTree(child: ChildProcess, signal: NodeJS.Signals = "SIGKILL"): void {
  const pid = child.pid;
  if (pid === undefined) return;
  if (process.platform === "win32") {
    try {
      const tk = spawn("taskkill", ["/pid", String(pid), "/T", "/F"], { stdio: "ignore", windowsHide: true });
      tk.on("error", () => child.kill());
    } catch {
      child.kill();
    }
    return;
  }
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is gone already (or never became one): fall back to the child itself.
    try {
      child.kill(signal);
    } catch {
      /* already dead */
    }
  }
}

/** Collects chunks up to a byte limit, remembering whether anything was dropped. */
export class CappedBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  truncated = false;
  constructor(private readonly max: number) {}
  /** Keeps what fits; returns the part kept (empty when full). */
  push(chunk: Buffer): Buffer {
    const room = this.max - this.size;
    if (room <= 0) {
      if (chunk.length > 0) this.truncated = true;
      return chunk.subarray(0, 0);
    }
    if (chunk.length > room) {
      const kept = chunk.subarray(0, room);
      this.chunks.push(kept);
      this.size += room;
      this.truncated = true;
      return kept;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
    return chunk;
  }
  toString(): string {
    return Buffer.concat(this.chunks, this.size).toString("utf8");
  }
}

/**
 * Spawns `file args` in its own process group with stdin closed, and resolves once it has exited
 * and its output pipes have closed (or shortly after the exit if some descendant escaped the group
 * and holds them). Rejects only when the process cannot be spawned at all.
 */
export function runProcess(file: string, args: string[], opts: RunOptions): Promise<RunResult> {
  return new Promise<RunResult>((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(file, args, {
        cwd: opts.cwd,
        env: opts.env ?? process.env,
        stdio: ["ignore", "pipe", "pipe"],
        detached: process.platform !== "win32",
        windowsHide: true,
      });
    } catch (err) {
      reject(err);
      return;
    }
    const out = new CappedBuffer(opts.maxBytes);
    let timedOut = false;
    let exitCode: number | null = null;
    let settled = false;
    let graceTimer: NodeJS.Timeout | undefined;

    const finish = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(killTimer);
      clearTimeout(graceTimer);
      child.stdout?.destroy();
      child.stderr?.destroy();
      resolve({ output: out.toString(), exitCode, timedOut, truncated: out.truncated });
    };

    const killTimer = setTimeout(() => {
      timedOut = true;
      killTree(child, "SIGKILL");
    }, opts.timeoutMs);

    const onData = (chunk: Buffer): void => {
      const kept = out.push(chunk);
      if (kept.length && opts.onData) opts.onData(kept);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.on("error", (err) => {
      if (settled) return;
      if (child.pid === undefined) {
        // Spawn failure: nothing ran.
        settled = true;
        clearTimeout(killTimer);
        reject(err);
      }
    });
    child.on("exit", (code) => {
      exitCode = code;
      clearTimeout(killTimer);
      // A background descendant (`cmd &`) may keep the pipes open: it is left running, but we
      // do not wait for the pipes for more than a moment.
      graceTimer = setTimeout(finish, 1000);
    });
    child.on("close", finish);
  });
}
