import net from "node:net";

export interface RawReply {
  /** Everything the server sent, as latin1 text (bytes kept one for one). */
  text: string;
  /** The status of the first response, or null when none came. */
  status: number | null;
  /** The server closed (or reset) the connection before the deadline. */
  closed: boolean;
  /** Neither a response nor a close came before the deadline. */
  hung: boolean;
}

/**
 * Writes raw bytes to the panel's socket (requests node's own client would refuse to send) and
 * collects what comes back until the server closes the socket, or `untilResponse` and a whole
 * first response arrived, or the deadline. `halfClose` ends our side after writing.
 */
export function rawRequest(
  port: number,
  chunks: (string | Buffer)[],
  opts: { deadlineMs?: number; halfClose?: boolean; untilResponse?: boolean; gapMs?: number } = {},
): Promise<RawReply> {
  const deadlineMs = opts.deadlineMs ?? 10_000;
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    const got: Buffer[] = [];
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(got).toString("latin1");
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ text, status: m ? Number(m[1]) : null, closed, hung: !closed && !m });
    };
    const timer = setTimeout(() => finish(false), deadlineMs);
    socket.on("data", (d) => {
      got.push(d);
      if (opts.untilResponse && responseComplete(Buffer.concat(got).toString("latin1"))) finish(false);
    });
    socket.on("close", () => finish(true));
    socket.on("error", () => finish(true));
    socket.on("connect", async () => {
      for (const c of chunks) {
        if (socket.destroyed) return;
        socket.write(c);
        if (opts.gapMs) await new Promise((r) => setTimeout(r, opts.gapMs));
      }
      if (opts.halfClose) socket.end();
    });
  });
}

/** A whole response with a Content-Length (or none expected) has arrived. */
function responseComplete(text: string): boolean {
  const end = text.indexOf("\r\n\r\n");
  if (end < 0) return false;
  const m = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end));
  if (!m) return /\r\ntransfer-encoding: *chunked/i.test(text.slice(0, end)) ? text.endsWith("0\r\n\r\n") : false;
  return Buffer.byteLength(text.slice(end + 4), "latin1") >= Number(m[1]);
}

/** The body of a raw response (after the blank line). */
export const bodyOf = (text: string) => {
  const end = text.indexOf("\r\n\r\n");
  return end < 0 ? "" : text.slice(end + 4);
};
