/**
 * The agent's connection to the panel: one WebSocket, reconnected with back-off; reports host
 * info and live state; answers the panel's requests.
 */
import { rootCertificates } from "node:tls";
import WebSocket, { type RawData } from "ws";
import { collectHost, StateCollector } from "./collect";
import { runCommand } from "./commands";
import type { AgentConfig } from "./config";
import { AgentError } from "./errors";
import { CHUNK_QUEUE_BYTES, FileService } from "./file-service";
import { InstanceManager, INSTANCES_DISABLED_MESSAGE } from "./instances";
import { OutputStreams } from "./output";
import {
  MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
  type AgentToPanel,
  type Capabilities,
  type RequestMap,
  type RequestMethod,
} from "./protocol";
import {
  envelopeSchema,
  fileCancelFrameSchema,
  fileCreditFrameSchema,
  isRequestMethod,
  issueText,
  monitorsFrameSchema,
  paramsSchemas,
  requestFrameSchema,
  watchFrameSchema,
  welcomeFrameSchema,
} from "./protocol-schemas";
import { MonitorRunner } from "./probes";
import { EXIT_UPDATED, runningBundle, SelfUpdater } from "./self-update";
import { scanUpdates } from "./updates";
import { AGENT_VERSION, errorMessage, log } from "./util";

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

export const COMMANDS_DISABLED_MESSAGE = "This agent does not accept commands (start it with --allow-commands)";

/** Exponential back-off with "equal jitter": between half and all of min(max, min·2^n). */
export function backoffDelay(failures: number): number {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.min(failures, 10));
  return Math.round(base / 2 + Math.random() * (base / 2));
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
  readonly capabilities: Capabilities;
  private readonly files: FileService;
  /** File chunks handed to the socket and not yet written out, and who waits for room. */
  private chunkBytes = 0;
  private chunkWaiters: (() => void)[] = [];
  /**
   * The service monitors the panel assigned (protocol 3). Results go out in batches while
   * connected; a batch due while the panel is unreachable is dropped (the panel keeps minutes,
   * and a gap there is what happened).
   */
  private readonly monitors = new MonitorRunner((results) => void this.send(this.ws, { type: "monitor_results", results }));
  /** --self-update: null when off (the default) or when this process is not the bundled file. */
  private readonly updater: SelfUpdater | null = null;
  /** Watched instances' and streamed commands' output, batched and paced (protocol 6). */
  private readonly output = new OutputStreams((frame) => this.send(this.ws, frame));

  constructor(
    private readonly cfg: AgentConfig,
    private readonly exit: (code: number) => void,
  ) {
    this.capabilities = { commands: cfg.allowCommands, instances: cfg.allowInstances, selfUpdate: cfg.selfUpdate };
    this.instances = new InstanceManager({
      allowed: cfg.allowInstances,
      dataDir: cfg.dataDir ?? undefined,
      onChange: (instances) => {
        if (this.hostSent) this.send(this.ws, { type: "instances", instances });
      },
      onOutput: (uuid, chunk) => this.output.instanceData(uuid, chunk),
    });
    this.files = new FileService({
      cwdOf: (uuid) => this.instances.cwdOf(uuid),
      limits: cfg.files,
      sendJson: (frame) => void this.send(this.ws, frame),
      sendBinary: (frame) => this.sendChunk(frame),
    });
    if (cfg.selfUpdate) {
      const file = runningBundle();
      if (file) {
        this.updater = new SelfUpdater({ panel: cfg.panel, ca: cfg.ca, file, spreadMs: cfg.updateSpreadSeconds * 1000, onUpdated: () => void this.shutdown(EXIT_UPDATED) });
      } else {
        log("self-update is on, but this agent does not run from its bundled file (fleetdeck-agent.cjs): it will not update itself");
      }
    }
  }

  /**
   * Sends a file chunk once less than CHUNK_QUEUE_BYTES of chunks wait on the socket: a download
   * never queues far ahead, so the next state report is sent without waiting behind a file.
   */
  private async sendChunk(frame: Buffer): Promise<boolean> {
    const ws = this.ws;
    while (this.chunkBytes >= CHUNK_QUEUE_BYTES && this.ws === ws) await new Promise<void>((r) => this.chunkWaiters.push(r));
    if (!ws || this.ws !== ws || ws.readyState !== WebSocket.OPEN) return false;
    this.chunkBytes += frame.length;
    ws.send(frame, { binary: true }, () => {
      this.chunkBytes -= frame.length;
      this.chunkWaiters.shift()?.();
    });
    return true;
  }

  async start(): Promise<void> {
    await this.instances.load();
    void this.collector.refreshSlow(); // warm the slow probes before the first report
    this.updater?.start();
    this.connect();
    void this.stateLoop();
  }

  /** Stops instances, closes the socket and exits with `code`. Idempotent. */
  async shutdown(code: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.updater?.stop();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.hostTimer) clearInterval(this.hostTimer);
    this.wakeLoop?.();
    this.monitors.stop();
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
      // --ca adds to the system's CAs (a self-signed panel, a private CA) rather than replacing them.
      ...(this.cfg.ca ? { ca: [...rootCertificates, this.cfg.ca] } : {}),
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
        // Transfers end with the connection; uploads leave nothing behind.
        this.files.closeAll();
        // Nobody watches until the next panel says so.
        this.output.reset();
        this.chunkBytes = 0;
        for (const wake of this.chunkWaiters.splice(0)) wake();
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
    // First frame: what this agent is and may do, before anything the panel could act on.
    this.send(ws, { type: "hello", protocol: PROTOCOL_VERSION, agentVersion: AGENT_VERSION, capabilities: this.capabilities });
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
      let text = JSON.stringify(frame);
      // The panel closes a connection that sends more than MAX_FRAME_BYTES; the agent would
      // reconnect and send it again. An oversized answer becomes an error; other frames are skipped.
      if (Buffer.byteLength(text) > MAX_FRAME_BYTES) {
        log(`not sending a ${frame.type} frame larger than ${MAX_FRAME_BYTES} bytes`);
        if (frame.type !== "result") return false;
        text = JSON.stringify({ type: "result", id: frame.id, ok: false, code: "internal", error: `the answer is larger than the protocol's ${MAX_FRAME_BYTES} bytes` } satisfies AgentToPanel);
      }
      ws.send(text, (err) => {
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
          const state = await this.collector.collect(this.instances.usageTargets());
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
    if (isBinary) {
      // A chunk of an upload (protocol 3); the service ignores one for no open upload.
      return this.files.onBinary(Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data));
    }
    let json: unknown;
    try {
      if (isBinary) throw new Error("binary frame");
      json = JSON.parse(Buffer.isBuffer(data) ? data.toString("utf8") : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]).toString("utf8"));
    } catch {
      json = null;
    }
    const envelope = envelopeSchema.safeParse(json);
    if (!envelope.success) return this.malformed();
    if (envelope.data.type === "welcome") {
      const welcome = welcomeFrameSchema.safeParse(json);
      if (!welcome.success) return this.malformed();
      log(`connected to panel as server #${welcome.data.serverId}`);
      if (welcome.data.protocol !== PROTOCOL_VERSION) {
        log(`note: the panel speaks protocol ${welcome.data.protocol}, this agent ${PROTOCOL_VERSION}`);
      }
      // Each connection (a panel restarted after an upgrade, typically) is a moment to compare
      // versions; over HTTP(S), outside the protocol.
      void this.updater?.check();
      return;
    }
    if (envelope.data.type === "request") {
      const request = requestFrameSchema.safeParse(json);
      if (!request.success) {
        // Answer what can be answered: a request with a usable id gets a bad_request result.
        const id = (json as { id?: unknown }).id;
        if (typeof id === "number" && Number.isSafeInteger(id)) {
          this.send(ws, { type: "result", id, ok: false, code: "bad_request", error: issueText(request.error) });
        } else this.malformed();
        return;
      }
      void this.answer(ws, request.data.id, request.data.method, request.data.params);
      return;
    }
    if (envelope.data.type === "watch") {
      const frame = watchFrameSchema.safeParse(json);
      if (!frame.success) return this.malformed();
      this.output.watch(frame.data.instances);
      return;
    }
    if (envelope.data.type === "monitors") {
      const frame = monitorsFrameSchema.safeParse(json);
      if (!frame.success) return this.malformed();
      this.monitors.assign(frame.data.monitors);
      return;
    }
    if (envelope.data.type === "file.credit" || envelope.data.type === "file.cancel") {
      const f = envelope.data.type === "file.credit" ? fileCreditFrameSchema.safeParse(json) : fileCancelFrameSchema.safeParse(json);
      if (!f.success) return this.malformed();
      return this.files.onControl(f.data);
    }
    // Unknown frame types are ignored (a newer panel may send more).
  }

  private malformed(): void {
    if (!this.malformedLogged) log("ignoring a malformed frame from the panel");
    this.malformedLogged = true;
  }

  private async answer(ws: WebSocket, id: number, method: string, params: unknown): Promise<void> {
    let frame: AgentToPanel;
    try {
      if (!isRequestMethod(method)) throw new AgentError("bad_request", `unknown method ${JSON.stringify(method)}`);
      const parsed = paramsSchemas[method].safeParse(params);
      if (!parsed.success) throw new AgentError("bad_request", issueText(parsed.error, "params"));
      const data = await this.dispatch(method, parsed.data, id);
      frame = { type: "result", id, ok: true, data };
    } catch (err) {
      const code = err instanceof AgentError ? err.code : "internal";
      if (!(err instanceof AgentError)) log(`request ${method} failed: ${errorMessage(err)}`);
      frame = { type: "result", id, ok: false, code, error: errorMessage(err) };
    }
    this.send(ws, frame);
  }

  /**
   * Runs one validated request. What runs something a panel user supplied is checked against the
   * machine owner's flags here, whatever the panel believes: commands, and instances' definitions
   * (start and stop commands), starts and console input. Stop, kill and output act only on
   * instances that run, which none can without --allow-instances; update scans are read-only.
   */
  private async dispatch(method: RequestMethod, params: RequestMap[RequestMethod]["params"], id: number): Promise<unknown> {
    // `params` passed paramsSchemas[method]: each case reads it as its own method's params.
    const as = <M extends RequestMethod>(_m: M) => params as RequestMap[M]["params"];
    const needInstances = (): void => {
      if (!this.capabilities.instances) throw new AgentError("instances_disabled", INSTANCES_DISABLED_MESSAGE);
    };
    switch (method) {
      case "cmd.run": {
        if (!this.capabilities.commands) throw new AgentError("commands_disabled", COMMANDS_DISABLED_MESSAGE);
        const cmd = as("cmd.run");
        if (!cmd.stream) return runCommand(cmd);
        // Protocol 6: the output goes out as it is written; the result still holds all of it.
        try {
          return await runCommand(cmd, (chunk) => this.output.commandData(id, chunk));
        } finally {
          this.output.endCommand(id);
        }
      }
      case "updates.scan":
        return scanUpdates();
      case "instance.sync": {
        const { instances } = as("instance.sync");
        // An empty list only forgets definitions: harmless, so a panel may always send it.
        if (instances.length) needInstances();
        return this.instances.sync(instances);
      }
      case "instance.start":
        needInstances();
        return this.instances.start(as("instance.start").uuid);
      case "instance.restart":
        needInstances();
        return this.instances.restart(as("instance.restart").uuid);
      case "instance.input": {
        needInstances();
        const { uuid, line } = as("instance.input");
        return this.instances.input(uuid, line);
      }
      case "instance.stop":
        return this.instances.stop(as("instance.stop").uuid);
      case "instance.kill":
        return this.instances.kill(as("instance.kill").uuid);
      case "instance.output": {
        // Without what is still on its way as a chunk: the chunks after `seq` continue it exactly.
        const { uuid } = as("instance.output");
        return { ...this.instances.output(uuid, this.output.pendingBytes(uuid)), seq: this.output.seqOf(uuid) };
      }
      // Files of an instance's folder: only where instances are allowed (agent/file-service.ts).
      case "file.list":
      case "file.read":
      case "file.write":
      case "file.touch":
      case "file.mkdir":
      case "file.copy":
      case "file.move":
      case "file.delete":
      case "file.zip":
      case "file.unzip":
      case "file.download":
      case "file.upload":
      case "file.finish":
        needInstances();
        return this.files.dispatch(method, params as Record<string, unknown>);
    }
  }
}
