/**
 * The agent's connection to the panel: one WebSocket, reconnected with back-off; reports host
 * info and live state; answers the panel's requests.
 */
import WebSocket, { type RawData } from "ws";
import { collectHost, StateCollector } from "./collect";
import { runCommand, MAX_COMMAND_TIMEOUT } from "./commands";
import type { AgentConfig } from "./config";
import { AgentError } from "./errors";
import { InstanceManager, parseDefinition } from "./instances";
import {
  MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
  type AgentToPanel,
  type InstanceDefinition,
} from "./protocol";
import { scanUpdates } from "./updates";
import { errorMessage, isRecord, log } from "./util";

/** Host info is re-sent this often while connected. */
export const HOST_EVERY_MS = 10 * 60_000;
const BACKOFF_MIN_MS = 1_000;
const BACKOFF_MAX_MS = 30_000;
/** A connection that lived this long resets the back-off. */
const STABLE_CONNECTION_MS = 10_000;
/**
 * The panel pings every 15 s: with nothing at all from it for this long, the connection is taken
 * for dead (a half-open TCP connection would otherwise go unnoticed for many minutes).
 */
const PANEL_SILENCE_MS = 45_000;
/** State frames are skipped while this much is still unsent (slow link). */
const MAX_BUFFERED_BYTES = 1024 * 1024;
const MAX_INSTANCES = 10_000;

export const COMMANDS_DISABLED_MESSAGE = "This agent does not accept commands (start it with --allow-commands)";

/** Exponential back-off with "equal jitter": between half and all of min(max, min·2^n). */
export function backoffDelay(failures: number): number {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.min(failures, 10));
  return Math.round(base / 2 + Math.random() * (base / 2));
}

function requireString(params: Record<string, unknown>, key: string): string {
  const v = params[key];
  if (typeof v !== "string") throw new AgentError("bad_request", `params.${key} must be a string`);
  return v;
}

export class Agent {
  private ws: WebSocket | null = null;
  private hostSent = false;
  private seq = 0;
  private failures = 0;
  private stopping = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private hostTimer: NodeJS.Timeout | null = null;
  private wakeLoop: (() => void) | null = null;
  private readonly collector = new StateCollector();
  readonly instances: InstanceManager;

  constructor(
    private readonly cfg: AgentConfig,
    private readonly exit: (code: number) => void,
  ) {
    this.instances = new InstanceManager({
      dataDir: cfg.dataDir ?? undefined,
      onChange: (instances) => {
        if (this.hostSent) this.send(this.ws, { type: "instances", instances });
      },
    });
  }

  async start(): Promise<void> {
    await this.instances.load();
    void this.collector.refreshSlow(); // warm the slow probes before the first report
    this.connect();
    void this.stateLoop();
  }

  /** Stops instances, closes the socket and exits with `code`. Idempotent. */
  async shutdown(code: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.hostTimer) clearInterval(this.hostTimer);
    this.wakeLoop?.();
    const running = this.instances.runningCount;
    if (running > 0) log(`stopping ${running} instance(s)…`);
    await this.instances.shutdown();
    const ws = this.ws;
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          ws.terminate();
          resolve();
        }, 1_000);
        ws.once("close", () => {
          clearTimeout(t);
          resolve();
        });
        if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
        else ws.close(1000, "agent stopping");
      });
    }
    this.exit(code);
  }

  /** Immediate exit on a second signal: kill instance groups without waiting. */
  forceExit(code: number): void {
    this.instances.killAll();
    this.exit(code);
  }

  // ---- connection ----

  private connect(): void {
    if (this.stopping) return;
    const ws = new WebSocket(this.cfg.wsUrl, {
      headers: { Authorization: `Bearer ${this.cfg.secret}` },
      maxPayload: MAX_FRAME_BYTES,
      handshakeTimeout: 15_000,
    });
    this.ws = ws;
    let openedAt = 0;
    let lastError = "";

    ws.on("unexpected-response", (_req, res) => {
      res.resume();
      if (res.statusCode === 401) {
        log("the panel refused this secret (401)");
        ws.terminate();
        void this.shutdown(2);
        return;
      }
      lastError = `the panel answered HTTP ${res.statusCode ?? "?"} instead of upgrading`;
      ws.terminate();
    });
    ws.on("error", (err) => {
      if (!lastError) lastError = err.message;
    });
    let lastHeard = 0;
    let silenceTimer: NodeJS.Timeout | null = null;
    ws.on("open", () => {
      openedAt = Date.now();
      lastHeard = openedAt;
      silenceTimer = setInterval(() => {
        if (Date.now() - lastHeard > PANEL_SILENCE_MS) {
          lastError = `nothing from the panel for ${PANEL_SILENCE_MS / 1000} s`;
          ws.terminate();
        }
      }, 5_000);
      this.onOpen(ws);
    });
    ws.on("ping", () => {
      lastHeard = Date.now();
    });
    ws.on("message", (data, isBinary) => {
      lastHeard = Date.now();
      this.onMessage(ws, data, isBinary);
    });
    ws.on("close", (code, reason) => {
      if (silenceTimer) clearInterval(silenceTimer);
      if (this.ws === ws) {
        this.ws = null;
        this.hostSent = false;
        if (this.hostTimer) clearInterval(this.hostTimer);
        this.hostTimer = null;
      }
      if (this.stopping) return;
      if (openedAt && Date.now() - openedAt >= STABLE_CONNECTION_MS) this.failures = 0;
      const delay = backoffDelay(this.failures);
      this.failures++;
      const why = openedAt
        ? `connection closed (${lastError || `${code}${reason.length ? ` ${reason.toString()}` : ""}`})`
        : `cannot connect to ${this.cfg.wsUrl}: ${lastError || `closed (${code})`}`;
      log(`${why}; reconnecting in ${(delay / 1000).toFixed(1)} s (attempt ${this.failures})`);
      this.reconnectTimer = setTimeout(() => {
        this.reconnectTimer = null;
        this.connect();
      }, delay);
    });
  }

  private onOpen(ws: WebSocket): void {
    void (async () => {
      const host = await collectHost().catch((err: unknown) => {
        log(`host info failed: ${errorMessage(err)}`);
        return null;
      });
      if (this.ws !== ws || ws.readyState !== WebSocket.OPEN) return;
      if (host) this.send(ws, { type: "host", host });
      this.hostSent = true;
      this.send(ws, { type: "instances", instances: this.instances.states() });
      this.wakeLoop?.(); // first state right away
      this.hostTimer = setInterval(() => {
        collectHost()
          .then((h) => this.send(ws, { type: "host", host: h }))
          .catch((err: unknown) => log(`host info failed: ${errorMessage(err)}`));
      }, HOST_EVERY_MS);
    })();
  }

  private send(ws: WebSocket | null, frame: AgentToPanel): boolean {
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    try {
      ws.send(JSON.stringify(frame), (err) => {
        if (err) log(`send failed: ${err.message}`);
      });
      return true;
    } catch (err) {
      log(`send failed: ${errorMessage(err)}`);
      return false;
    }
  }

  // ---- reports ----

  private async stateLoop(): Promise<void> {
    const intervalMs = this.cfg.intervalSeconds * 1000;
    while (!this.stopping) {
      const started = Date.now();
      const ws = this.ws;
      if (ws && this.hostSent && ws.readyState === WebSocket.OPEN) {
        try {
          const state = await this.collector.collect();
          if (ws.readyState === WebSocket.OPEN && ws.bufferedAmount < MAX_BUFFERED_BYTES) {
            this.send(ws, { type: "state", seq: ++this.seq, at: Date.now(), state });
          }
        } catch (err) {
          log(`state collection failed: ${errorMessage(err)}`);
        }
      }
      const wait = Math.max(50, intervalMs - (Date.now() - started));
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          this.wakeLoop = null;
          resolve();
        }, wait);
        this.wakeLoop = () => {
          clearTimeout(t);
          this.wakeLoop = null;
          resolve();
        };
      });
    }
  }

  // ---- requests ----

  private malformedLogged = false;

  private onMessage(ws: WebSocket, data: RawData, isBinary: boolean): void {
    let frame: unknown;
    try {
      if (isBinary) throw new Error("binary frame");
      frame = JSON.parse(Buffer.isBuffer(data) ? data.toString("utf8") : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]).toString("utf8"));
    } catch {
      frame = null;
    }
    if (!isRecord(frame) || typeof frame.type !== "string") {
      if (!this.malformedLogged) log("ignoring a malformed frame from the panel");
      this.malformedLogged = true;
      return;
    }
    if (frame.type === "welcome") {
      log(`connected to panel as server #${String(frame.serverId)}`);
      if (frame.protocol !== PROTOCOL_VERSION) {
        log(`note: the panel speaks protocol ${String(frame.protocol)}, this agent ${PROTOCOL_VERSION}`);
      }
      return;
    }
    if (frame.type === "request") {
      const id = frame.id;
      if (typeof id !== "number" || !Number.isSafeInteger(id)) return; // cannot even answer it
      void this.answer(ws, id, frame.method, frame.params);
    }
    // Unknown frame types are ignored (a newer panel may send more).
  }

  private async answer(ws: WebSocket, id: number, method: unknown, params: unknown): Promise<void> {
    let frame: AgentToPanel;
    try {
      const data = await this.dispatch(method, isRecord(params) ? params : {});
      frame = { type: "result", id, ok: true, data };
    } catch (err) {
      const code = err instanceof AgentError ? err.code : "internal";
      if (!(err instanceof AgentError)) log(`request ${String(method)} failed: ${errorMessage(err)}`);
      frame = { type: "result", id, ok: false, code, error: errorMessage(err) };
    }
    this.send(ws, frame);
  }

  private async dispatch(method: unknown, params: Record<string, unknown>): Promise<unknown> {
    switch (method) {
      case "cmd.run": {
        if (!this.cfg.allowCommands) throw new AgentError("commands_disabled", COMMANDS_DISABLED_MESSAGE);
        const shell = requireString(params, "shell");
        const cmd = requireString(params, "cmd");
        const timeout = params.timeout;
        if (typeof timeout !== "number" || !Number.isFinite(timeout) || timeout <= 0 || timeout > MAX_COMMAND_TIMEOUT) {
          throw new AgentError("bad_request", `params.timeout must be a number of seconds from 1 to ${MAX_COMMAND_TIMEOUT}`);
        }
        const customShell = params.customShell;
        if (customShell !== undefined && customShell !== null && typeof customShell !== "string") {
          throw new AgentError("bad_request", "params.customShell must be a string");
        }
        return runCommand({ shell, cmd, timeout, customShell: customShell ?? undefined });
      }
      case "updates.scan":
        return scanUpdates();
      case "instance.sync": {
        const list = params.instances;
        if (!Array.isArray(list)) throw new AgentError("bad_request", "params.instances must be a list");
        if (list.length > MAX_INSTANCES) throw new AgentError("bad_request", `at most ${MAX_INSTANCES} instances`);
        const defs: InstanceDefinition[] = list.map(parseDefinition);
        return this.instances.sync(defs);
      }
      case "instance.start":
        return this.instances.start(requireString(params, "uuid"));
      case "instance.stop":
        return this.instances.stop(requireString(params, "uuid"));
      case "instance.restart":
        return this.instances.restart(requireString(params, "uuid"));
      case "instance.kill":
        return this.instances.kill(requireString(params, "uuid"));
      case "instance.input":
        return this.instances.input(requireString(params, "uuid"), requireString(params, "line"));
      case "instance.output":
        return this.instances.output(requireString(params, "uuid"));
      default:
        throw new AgentError("bad_request", `unknown method ${JSON.stringify(String(method))}`);
    }
  }
}
