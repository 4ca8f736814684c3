import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * Opens a Server-Sent Events answer (the push stream, live output): its headers, and a socket
 * that sends each event at once and notices a peer that vanished without closing.
 */
export function startEventStream(req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-store",
    connection: "keep-alive",
    // A buffering proxy (nginx) would hold the events back.
    "x-accel-buffering": "no",
  });
  req.socket.setNoDelay(true);
  req.socket.setKeepAlive(true, 30_000);
}
