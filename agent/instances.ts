/**
 * The instance manager: long-running processes (game servers, workers…) whose definitions come
 * from the panel (`instance.sync`), started in their own process group with stdin piped, their
 * recent output kept in a bounded ring buffer, and restarted after crashes when asked to.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { AgentError } from "./errors";
import { killTree } from "./process";
import type { InstanceDefinition, InstanceState, InstanceStatus } from "./protocol";
import { instanceDefinitionSchema, issueText } from "./protocol-schemas";
import { RingBuffer } from "./ringbuffer";
import { errorMessage, isDirectory, log } from "./util";

/** Output kept per instance. */
export const INSTANCE_OUTPUT_BYTES = 64 * 1024;
/** After a stop request, the group is SIGKILLed if still alive after this long. */
export const STOP_KILL_MS = 10_000;
/** A stop/kill request answers after at most this long (with status "stopping" if not done). */
export const STOP_REPLY_MS = 5_000;
const RESTART_MIN_MS = 1_000;
const RESTART_MAX_MS = 60_000;
/** A run this long resets the restart back-off. */
const HEALTHY_RUN_MS = 60_000;

interface Instance {
  def: InstanceDefinition;
  status: InstanceStatus;
  child: ChildProcess | null;
  pid: number | null;
  exitCode: number | null;
  startedAt: number | null;
  output: RingBuffer;
  /** The current run was asked to end (stop/kill/restart/removal/shutdown): not a crash. */
  stopRequested: boolean;
  killTimer: NodeJS.Timeout | null;
  restartTimer: NodeJS.Timeout | null;
  backoffMs: number;
  /** Resolved when the current process exits. */
  exited: Promise<void> | null;
}

export interface InstanceManagerOptions {
  /** Called with every instance's state whenever one of them changes status. */
  onChange(states: InstanceState[]): void;
  /** When set, definitions are saved here on sync and loaded at start-up. */
  dataDir?: string;
  /**
   * The machine's owner allowed instances (--allow-instances). Without it no process is ever
   * started, whatever the panel asks and whatever a saved definition says (automatic restarts
   * included): the check sits where processes are spawned, not only where requests arrive.
   */
  allowed: boolean;
  /** Everything an instance writes (stdout and stderr), as it is written: for streamed consoles. */
  onOutput?(uuid: string, chunk: Buffer): void;
}

/** Checks one definition (from the wire or the data dir); throws bad_request naming the field. */
export function parseDefinition(value: unknown, index = 0): InstanceDefinition {
  const r = instanceDefinitionSchema.safeParse(value);
  if (!r.success) throw new AgentError("bad_request", issueText(r.error, `instances.${index}`));
  return r.data;
}

/** Why an instance may not run here: the machine's owner did not allow instances. */
export const INSTANCES_DISABLED_MESSAGE = "This agent does not run instances (start it with --allow-instances)";

function waitOrTimeout(p: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    void p.then(() => {
      clearTimeout(t);
      resolve();
    });
  });
}

export class InstanceManager {
  private readonly instances = new Map<string, Instance>();
  private shuttingDown = false;
  /** autoStart runs once per agent process, on the first definitions it has (saved or synced). */
  private autoStartDone = false;

  constructor(private readonly opts: InstanceManagerOptions) {}

  /** Loads the definitions saved by the last sync (when a data dir is set). */
  async load(): Promise<void> {
    if (!this.opts.dataDir) return;
    if (!this.opts.allowed) return; // definitions saved while instances were allowed stay on disk, unused
    let raw: string;
    try {
      raw = await readFile(path.join(this.opts.dataDir, "instances.json"), "utf8");
    } catch {
      return; // nothing saved yet
    }
    try {
      const doc: unknown = JSON.parse(raw);
      if (!Array.isArray(doc)) throw new Error("not a list");
      for (const def of doc.map((d, i) => parseDefinition(d, i))) this.instances.set(def.uuid, this.create(def));
      log(`loaded ${this.instances.size} instance definition(s) from ${this.opts.dataDir}`);
      if (this.instances.size) this.autoStart();
    } catch (err) {
      log(`ignoring unreadable ${path.join(this.opts.dataDir, "instances.json")}: ${errorMessage(err)}`);
    }
  }

  states(): InstanceState[] {
    return [...this.instances.values()].map((i) => this.stateOf(i));
  }

  /**
   * MCSManager's eventTask.autoStart: instances so marked start when the agent starts. Only once
   * per agent process (a reconnect or a later sync never restarts what someone stopped).
   */
  private autoStart(): void {
    if (this.autoStartDone || !this.opts.allowed || this.shuttingDown) return;
    this.autoStartDone = true;
    for (const inst of this.instances.values()) {
      if (!inst.def.autoStart || inst.status !== "stopped") continue;
      log(`instance ${inst.def.uuid}: starting (autoStart)`);
      this.spawnInstance(inst).catch((err) => log(`instance ${inst.def.uuid}: autoStart failed: ${errorMessage(err)}`));
    }
  }

  /** Every instance with its folder, and its process (group leader) id while it runs: for usage probes. */
  usageTargets(): { uuid: string; pid: number | null; cwd: string }[] {
    return [...this.instances.values()].map((i) => ({
      uuid: i.def.uuid,
      pid: i.status === "running" && i.pid ? i.pid : null,
      cwd: i.def.cwd || process.cwd(),
    }));
  }

  get runningCount(): number {
    let n = 0;
    for (const i of this.instances.values()) if (i.status !== "stopped") n++;
    return n;
  }

  async sync(defs: InstanceDefinition[]): Promise<{ count: number }> {
    if (!this.opts.allowed && defs.length) throw new AgentError("instances_disabled", INSTANCES_DISABLED_MESSAGE);
    const seen = new Set<string>();
    for (const d of defs) {
      if (seen.has(d.uuid)) throw new AgentError("bad_request", `duplicate instance uuid ${d.uuid}`);
      seen.add(d.uuid);
    }
    for (const [uuid, inst] of this.instances) {
      if (seen.has(uuid)) continue;
      this.instances.delete(uuid);
      this.clearRestart(inst);
      if (inst.status !== "stopped") this.beginStop(inst);
    }
    for (const def of defs) {
      const inst = this.instances.get(def.uuid);
      if (inst) inst.def = def; // a new command/cwd applies at the next start
      else this.instances.set(def.uuid, this.create(def));
    }
    await this.save(defs);
    this.changed();
    this.autoStart();
    return { count: this.instances.size };
  }

  async start(uuid: string): Promise<InstanceState> {
    const inst = this.get(uuid);
    if (inst.status !== "stopped") throw new AgentError("instance_running", `instance ${uuid} is already ${inst.status}`);
    this.clearRestart(inst);
    await this.spawnInstance(inst);
    return this.stateOf(inst);
  }

  async stop(uuid: string): Promise<InstanceState> {
    const inst = this.get(uuid);
    if (inst.status === "stopped") {
      if (inst.restartTimer) {
        this.clearRestart(inst); // a pending automatic restart is cancelled
        return this.stateOf(inst);
      }
      throw new AgentError("instance_not_running", `instance ${uuid} is not running`);
    }
    if (inst.status !== "stopping") this.beginStop(inst);
    if (inst.exited) await waitOrTimeout(inst.exited, STOP_REPLY_MS);
    return this.stateOf(inst);
  }

  async kill(uuid: string): Promise<InstanceState> {
    const inst = this.get(uuid);
    if (inst.status === "stopped") {
      if (inst.restartTimer) {
        this.clearRestart(inst);
        return this.stateOf(inst);
      }
      throw new AgentError("instance_not_running", `instance ${uuid} is not running`);
    }
    inst.stopRequested = true;
    this.clearRestart(inst);
    if (inst.child) killTree(inst.child, "SIGKILL");
    if (inst.exited) await waitOrTimeout(inst.exited, STOP_REPLY_MS);
    return this.stateOf(inst);
  }

  async restart(uuid: string): Promise<InstanceState> {
    const inst = this.get(uuid);
    this.clearRestart(inst);
    if (inst.status !== "stopped") {
      if (inst.status !== "stopping") this.beginStop(inst);
      // The stop escalates to SIGKILL at STOP_KILL_MS, so this wait is bounded.
      if (inst.exited) await waitOrTimeout(inst.exited, STOP_KILL_MS + STOP_REPLY_MS);
      // (status changed while waiting: re-read it)
      if ((inst.status as InstanceStatus) !== "stopped") return this.stateOf(inst);
    }
    if (!this.instances.has(uuid)) throw new AgentError("unknown_instance", `no instance ${uuid} on this agent`);
    await this.spawnInstance(inst);
    return this.stateOf(inst);
  }

  /** The folder an instance runs in (its files are served from it, agent/file-service.ts). */
  cwdOf(uuid: string): string {
    return this.get(uuid).def.cwd || process.cwd();
  }

  input(uuid: string, line: string): { ok: true } {
    const inst = this.get(uuid);
    const stdin = inst.child?.stdin;
    if (inst.status !== "running" || !stdin || !stdin.writable) {
      throw new AgentError("instance_not_running", `instance ${uuid} is not running`);
    }
    stdin.write(line + "\n");
    return { ok: true };
  }

  /** The ring buffer's content, without its last `excludeTail` bytes (output still on its way as a chunk). */
  output(uuid: string, excludeTail = 0): { output: string } {
    return { output: this.get(uuid).output.toString(excludeTail) };
  }

  /** Stops every process (stop command or SIGTERM, SIGKILL after STOP_KILL_MS) and waits for them. */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    const waits: Promise<void>[] = [];
    for (const inst of this.instances.values()) {
      this.clearRestart(inst);
      if (inst.status === "stopped") continue;
      if (inst.status !== "stopping") this.beginStop(inst);
      if (inst.exited) waits.push(inst.exited);
    }
    await waitOrTimeout(Promise.all(waits).then(() => undefined), STOP_KILL_MS + 1_000);
  }

  /** Immediately SIGKILLs every instance's process group (used on a second signal). */
  killAll(): void {
    this.shuttingDown = true;
    for (const inst of this.instances.values()) {
      this.clearRestart(inst);
      if (inst.child) killTree(inst.child, "SIGKILL");
    }
  }

  // ---- internals ----

  private create(def: InstanceDefinition): Instance {
    return {
      def,
      status: "stopped",
      child: null,
      pid: null,
      exitCode: null,
      startedAt: null,
      output: new RingBuffer(INSTANCE_OUTPUT_BYTES),
      stopRequested: false,
      killTimer: null,
      restartTimer: null,
      backoffMs: RESTART_MIN_MS,
      exited: null,
    };
  }

  private get(uuid: unknown): Instance {
    const inst = typeof uuid === "string" ? this.instances.get(uuid) : undefined;
    if (!inst) throw new AgentError("unknown_instance", `no instance ${String(uuid)} on this agent`);
    return inst;
  }

  private stateOf(inst: Instance): InstanceState {
    return {
      uuid: inst.def.uuid,
      status: inst.status,
      pid: inst.pid,
      exitCode: inst.exitCode,
      startedAt: inst.startedAt,
    };
  }

  private changed(): void {
    try {
      this.opts.onChange(this.states());
    } catch (err) {
      log(`instances: change listener failed: ${errorMessage(err)}`);
    }
  }

  private clearRestart(inst: Instance): void {
    if (inst.restartTimer) clearTimeout(inst.restartTimer);
    inst.restartTimer = null;
  }

  private async spawnInstance(inst: Instance): Promise<void> {
    if (!this.opts.allowed) throw new AgentError("instances_disabled", INSTANCES_DISABLED_MESSAGE);
    const cwd = inst.def.cwd || process.cwd();
    if (!(await isDirectory(cwd))) {
      throw new AgentError("start_failed", `working directory ${cwd} does not exist`);
    }
    if (inst.status !== "stopped") throw new AgentError("instance_running", `instance ${inst.def.uuid} is already ${inst.status}`);
    const win = process.platform === "win32";
    const file = win ? process.env.ComSpec || "cmd.exe" : "/bin/sh";
    const args = win ? ["/d", "/s", "/c", inst.def.startCommand] : ["-c", inst.def.startCommand];

    inst.status = "starting";
    inst.stopRequested = false;
    inst.exitCode = null;
    this.changed();

    let child: ChildProcess;
    try {
      child = spawn(file, args, { cwd, detached: !win, stdio: ["pipe", "pipe", "pipe"], windowsHide: true });
    } catch (err) {
      inst.status = "stopped";
      this.changed();
      throw new AgentError("start_failed", `cannot start instance ${inst.def.uuid}: ${errorMessage(err)}`);
    }

    const spawned = await new Promise<Error | null>((resolve) => {
      child.once("spawn", () => resolve(null));
      child.once("error", (err) => resolve(err));
    });
    // Later errors (a failed kill, a write to a closed stdin) must not crash the agent.
    child.on("error", (err) => log(`instance ${inst.def.uuid}: ${errorMessage(err)}`));
    child.stdin?.on("error", () => {});
    if (spawned) {
      inst.status = "stopped";
      this.changed();
      throw new AgentError("start_failed", `cannot start instance ${inst.def.uuid}: ${spawned.message}`);
    }

    const onData = (chunk: Buffer): void => {
      inst.output.write(chunk);
      this.opts.onOutput?.(inst.def.uuid, chunk);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);

    inst.child = child;
    inst.pid = child.pid ?? null;
    inst.startedAt = Date.now();
    inst.exited = new Promise<void>((resolve) => {
      child.once("exit", (code) => {
        this.onExit(inst, child, code);
        resolve();
      });
    });
    if (inst.stopRequested) {
      // A stop (or agent shutdown) arrived while it was starting: carry it out now.
      this.beginStop(inst);
      return;
    }
    inst.status = "running";
    this.changed();
  }

  private onExit(inst: Instance, child: ChildProcess, code: number | null): void {
    if (inst.child !== child) return;
    const ranMs = inst.startedAt === null ? 0 : Date.now() - inst.startedAt;
    if (inst.killTimer) clearTimeout(inst.killTimer);
    inst.killTimer = null;
    inst.child = null;
    inst.pid = null;
    inst.startedAt = null;
    inst.exitCode = code;
    inst.status = "stopped";
    const crashed = !inst.stopRequested && code !== 0;
    const listed = this.instances.get(inst.def.uuid) === inst;
    if (crashed && inst.def.autoRestart && listed && !this.shuttingDown) {
      if (ranMs >= HEALTHY_RUN_MS) inst.backoffMs = RESTART_MIN_MS;
      const delay = inst.backoffMs;
      inst.backoffMs = Math.min(inst.backoffMs * 2, RESTART_MAX_MS);
      log(`instance ${inst.def.uuid} exited with ${code === null ? "a signal" : `code ${code}`}; restarting in ${delay / 1000} s`);
      inst.restartTimer = setTimeout(() => {
        inst.restartTimer = null;
        if (inst.status !== "stopped" || this.shuttingDown || this.instances.get(inst.def.uuid) !== inst) return;
        this.spawnInstance(inst).catch((err: unknown) => log(`instance ${inst.def.uuid}: restart failed: ${errorMessage(err)}`));
      }, delay);
    }
    this.changed();
  }

  private beginStop(inst: Instance): void {
    inst.stopRequested = true;
    inst.status = "stopping";
    this.changed();
    const child = inst.child;
    if (!child) return;
    const stdin = child.stdin;
    if (inst.def.stopCommand && stdin && stdin.writable) {
      stdin.write(inst.def.stopCommand + "\n");
    } else {
      killTree(child, "SIGTERM");
    }
    if (inst.killTimer) clearTimeout(inst.killTimer);
    inst.killTimer = setTimeout(() => {
      inst.killTimer = null;
      if (inst.child === child) {
        log(`instance ${inst.def.uuid} did not stop within ${STOP_KILL_MS / 1000} s: killing it`);
        killTree(child, "SIGKILL");
      }
    }, STOP_KILL_MS);
  }

  private async save(defs: InstanceDefinition[]): Promise<void> {
    const dir = this.opts.dataDir;
    if (!dir) return;
    try {
      await mkdir(dir, { recursive: true });
      const file = path.join(dir, "instances.json");
      const tmp = `${file}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(defs, null, 2) + "\n", { mode: 0o600 });
      await rename(tmp, file);
    } catch (err) {
      log(`cannot save instance definitions in ${dir}: ${errorMessage(err)}`);
    }
  }
}
