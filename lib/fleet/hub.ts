/**
 * AgentHub: the panel's end of the agent protocol (see agent/protocol.ts). It owns the agents'
 * WebSockets and nothing else: no database access. The panel wires it to its custom server's
 * 'upgrade' event and to its domain through the callbacks.
 *
 * - Authentication happens on the upgrade (`Authorization: Bearer <secret>`); a refused secret is
 *   answered with HTTP 401 so that the agent stops instead of retrying.
 * - Every incoming frame is validated with the protocol's zod schemas (agent/protocol-schemas.ts);
 *   a bad frame is dropped (counted, logged once per connection) and never reaches a callback.
 *   State frames must carry a strictly increasing seq. They are ordered and stored by the panel's
 *   own receive time (never going back per server, across reconnections: history buckets are
 *   keyed by it), not by the agent's `at`: a machine whose clock is wrong is not an outage. The
 *   difference between its `at` and the receive time is handed on as the machine's clock skew.
 * - Frames per connection are rate-limited (a token bucket): excess frames are dropped and
 *   counted; a connection flooding far beyond the limit is closed (1008). Answers to the panel's
 *   own requests always pass. Output in answers is capped at MAX_OUTPUT_BYTES here as well.
 * - The agent's first frame is `hello` (protocol 2: its capabilities). An agent that starts with
 *   anything else speaks protocol 1: `onHello` then reports it as such (outdated).
 * - A request whose frame would exceed MAX_FRAME_BYTES is refused here ("too_large"): sent, it
 *   would make the agent close the connection, reconnect and be sent it again.
 * - One connection per server: a new one replaces (closes) the old one.
 * - Ping every 15 s; a connection silent for 30 s (no pong, no frame) is terminated.
 * - Streamed output (protocol 6): `sendWatch` names the instances whose output an agent pushes;
 *   their chunks go to `onInstanceOutput`, a streamed command's chunks to its request's
 *   `onOutput`. The agent paces them within the frame limit (agent/output.ts).
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import {
  AGENT_WS_PATH,
  MAX_FRAME_BYTES,
  MIN_PROTOCOL_VERSION,
  PROTOCOL_VERSION,
  type AgentErrorCode,
  type Capabilities,
  type CommandOutputChunk,
  type HostInfo,
  type InstanceOutputChunk,
  type InstanceState,
  type LiveState,
  type MonitorResult,
  type MonitorTask,
  type PanelToAgent,
  type RequestMap,
  type RequestMethod,
} from "../../agent/protocol";
import {
  envelopeSchema,
  fileCreditFrameSchema,
  fileEndFrameSchema,
  helloFrameSchema,
  hostFrameSchema,
  instancesFrameSchema,
  issueText,
  monitorResultsFrameSchema,
  outputFrameSchema,
  resultFrameSchema,
  resultSchemas,
  stateFrameSchema,
  type ResultFrame,
} from "../../agent/protocol-schemas";
import { FileStreams, type UploadSink } from "./file-streams";

export interface AgentHubOptions {
  /** Resolve a secret to a server id, or null to refuse (→ 401 on the upgrade). */
  authenticate(secret: string): Promise<number | null>;
  onConnect?(serverId: number, remoteAddress: string): void;
  /** What the agent is and may do: from its `hello`, or inferred for a protocol-1 agent. */
  onHello?(serverId: number, hello: AgentHello): void;
  onHost?(serverId: number, host: HostInfo): void;
  /**
   * Only frames passing validation (shape, increasing seq). `at` is the panel's receive time;
   * `skewMs` how far the agent's clock is ahead (+) or behind (−) of the panel's, network delay
   * included.
   */
  onState?(serverId: number, state: LiveState, at: number, skewMs: number): void;
  onInstances?(serverId: number, instances: InstanceState[]): void;
  /** A batch of service monitor probes (protocol 3). */
  onMonitorResults?(serverId: number, results: MonitorResult[]): void;
  /** Chunks of watched instances' output, in the order the agent sent them (protocol 6). */
  onInstanceOutput?(serverId: number, chunks: InstanceOutputChunk[]): void;
  onDisconnect?(serverId: number): void;
  /** Where the hub's own log lines go (default: console.warn). */
  log?(message: string): void;
  /** Ping period (default 15 000 ms). */
  pingIntervalMs?: number;
  /** A connection with no pong and no frame for this long is terminated (default 30 000 ms). */
  pongTimeoutMs?: number;
  /** Frames per connection: sustained rate, burst, and excess after which it is closed. */
  rateLimit?: Partial<RateLimit>;
}

export interface RateLimit {
  /** Frames per second a connection may send on average. */
  perSecond: number;
  /** Frames it may send at once (the bucket's size). */
  burst: number;
  /** Dropped frames (draining at perSecond) beyond which the connection is closed. */
  closeAfter: number;
}

/**
 * An agent sends about one frame per second (state) plus bursts when instances change or it
 * answers requests; these limits leave it ample room and stop a runaway or hostile one.
 */
export const DEFAULT_RATE_LIMIT: RateLimit = { perSecond: 20, burst: 200, closeAfter: 2_000 };

/** What the panel knows of an agent from its first frame. */
export interface AgentHello {
  protocol: number;
  agentVersion: string;
  /** null: unknown (a protocol-1 agent decides about commands itself when asked). */
  capabilities: { [K in keyof Capabilities]-?: boolean | null };
  /** The agent speaks an older protocol than the panel (it still works; it should be updated). */
  outdated: boolean;
}

/** What a protocol-1 agent could do: it ran instances unconditionally and checked commands itself. */
const PROTOCOL_1_CAPABILITIES: AgentHello["capabilities"] = { commands: null, instances: true, selfUpdate: null };

/** What a hello says: a capability the agent's protocol predates is unknown (null), not false. */
function helloOf(data: { protocol: number; agentVersion: string; capabilities: Capabilities }): AgentHello {
  const { commands, instances, selfUpdate } = data.capabilities;
  return { protocol: data.protocol, agentVersion: data.agentVersion, capabilities: { commands, instances, selfUpdate: selfUpdate ?? null }, outdated: data.protocol < PROTOCOL_VERSION };
}

/** Why a request failed: the agent's own code, or one of the hub's. */
export type AgentRequestErrorCode = AgentErrorCode | "offline" | "timeout" | "bad_response" | "too_large";

export class AgentRequestError extends Error {
  readonly code: AgentRequestErrorCode;
  constructor(code: AgentRequestErrorCode, message: string) {
    super(message);
    this.name = "AgentRequestError";
    this.code = code;
  }
}


interface Pending {
  onResult(frame: ResultFrame): void;
  onFail(err: AgentRequestError): void;
  /** A streamed command's output chunk (protocol 6), before its result. */
  onOutput?(chunk: CommandOutputChunk): void;
}

/** What a request may ask beside its answer. */
export interface RequestOptions {
  /** Chunks of output the agent pushes while it works on the request (`cmd.run` with `stream`). */
  onOutput?(chunk: CommandOutputChunk): void;
}

interface Connection {
  serverId: number;
  ws: WebSocket;
  lastSeq: number;
  lastSeen: number;
  pending: Map<number, Pending>;
  dropped: number;
  refusedStates: number;
  rateLimited: number;
  loggedDrop: boolean;
  loggedRefusal: boolean;
  loggedRate: boolean;
  closed: boolean;
  /** Token bucket: frames it may still send now, refilled at perSecond. */
  tokens: number;
  /** Dropped frames not yet drained (at perSecond): beyond closeAfter, the connection is closed. */
  excess: number;
  lastRefill: number;
  /** The first frame decides the protocol: `hello` (2+) or anything else (1). */
  helloSeen: boolean;
  /** File chunks handed to the socket and not yet written out (bytes), and who waits for room. */
  chunkBytes: number;
  chunkWaiters: (() => void)[];
}

/**
 * File chunks wait while this much of them is still unwritten on the agent's socket, so a
 * transfer never fills the socket ahead of the panel's requests and pings.
 */
const CHUNK_QUEUE_BYTES = 256 * 1024;

function bearerSecret(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^\s*Bearer\s+(\S+)\s*$/i.exec(header);
  if (m) return m[1];
  const bare = header.trim();
  return bare && !/\s/.test(bare) ? bare : null;
}

/** Answers an upgrade request with a plain HTTP error and closes the socket. */
function refuseUpgrade(socket: Duplex, status: 401 | 500 | 503, text: string): void {
  if (socket.destroyed) return;
  const reason = { 401: "Unauthorized", 500: "Internal Server Error", 503: "Service Unavailable" }[status];
  const body = `${text}\n`;
  socket.once("finish", () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/** Whether a frame looks like the answer to one of this connection's pending requests. */
function isPendingResult(conn: Connection, data: RawData, isBinary: boolean): boolean {
  if (isBinary) return false;
  const m = /^\s*\{\s*"type"\s*:\s*"result"\s*,\s*"id"\s*:\s*(\d{1,16})[,}]/.exec(rawToString(data).slice(0, 100));
  return !!m && conn.pending.has(Number(m[1]));
}

function isFileFrame(data: RawData): boolean {
  return /^\s*\{\s*"type"\s*:\s*"file\./.test(rawToString(data).slice(0, 40));
}

function rawToString(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString("utf8");
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  return Buffer.from(data).toString("utf8");
}

export class AgentHub {
  private readonly opts: AgentHubOptions;
  private readonly wss: WebSocketServer;
  private readonly conns = new Map<number, Connection>();
  private readonly pingTimer: NodeJS.Timeout;
  private readonly log: (message: string) => void;
  private nextRequestId = 0;
  private closed = false;
  private readonly rate: RateLimit;
  /** Latest accepted state timestamp per server, across connections (history is keyed by it). */
  private readonly lastAt = new Map<number, number>();
  /** File transfers (protocol 3) over the agents' connections. */
  private readonly files: FileStreams;

  constructor(opts: AgentHubOptions) {
    this.opts = opts;
    this.rate = { ...DEFAULT_RATE_LIMIT, ...opts.rateLimit };
    this.log = opts.log ?? ((m) => console.warn(`[agent-hub] ${m}`));
    this.wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });
    this.files = new FileStreams({
      sendJson: (serverId, frame) => {
        const conn = this.conns.get(serverId);
        if (!conn || conn.closed) return false;
        conn.ws.send(JSON.stringify(frame), () => undefined);
        return true;
      },
      sendBinary: (serverId, frame) => this.sendChunk(serverId, frame),
      request: (serverId, method, params, timeoutMs) => this.request(serverId, method, params, timeoutMs),
    });
    const pongTimeout = opts.pongTimeoutMs ?? 30_000;
    this.pingTimer = setInterval(() => {
      const now = Date.now();
      for (const conn of this.conns.values()) {
        if (now - conn.lastSeen > pongTimeout) {
          this.log(`server #${conn.serverId}: no pong for ${Math.round((now - conn.lastSeen) / 1000)} s, closing`);
          this.dropConnection(conn);
          conn.ws.terminate();
        } else {
          try {
            conn.ws.ping();
          } catch {
            /* closing already */
          }
        }
      }
    }, opts.pingIntervalMs ?? 15_000);
    this.pingTimer.unref();
  }

  /** Call from the http server's 'upgrade' event; returns false if the path is not AGENT_WS_PATH (caller handles it). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    let pathname: string;
    try {
      pathname = new URL(req.url ?? "/", "http://localhost").pathname;
    } catch {
      return false;
    }
    if (pathname !== AGENT_WS_PATH) return false;

    const onSocketError = (): void => {
      socket.destroy();
    };
    socket.on("error", onSocketError);
    if (this.closed) {
      refuseUpgrade(socket, 503, "the panel is shutting down");
      return true;
    }
    const secret = bearerSecret(req.headers.authorization);
    if (!secret) {
      refuseUpgrade(socket, 401, "missing agent secret");
      return true;
    }
    const remoteAddress = req.socket.remoteAddress ?? "";
    let auth: Promise<number | null>;
    try {
      auth = this.opts.authenticate(secret);
    } catch (err) {
      auth = Promise.reject(err);
    }
    auth.then(
      (serverId) => {
        if (socket.destroyed) return;
        if (serverId === null) {
          refuseUpgrade(socket, 401, "unknown agent secret");
          return;
        }
        if (this.closed) {
          refuseUpgrade(socket, 503, "the panel is shutting down");
          return;
        }
        socket.removeListener("error", onSocketError);
        this.wss.handleUpgrade(req, socket, head, (ws) => this.attach(serverId, ws, remoteAddress));
      },
      (err: unknown) => {
        this.log(`authenticate failed: ${err instanceof Error ? err.message : String(err)}`);
        refuseUpgrade(socket, 500, "cannot check the agent secret now");
      },
    );
    return true;
  }

  isConnected(serverId: number): boolean {
    return this.conns.has(serverId);
  }

  /** Ids of the servers whose agent is connected now. */
  connectedServerIds(): number[] {
    return [...this.conns.keys()];
  }

  /** Frames dropped (invalid), state frames refused (stale/replayed) and frames dropped over the rate limit, on the current connection. */
  connectionStats(serverId: number): { dropped: number; refusedStates: number; rateLimited: number } | null {
    const c = this.conns.get(serverId);
    return c ? { dropped: c.dropped, refusedStates: c.refusedStates, rateLimited: c.rateLimited } : null;
  }

  /** Forgets what the hub keeps of a server between connections (it was deleted). */
  forget(serverId: number): void {
    this.lastAt.delete(serverId);
  }

  /** Sends a request and resolves with the result, rejects with AgentRequestError {code, message} (code 'offline' if not connected, 'timeout' after timeoutMs, 'bad_response' for a malformed result, or the agent's AgentErrorCode). */
  request<M extends RequestMethod>(
    serverId: number,
    method: M,
    params: RequestMap[M]["params"],
    timeoutMs: number,
    opts: RequestOptions = {},
  ): Promise<RequestMap[M]["result"]> {
    const conn = this.conns.get(serverId);
    if (!conn || conn.closed) {
      return Promise.reject(new AgentRequestError("offline", `the agent of server #${serverId} is not connected`));
    }
    const id = ++this.nextRequestId;
    const frame: PanelToAgent = { type: "request", id, method, params };
    const text = JSON.stringify(frame);
    if (Buffer.byteLength(text) > MAX_FRAME_BYTES) {
      return Promise.reject(new AgentRequestError("too_large", `the ${method} request is larger than the agent protocol's ${MAX_FRAME_BYTES / 1024 / 1024} MiB frame limit`));
    }
    const schema = resultSchemas[method];
    return new Promise<RequestMap[M]["result"]>((resolve, reject) => {
      const timer = setTimeout(() => {
        conn.pending.delete(id);
        reject(new AgentRequestError("timeout", `the agent did not answer ${method} within ${timeoutMs} ms`));
      }, timeoutMs);
      conn.pending.set(id, {
        onResult: (frame) => {
          clearTimeout(timer);
          if (!frame.ok) {
            reject(new AgentRequestError(frame.code, frame.error));
            return;
          }
          const parsed = schema.safeParse(frame.data);
          if (parsed.success) resolve(parsed.data);
          else reject(new AgentRequestError("bad_response", `the agent's answer to ${method} is malformed: ${issueText(parsed.error)}`));
        },
        onFail: (err) => {
          clearTimeout(timer);
          reject(err);
        },
        onOutput: opts.onOutput,
      });
      conn.ws.send(text, (err) => {
        if (!err) return;
        const p = conn.pending.get(id);
        conn.pending.delete(id);
        p?.onFail(new AgentRequestError("offline", `cannot send to the agent: ${err.message}`));
      });
    });
  }

  /** Opens a file on the agent for reading: a stream paced by its consumer (see lib/fleet/file-streams.ts). */
  openDownload(serverId: number, params: { uuid: string; target: string }) {
    return this.files.openDownload(serverId, params);
  }

  /** Opens an upload on the agent: write() resolves as the agent makes room; finish() commits. */
  openUpload(serverId: number, params: { uuid: string; dir: string; name: string; size: number | null }): Promise<UploadSink> {
    return this.files.openUpload(serverId, params);
  }

  /** Sends one file chunk once the socket has room for it; false when the connection is gone. */
  private async sendChunk(serverId: number, frame: Buffer): Promise<boolean> {
    const conn = this.conns.get(serverId);
    if (!conn || conn.closed) return false;
    while (conn.chunkBytes >= CHUNK_QUEUE_BYTES && !conn.closed) await new Promise<void>((r) => conn.chunkWaiters.push(r));
    if (conn.closed) return false;
    conn.chunkBytes += frame.length;
    conn.ws.send(frame, { binary: true }, () => {
      conn.chunkBytes -= frame.length;
      conn.chunkWaiters.shift()?.();
    });
    return true;
  }

  /**
   * Tells a connected agent which service monitors to run (replacing its list). Only agents of
   * protocol 3 or later understand it: the caller checks the agent's hello. False when offline.
   */
  sendMonitors(serverId: number, monitors: MonitorTask[]): boolean {
    const conn = this.conns.get(serverId);
    if (!conn || conn.closed) return false;
    const frame: PanelToAgent = { type: "monitors", monitors };
    conn.ws.send(JSON.stringify(frame), (err) => {
      if (err) this.log(`server #${serverId}: cannot send its monitors: ${err.message}`);
    });
    return true;
  }

  /**
   * Tells a connected agent which instances' output to push (replacing its list; protocol 6 or
   * later: the caller checks the agent's hello). False when offline.
   */
  sendWatch(serverId: number, uuids: string[]): boolean {
    const conn = this.conns.get(serverId);
    if (!conn || conn.closed) return false;
    const frame: PanelToAgent = { type: "watch", instances: uuids };
    conn.ws.send(JSON.stringify(frame), (err) => {
      if (err) this.log(`server #${serverId}: cannot send its watch list: ${err.message}`);
    });
    return true;
  }

  /** Closes the server's connection (e.g. when the server is deleted / its secret revoked). */
  disconnect(serverId: number, reason = "disconnected by the panel"): void {
    const conn = this.conns.get(serverId);
    if (!conn) return;
    this.dropConnection(conn);
    this.closeSocket(conn.ws, 4001, reason);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.pingTimer);
    for (const conn of [...this.conns.values()]) {
      this.dropConnection(conn);
      conn.ws.terminate();
    }
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  // ---- internals ----

  private closeSocket(ws: WebSocket, code: number, reason: string): void {
    // A close reason is limited to 123 bytes.
    const short = Buffer.from(reason).subarray(0, 120).toString("utf8").replace(/\uFFFD+$/, "");
    try {
      ws.close(code, short);
    } catch {
      ws.terminate();
    }
    setTimeout(() => ws.terminate(), 5_000).unref();
  }

  private attach(serverId: number, ws: WebSocket, remoteAddress: string): void {
    const conn: Connection = {
      serverId,
      ws,
      lastSeq: 0,
      lastSeen: Date.now(),
      pending: new Map(),
      dropped: 0,
      refusedStates: 0,
      rateLimited: 0,
      loggedDrop: false,
      loggedRefusal: false,
      loggedRate: false,
      closed: false,
      tokens: this.rate.burst,
      excess: 0,
      lastRefill: Date.now(),
      helloSeen: false,
      chunkBytes: 0,
      chunkWaiters: [],
    };
    const old = this.conns.get(serverId);
    this.conns.set(serverId, conn);
    if (old) {
      this.dropConnection(old); // not current any more: no onDisconnect
      this.closeSocket(old.ws, 4000, "replaced by a new connection");
    }
    ws.on("message", (data, isBinary) => this.onMessage(conn, data, isBinary));
    ws.on("pong", () => {
      conn.lastSeen = Date.now();
    });
    ws.on("close", () => this.dropConnection(conn));
    ws.on("error", (err) => this.log(`server #${serverId}: socket error: ${err.message}`));
    const welcome: PanelToAgent = { type: "welcome", serverId, protocol: PROTOCOL_VERSION };
    ws.send(JSON.stringify(welcome));
    this.call("onConnect", () => this.opts.onConnect?.(serverId, remoteAddress));
  }

  /** Forgets a connection (idempotent): rejects its pending requests; onDisconnect if it was current. */
  private dropConnection(conn: Connection): void {
    if (conn.closed) return;
    conn.closed = true;
    const pending = [...conn.pending.values()];
    conn.pending.clear();
    for (const p of pending) p.onFail(new AgentRequestError("offline", `the agent of server #${conn.serverId} disconnected`));
    for (const wake of conn.chunkWaiters.splice(0)) wake();
    this.files.onDisconnect(conn.serverId);
    if (this.conns.get(conn.serverId) === conn) {
      this.conns.delete(conn.serverId);
      this.call("onDisconnect", () => this.opts.onDisconnect?.(conn.serverId));
    }
  }

  private call(name: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log(`${name} callback failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private drop(conn: Connection, why: string): void {
    conn.dropped++;
    if (!conn.loggedDrop) {
      conn.loggedDrop = true;
      this.log(`server #${conn.serverId}: dropped an invalid frame (${why}); further ones are only counted`);
    }
  }

  private refuseState(conn: Connection, why: string): void {
    conn.refusedStates++;
    if (!conn.loggedRefusal) {
      conn.loggedRefusal = true;
      this.log(`server #${conn.serverId}: refused a state frame (${why}); further ones are only counted`);
    }
  }

  /**
   * Takes a token for one frame; false when the bucket is empty (the frame is dropped). A
   * connection whose dropped frames pile up beyond closeAfter is closed.
   */
  private admit(conn: Connection, exempt: boolean): boolean {
    const now = Date.now();
    const refill = ((now - conn.lastRefill) / 1000) * this.rate.perSecond;
    conn.lastRefill = now;
    conn.tokens = Math.min(this.rate.burst, conn.tokens + refill);
    conn.excess = Math.max(0, conn.excess - refill);
    if (conn.tokens >= 1) {
      conn.tokens -= 1;
      return true;
    }
    if (exempt) return true;
    conn.rateLimited++;
    conn.excess++;
    if (!conn.loggedRate) {
      conn.loggedRate = true;
      this.log(`server #${conn.serverId}: more than ${this.rate.perSecond} frames/s (burst ${this.rate.burst}); dropping the excess`);
    }
    if (conn.excess > this.rate.closeAfter) {
      this.log(`server #${conn.serverId}: flooding (${conn.rateLimited} frames over the limit), closing the connection`);
      this.dropConnection(conn);
      this.closeSocket(conn.ws, 1008, `too many messages: more than ${this.rate.perSecond} frames/s`);
    }
    return false;
  }

  /** The agent's first frame says which protocol it speaks (see the header). */
  private firstFrame(conn: Connection, type: string, json: unknown): void {
    conn.helloSeen = true;
    let hello: AgentHello;
    if (type === "hello") {
      const f = helloFrameSchema.safeParse(json);
      if (!f.success) {
        this.drop(conn, `hello: ${issueText(f.error)}`);
        conn.helloSeen = false; // a valid hello may still come
        return;
      }
      hello = helloOf(f.data);
    } else {
      hello = { protocol: MIN_PROTOCOL_VERSION, agentVersion: "", capabilities: PROTOCOL_1_CAPABILITIES, outdated: true };
    }
    this.call("onHello", () => this.opts.onHello?.(conn.serverId, hello));
  }

  private onMessage(conn: Connection, data: RawData, isBinary: boolean): void {
    if (conn.closed) return;
    conn.lastSeen = Date.now();
    // Answers to the panel's own requests are bounded by what the panel asks: never rate-limited.
    // (A cheap look for the id; the frame is validated below like any other.)
    // File chunks and credits of a transfer the panel opened are bounded by the credit it grants
    // (more than granted ends the transfer): they are not counted against the frame rate either.
    const transfer = this.files.active(conn.serverId) && (isBinary || isFileFrame(data));
    if (!this.admit(conn, transfer || (conn.pending.size > 0 && isPendingResult(conn, data, isBinary)))) return;
    if (isBinary) {
      if (!transfer) return this.drop(conn, "binary frame");
      return this.files.onBinary(conn.serverId, Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data));
    }
    let json: unknown;
    try {
      json = JSON.parse(rawToString(data));
    } catch {
      return this.drop(conn, "not JSON");
    }
    const envelope = envelopeSchema.safeParse(json);
    if (!envelope.success) return this.drop(conn, "no type");
    const sid = conn.serverId;
    if (!conn.helloSeen) {
      this.firstFrame(conn, envelope.data.type, json);
      if (envelope.data.type === "hello") return;
    }
    switch (envelope.data.type) {
      case "hello": {
        // A later hello (capabilities cannot change without a restart, but a newer agent may resend).
        const f = helloFrameSchema.safeParse(json);
        if (!f.success) return this.drop(conn, `hello: ${issueText(f.error)}`);
        const hello = helloOf(f.data);
        this.call("onHello", () => this.opts.onHello?.(sid, hello));
        return;
      }
      case "host": {
        const f = hostFrameSchema.safeParse(json);
        if (!f.success) return this.drop(conn, `host: ${issueText(f.error)}`);
        this.call("onHost", () => this.opts.onHost?.(sid, f.data.host));
        return;
      }
      case "state": {
        const f = stateFrameSchema.safeParse(json);
        if (!f.success) return this.drop(conn, `state: ${issueText(f.error)}`);
        const { seq, state } = f.data;
        if (seq <= conn.lastSeq) return this.refuseState(conn, `seq ${seq} is not after ${conn.lastSeq}`);
        // The agent's clock may be wrong (minutes, years): its report still counts, at the time
        // the panel received it. Never before the previous one (the panel's clock may be slewed).
        const received = Date.now();
        const at = Math.max(received, this.lastAt.get(sid) ?? 0);
        const skewMs = f.data.at - received;
        conn.lastSeq = seq;
        this.lastAt.set(sid, at);
        this.call("onState", () => this.opts.onState?.(sid, state, at, skewMs));
        return;
      }
      case "instances": {
        const f = instancesFrameSchema.safeParse(json);
        if (!f.success) return this.drop(conn, `instances: ${issueText(f.error)}`);
        this.call("onInstances", () => this.opts.onInstances?.(sid, f.data.instances));
        return;
      }
      case "monitor_results": {
        const f = monitorResultsFrameSchema.safeParse(json);
        if (!f.success) return this.drop(conn, `monitor_results: ${issueText(f.error)}`);
        this.call("onMonitorResults", () => this.opts.onMonitorResults?.(sid, f.data.results));
        return;
      }
      case "result": {
        const f = resultFrameSchema.safeParse(json);
        if (!f.success) return this.drop(conn, "result: malformed");
        const p = conn.pending.get(f.data.id);
        if (!p) return; // answered too late (timed out) or unknown: ignore
        conn.pending.delete(f.data.id);
        p.onResult(f.data);
        return;
      }
      case "output": {
        const f = outputFrameSchema.safeParse(json);
        if (!f.success) return this.drop(conn, `output: ${issueText(f.error)}`);
        if (f.data.instances?.length) {
          const chunks = f.data.instances;
          this.call("onInstanceOutput", () => this.opts.onInstanceOutput?.(sid, chunks));
        }
        for (const c of f.data.commands ?? []) {
          const p = conn.pending.get(c.id);
          if (p?.onOutput) this.call("onOutput", () => p.onOutput!(c));
        }
        return;
      }
      case "file.credit": {
        const f = fileCreditFrameSchema.safeParse(json);
        if (!f.success) return this.drop(conn, `file.credit: ${issueText(f.error)}`);
        this.files.onControl(sid, f.data);
        return;
      }
      case "file.end": {
        const f = fileEndFrameSchema.safeParse(json);
        if (!f.success) return this.drop(conn, `file.end: ${issueText(f.error)}`);
        this.files.onControl(sid, f.data);
        return;
      }
      default:
        return this.drop(conn, `unknown type ${JSON.stringify(envelope.data.type).slice(0, 40)}`);
    }
  }
}
