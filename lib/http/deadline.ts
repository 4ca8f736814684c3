import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * How long a request may take to arrive. node's own `requestTimeout` is one limit for every
 * request of a server, but the panel needs two: an ordinary request must arrive whole within
 * the limit (a client that trickles its body — slowloris — must not hold a socket), while an
 * upload of gigabytes at a modest speed takes as long as it takes and is cut only when it
 * stalls. So the servers turn node's total limit off (its header limit stays: lib/panel.ts) and
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

/** Starts the request's timer: `limitMs` for the whole body (or, once relaxed, for each silence). */
export function requestDeadline(req: IncomingMessage, res: ServerResponse, limitMs: number): RequestDeadline {
  if (!hasBody(req) || req.complete) return NOTHING_TO_TIME;
  let idle = false;
  let lastBytes = 0;
  let timer: NodeJS.Timeout;
  const expire = () => {
    if (req.complete || req.destroyed) return;
    if (idle) {
      const bytes = req.socket.bytesRead;
      // Bytes came, or some wait unread (the server is the one holding back, for a slow disk on
      // the agent: the socket is read only as far as the request's buffer): not the client's stall.
      if (bytes !== lastBytes || req.readableLength > 0) {
        lastBytes = bytes;
        timer = setTimeout(expire, limitMs);
        return;
      }
    }
    cut(req, res);
  };
  timer = setTimeout(expire, limitMs);
  const stop = () => clearTimeout(timer);
  req.once("end", stop);
  req.once("close", stop);
  return {
    relax() {
      if (idle || req.complete) return;
      idle = true;
      lastBytes = req.socket.bytesRead;
      clearTimeout(timer);
      timer = setTimeout(expire, limitMs);
    },
  };
}
