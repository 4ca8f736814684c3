/**
 * AgentHub: the panel's end of the agent protocol (see agent/protocol.ts). It owns the agents'
 * WebSockets and nothing else: no database access. The panel wires it to its custom server's
 * 'upgrade' event and to its domain through the callbacks.
 *
 * - Authentication happens on the upgrade (`Authorization: Bearer <secret>`); a refused secret is
 *   answered with HTTP 401 so that the agent stops instead of retrying.
 * - Every incoming frame is validated with zod; a bad frame is dropped (counted, logged once per
 *   connection) and never reaches a callback. State frames must carry a strictly increasing seq
 *   and a timestamp within 60 s of the panel's clock.
 * - One connection per server: a new one replaces (closes) the old one.
 * - Ping every 15 s; a connection silent for 30 s (no pong, no frame) is terminated.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import { z } from "zod";
import {
  AGENT_WS_PATH,
  MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
  type AgentErrorCode,
  type HostInfo,
  type InstanceState,
  type LiveState,
  type PanelToAgent,
  type PendingUpdate,
  type RequestMap,
  type RequestMethod,
} from "../../agent/protocol";

export interface AgentHubOptions {
  /** Resolve a secret to a server id, or null to refuse (→ 401 on the upgrade). */
  authenticate(secret: string): Promise<number | null>;
  onConnect?(serverId: number, remoteAddress: string): void;
  onHost?(serverId: number, host: HostInfo): void;
  /** Only frames passing validation (shape, increasing seq, `at` within 60 s of now). */
  onState?(serverId: number, state: LiveState, at: number): void;
  onInstances?(serverId: number, instances: InstanceState[]): void;
  onDisconnect?(serverId: number): void;
  /** Where the hub's own log lines go (default: console.warn). */
  log?(message: string): void;
  /** Ping period (default 15 000 ms). */
  pingIntervalMs?: number;
  /** A connection with no pong and no frame for this long is terminated (default 30 000 ms). */
  pongTimeoutMs?: number;
}

/** Why a request failed: the agent's own code, or one of the hub's. */
export type AgentRequestErrorCode = AgentErrorCode | "offline" | "timeout" | "bad_response";

export class AgentRequestError extends Error {
  readonly code: AgentRequestErrorCode;
  constructor(code: AgentRequestErrorCode, message: string) {
    super(message);
    this.name = "AgentRequestError";
    this.code = code;
  }
}

/** State frames whose `at` is further than this from the panel's clock are refused. */
export const MAX_CLOCK_SKEW_MS = 60_000;

// ---------------------------------------------------------------------------------------------
// Schemas of what agents send. Unknown extra keys are stripped (a newer agent may send more).

const str = (max = 1024) => z.string().max(max);
const count = () => z.number().int().nonnegative();
const bytes = () => z.number().nonnegative();

const hostSchema: z.ZodType<HostInfo> = z.object({
  hostname: str(255),
  platform: str(64),
  platformVersion: str(256),
  release: str(256),
  cpu: z.array(str(512)).max(256),
  arch: str(64),
  virtualization: str(128),
  bootTime: z.number().nonnegative(),
  memTotal: bytes(),
  diskTotal: bytes(),
  swapTotal: bytes(),
  ipv4: str(64),
  ipv6: str(128),
  localIps: z.array(str(128)).max(256),
  gpu: z.array(str(512)).max(64),
  agentVersion: str(64),
  cwd: str(4096),
});

const liveStateSchema: z.ZodType<LiveState> = z.object({
  cpu: z.number().min(0).max(100),
  memUsed: bytes(),
  memTotal: bytes(),
  swapUsed: bytes(),
  diskUsed: bytes(),
  netInTransfer: bytes(),
  netOutTransfer: bytes(),
  netInSpeed: bytes(),
  netOutSpeed: bytes(),
  uptime: z.number().nonnegative(),
  load1: z.number().nonnegative(),
  load5: z.number().nonnegative(),
  load15: z.number().nonnegative(),
  tcpConnCount: count(),
  udpConnCount: count(),
  processCount: count(),
  temperatures: z.array(z.object({ name: str(128), temperature: z.number() })).max(512),
  process: z.object({ cpuMicros: z.number().nonnegative(), memory: bytes() }),
});

const instanceStateSchema: z.ZodType<InstanceState> = z.object({
  uuid: str(256),
  status: z.enum(["stopped", "starting", "running", "stopping"]),
  pid: z.number().int().positive().nullable(),
  exitCode: z.number().int().nullable(),
  startedAt: z.number().nonnegative().nullable(),
});

const envelopeSchema = z.object({ type: z.string() });
const hostFrameSchema = z.object({ type: z.literal("host"), host: hostSchema });
const stateFrameSchema = z.object({
  type: z.literal("state"),
  seq: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  at: z.number().int().nonnegative(),
  state: liveStateSchema,
});
const instancesFrameSchema = z.object({ type: z.literal("instances"), instances: z.array(instanceStateSchema).max(10_000) });

const agentErrorCodes = [
  "commands_disabled",
  "bad_shell",
  "unknown_instance",
  "instance_not_running",
  "instance_running",
  "start_failed",
  "bad_request",
  "internal",
] as const satisfies readonly AgentErrorCode[];

const resultFrameSchema = z.union([
  z.object({ type: z.literal("result"), id: z.number().int(), ok: z.literal(true), data: z.unknown() }),
  z.object({
    type: z.literal("result"),
    id: z.number().int(),
    ok: z.literal(false),
    // A code this panel does not know (newer agent) is reported as "internal".
    code: z.enum(agentErrorCodes).catch("internal"),
    error: z.string().max(64 * 1024),
  }),
]);

const pendingUpdateSchema: z.ZodType<PendingUpdate> = z.object({
  name: str(512),
  currentVersion: str(512),
  newVersion: str(512),
  source: str(512),
});

/** What each request's result must look like. */
const resultSchemas: { [M in RequestMethod]: z.ZodType<RequestMap[M]["result"]> } = {
  "cmd.run": z.object({
    output: z.string(),
    exitCode: z.number().int().nullable(),
    timedOut: z.boolean(),
    truncated: z.boolean(),
  }),
  "updates.scan": z.object({ manager: str(64), updates: z.array(pendingUpdateSchema).max(100_000) }),
  "instance.sync": z.object({ count: count() }),
  "instance.start": instanceStateSchema,
  "instance.stop": instanceStateSchema,
  "instance.restart": instanceStateSchema,
  "instance.kill": instanceStateSchema,
  "instance.input": z.object({ ok: z.literal(true) }),
  "instance.output": z.object({ output: z.string() }),
};

// ---------------------------------------------------------------------------------------------

type ResultFrame = z.infer<typeof resultFrameSchema>;

interface Pending {
  onResult(frame: ResultFrame): void;
  onFail(err: AgentRequestError): void;
}

interface Connection {
  serverId: number;
  ws: WebSocket;
  lastSeq: number;
  lastSeen: number;
  pending: Map<number, Pending>;
  dropped: number;
  refusedStates: number;
  loggedDrop: boolean;
  loggedRefusal: boolean;
  closed: boolean;
}

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

  constructor(opts: AgentHubOptions) {
    this.opts = opts;
    this.log = opts.log ?? ((m) => console.warn(`[agent-hub] ${m}`));
    this.wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });
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

  /** Frames dropped (invalid) and state frames refused (stale/replayed) on the current connection. */
  connectionStats(serverId: number): { dropped: number; refusedStates: number } | null {
    const c = this.conns.get(serverId);
    return c ? { dropped: c.dropped, refusedStates: c.refusedStates } : null;
  }

  /** Sends a request and resolves with the result, rejects with AgentRequestError {code, message} (code 'offline' if not connected, 'timeout' after timeoutMs, 'bad_response' for a malformed result, or the agent's AgentErrorCode). */
  request<M extends RequestMethod>(
    serverId: number,
    method: M,
    params: RequestMap[M]["params"],
    timeoutMs: number,
  ): Promise<RequestMap[M]["result"]> {
    const conn = this.conns.get(serverId);
    if (!conn || conn.closed) {
      return Promise.reject(new AgentRequestError("offline", `the agent of server #${serverId} is not connected`));
    }
    const id = ++this.nextRequestId;
    const schema = resultSchemas[method] as z.ZodType<RequestMap[M]["result"]>;
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
          else reject(new AgentRequestError("bad_response", `the agent's answer to ${method} is malformed: ${parsed.error.issues[0]?.message ?? "invalid"}`));
        },
        onFail: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
      const frame: PanelToAgent = { type: "request", id, method, params };
      conn.ws.send(JSON.stringify(frame), (err) => {
        if (!err) return;
        const p = conn.pending.get(id);
        conn.pending.delete(id);
        p?.onFail(new AgentRequestError("offline", `cannot send to the agent: ${err.message}`));
      });
    });
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
      loggedDrop: false,
      loggedRefusal: false,
      closed: false,
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

  private onMessage(conn: Connection, data: RawData, isBinary: boolean): void {
    if (conn.closed) return;
    conn.lastSeen = Date.now();
    if (isBinary) return this.drop(conn, "binary frame");
    let json: unknown;
    try {
      json = JSON.parse(rawToString(data));
    } catch {
      return this.drop(conn, "not JSON");
    }
    const envelope = envelopeSchema.safeParse(json);
    if (!envelope.success) return this.drop(conn, "no type");
    const sid = conn.serverId;
    switch (envelope.data.type) {
      case "host": {
        const f = hostFrameSchema.safeParse(json);
        if (!f.success) return this.drop(conn, `host: ${f.error.issues[0]?.path.join(".")} ${f.error.issues[0]?.message}`);
        this.call("onHost", () => this.opts.onHost?.(sid, f.data.host));
        return;
      }
      case "state": {
        const f = stateFrameSchema.safeParse(json);
        if (!f.success) return this.drop(conn, `state: ${f.error.issues[0]?.path.join(".")} ${f.error.issues[0]?.message}`);
        const { seq, at, state } = f.data;
        if (seq <= conn.lastSeq) return this.refuseState(conn, `seq ${seq} is not after ${conn.lastSeq}`);
        const skew = at - Date.now();
        if (Math.abs(skew) > MAX_CLOCK_SKEW_MS) {
          return this.refuseState(conn, `timestamp ${Math.round(skew / 1000)} s away from the panel's clock; check the agent's clock`);
        }
        conn.lastSeq = seq;
        this.call("onState", () => this.opts.onState?.(sid, state, at));
        return;
      }
      case "instances": {
        const f = instancesFrameSchema.safeParse(json);
        if (!f.success) return this.drop(conn, `instances: ${f.error.issues[0]?.message}`);
        this.call("onInstances", () => this.opts.onInstances?.(sid, f.data.instances));
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
      default:
        return this.drop(conn, `unknown type ${JSON.stringify(envelope.data.type).slice(0, 40)}`);
    }
  }
}
