import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * How long a request may take to arrive. node's own `requestTimeout` is one limit for every
 * request of a server, but the panel needs more: an ordinary request must arrive whole within
 * the total (a client that trickles its body — slowloris — must not hold a socket) and may not
 * fall silent for longer than the idle limit (a body that can never complete, such as a chunk
 * declared 2^64 bytes long, is cut after that, not after the whole total), while an upload of
 * gigabytes at a modest speed takes as long as it takes and is cut only when it stalls. So the servers turn node's total limit off (its header limit stays: lib/panel.ts) and
 * give each request that has a body a timer here; an upload route, once its password is
 * checked (never before: an unknown password must not buy time), trades it for an idle limit.
 */
export interface RequestDeadline {
  /**
   * From now on the request is cut only when the client sends nothing for the limit while the
   * server is reading — not while the server itself holds back (a slow disk on the agent).
   */
  relax(): void;
}

const NOTHING_TO_TIME: RequestDeadline = { relax() {} };

/** Whether a request carries a body (one without arrives whole with its headers). */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers["content-length"];
  return length !== undefined ? Number(length) !== 0 : req.headers["transfer-encoding"] !== undefined;
}

const TOO_SLOW = JSON.stringify({ error: "The request took too long to arrive" });

/**
 * Answers 408 (when nothing was answered yet) and closes the connection, as node does for its
 * own time-outs: written on the socket, not through the response, so that the request stays
 * node's to abort when the socket closes — whoever reads its body then sees it end ('close',
 * an error), and an upload drops what it wrote.
 */
function cut(req: IncomingMessage, res: ServerResponse): void {
  const socket = req.socket;
  if (res.headersSent || !socket.writable) return void socket.destroy();
  socket.end(
    `HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(TOO_SLOW)}\r\nconnection: close\r\n\r\n${TOO_SLOW}`,
  );
  // A peer that never reads must not keep the socket: end() waits for the write to drain.
  setTimeout(() => socket.destroy(), 5_000).unref();
}

/** The two limits of a request's body (lib/env.ts: FLEETDECK_REQUEST_TIMEOUT_SECONDS and _IDLE_SECONDS). */
export interface DeadlineLimits {
  /** The whole body must have arrived within this (not for a relaxed upload). */
  totalMs: number;
  /**
   * The client may send nothing for at most this long. A body that can never complete (a
   * declared chunk of 2^64 bytes, a length larger than what follows) is cut after this, not
   * after the whole total. A relaxed upload uses `totalMs` as its idle limit instead.
   */
  idleMs: number;
}

const now = () => performance.now();

/** The limits as configured (`env` is lib/env.ts's config()). */
export function deadlineLimits(env: { FLEETDECK_REQUEST_TIMEOUT_SECONDS: number; FLEETDECK_REQUEST_IDLE_SECONDS: number }): DeadlineLimits {
  return { totalMs: env.FLEETDECK_REQUEST_TIMEOUT_SECONDS * 1000, idleMs: env.FLEETDECK_REQUEST_IDLE_SECONDS * 1000 };
}

/** Starts the request's timers: the total for the whole body, and a limit on each silence. */
export function requestDeadline(req: IncomingMessage, res: ServerResponse, limits: DeadlineLimits): RequestDeadline {
  if (!hasBody(req) || req.complete) return NOTHING_TO_TIME;
  const started = now();
  let relaxed = false;
  let lastBytes = req.socket.bytesRead;
  let lastProgress = started;
  let timer: NodeJS.Timeout | undefined;
  const idleLimit = () => (relaxed ? limits.totalMs : Math.min(limits.idleMs, limits.totalMs));
  const check = () => {
    if (req.complete || req.destroyed) return;
    const t = now();
    const bytes = req.socket.bytesRead;
    // Bytes came, or some wait unread (the server is the one holding back — a handler not yet
    // reading, a slow disk on the agent: the socket is read only as far as the request's
    // buffer): not the client's silence.
    if (bytes !== lastBytes || req.readableLength > 0) {
      lastBytes = bytes;
      lastProgress = t;
    }
    const idleLeft = lastProgress + idleLimit() - t;
    const totalLeft = relaxed ? Infinity : started + limits.totalMs - t;
    if (idleLeft <= 0 || totalLeft <= 0) return cut(req, res);
    // Looking twice per idle period cuts a silence between one and one and a half limits long.
    timer = setTimeout(check, Math.max(20, Math.min(totalLeft, idleLeft, idleLimit() / 2)));
  };
  timer = setTimeout(check, Math.min(idleLimit() / 2, limits.totalMs));
  const stop = () => clearTimeout(timer);
  req.once("end", stop);
  req.once("close", stop);
  return {
    relax() {
      if (relaxed || req.complete) return;
      relaxed = true;
      lastBytes = req.socket.bytesRead;
      lastProgress = now();
      clearTimeout(timer);
      timer = setTimeout(check, idleLimit() / 2);
    },
  };
}
