/**
 * The panel's end of MCSManager's file transfers (the part its daemon serves on its own port):
 * `GET /download/<password>/<name>` and `POST /upload/<password>` (multipart, field `file`), with
 * passwords issued by `POST /api/files/download|upload` (lib/fleet/files.ts), each good once.
 *
 * The Python client `mcsmapi` builds these URLs with urljoin, which drops the `download`/`upload`
 * segment: it asks for `/<password>/<name>` and `/<password>`. Passwords are 32 hex characters, a
 * shape no page of the panel has, so those paths are served too.
 *
 * Both directions stream: a download is written to the response as the agent sends it, and the
 * agent is granted more only as the response drains; an upload is read from the request only as
 * fast as the agent writes it. Neither holds more than a window of the file in memory. The
 * answers are MCSManager's daemon's: "OK" for an upload, the file for a download, plain text
 * with 500 on failure (its clients read them as text).
 *
 * An upload takes as long as the client needs: once its password is taken, the server's total
 * request limit gives way to an idle one (lib/http/deadline.ts). A download is not limited at
 * all: the limit covers a request's arrival, and a download's request is its headers.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import Busboy from "busboy";
import { config } from "./env";
import { isDatabaseUnreachable } from "./db";
import type { RequestDeadline } from "./http/deadline";
import { DomainError, asDomainError } from "./fleet/errors";
import { startDownload, startUpload, takeTicket } from "./fleet/files";
import type { UploadSink } from "./fleet/agents";

const PASSWORD = /^[0-9a-f]{32}$/;

/** Answers the transfer paths; false for any other path. */
export function serveFileTransfer(req: IncomingMessage, res: ServerResponse, url: URL, deadline: RequestDeadline): boolean {
  const segs = url.pathname.split("/").slice(1);
  let kind: string | null = null;
  let password = "";
  if ((segs[0] === "download" || segs[0] === "upload") && segs[1] && PASSWORD.test(segs[1])) {
    kind = segs[0];
    password = segs[1];
  } else if (PASSWORD.test(segs[0] ?? "")) {
    kind = req.method === "POST" ? "upload" : "download";
    password = segs[0]!;
  }
  if (!kind) return false;
  if (kind === "download" && req.method === "GET") void download(res, password).catch((e) => text(res, ...failure(e)));
  else if (kind === "upload" && req.method === "POST") {
    void upload(req, res, password, deadline).catch((e) => {
      req.resume();
      text(res, ...failure(e));
    });
  }
  else text(res, 405, "Method not allowed");
  return true;
}

function text(res: ServerResponse, status: number, body: string): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(body), "cache-control": "no-store" });
  res.end(body);
}

function failure(e: unknown): [number, string] {
  if (isDatabaseUnreachable(e)) return [503, "The database is unreachable; try again shortly"];
  const d = asDomainError(e);
  if (d) {
    const status = { invalid: 400, not_found: 404, conflict: 409, forbidden: 403, unavailable: 503, too_large: 413 }[d.kind];
    return [status, d.message];
  }
  console.error("fleetdeck: file transfer failed:", e);
  return [500, "The transfer failed"];
}

async function download(res: ServerResponse, password: string): Promise<void> {
  const ticket = await takeTicket(password, "download");
  if (!ticket) return text(res, 403, "Access denied: this download password is unknown, used or expired");
  let file;
  try {
    file = await startDownload(ticket);
  } catch (e) {
    return text(res, ...failure(e));
  }
  res.writeHead(200, {
    "content-type": "application/octet-stream",
    "content-length": file.size,
    "content-disposition": `attachment; filename*=UTF-8''${encodeURIComponent(file.name)}`,
    "cache-control": "no-store",
  });
  // pipe(): the agent's stream is read only as fast as the client takes it.
  file.stream.pipe(res);
  file.stream.on("error", () => res.destroy());
  res.on("close", () => {
    if (!res.writableFinished) file.stream.destroy();
  });
}

/**
 * MCSManager's Python client sends `Content-Type: multipart/form-data` without its boundary (it
 * sets the header itself and `requests` then keeps it): the boundary is the body's first line.
 */
function withBoundary(req: IncomingMessage): Promise<{ headers: Record<string, string>; head: Buffer }> {
  const type = req.headers["content-type"] ?? "";
  if (/boundary=/i.test(type)) return Promise.resolve({ headers: { "content-type": type }, head: Buffer.alloc(0) });
  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0);
    const onData = (c: Buffer) => {
      head = Buffer.concat([head, c]);
      const eol = head.indexOf("\r\n");
      if (eol < 0 && head.length < 256) return;
      req.off("data", onData);
      req.pause();
      const line = head.subarray(0, Math.max(0, eol)).toString("latin1");
      if (eol < 0 || !line.startsWith("--") || line.length < 3) return reject(new Error("not a multipart body"));
      resolve({ headers: { "content-type": `multipart/form-data; boundary=${line.slice(2)}` }, head });
    };
    req.on("data", onData);
    req.on("end", () => reject(new Error("empty body")));
  });
}

async function upload(req: IncomingMessage, res: ServerResponse, password: string, deadline: RequestDeadline): Promise<void> {
  const ticket = await takeTicket(password, "upload");
  if (!ticket) {
    req.resume();
    return text(res, 403, "Access denied: this upload password is unknown, used or expired");
  }
  // The client gave up while the password was looked up: the password is spent, nothing opened.
  if (req.destroyed) return;
  // A known password: the file may take as long as the client needs, but not stall.
  deadline.relax();
  const max = config().FLEETDECK_FILE_UPLOAD_MAX;
  let sink: UploadSink | null = null;
  let done = false;
  const fail = (e: unknown) => {
    if (done) return;
    done = true;
    sink?.abort("the upload failed");
    req.unpipe();
    req.resume();
    text(res, ...failure(e));
  };
  // A client that goes away mid-file: nothing is kept (the agent drops its temporary file).
  req.on("close", () => {
    if (!done && !req.complete) {
      done = true;
      sink?.abort("the client went away");
    }
  });

  let parts;
  try {
    parts = await withBoundary(req);
  } catch (e) {
    return fail(new DomainError("invalid", `Access denied: No file found (${(e as Error).message})`));
  }
  let bb;
  try {
    bb = Busboy({ headers: parts.headers, defParamCharset: "utf8", limits: { files: 1, fileSize: max, fields: 20, fieldSize: 64 * 1024 } });
  } catch (e) {
    return fail(new DomainError("invalid", `Not a multipart upload: ${(e as Error).message}`));
  }
  let sawFile = false;
  bb.on("file", (field, stream, info) => {
    if (field !== "file" || sawFile) return void stream.resume();
    sawFile = true;
    void (async () => {
      try {
        sink = await startUpload(ticket, info.filename || "file", null);
        if (done) return sink.abort("the client went away");
        let tooLarge = false;
        stream.on("limit", () => {
          tooLarge = true;
        });
        for await (const chunk of stream) {
          if (done) return;
          await sink.write(chunk as Buffer); // the request is read no faster than the agent writes
        }
        if (tooLarge) throw new DomainError("too_large", `The upload is larger than ${max} bytes (FLEETDECK_FILE_UPLOAD_MAX)`);
        if (done) return;
        await sink.finish();
        done = true;
        text(res, 200, "OK");
      } catch (e) {
        fail(e);
      }
    })();
  });
  bb.on("error", (e) => fail(new DomainError("invalid", `Bad multipart body: ${(e as Error).message}`)));
  bb.on("close", () => {
    if (!sawFile) fail(new DomainError("invalid", "Access denied: No file found"));
  });
  if (parts.head.length) bb.write(parts.head);
  req.pipe(bb);
  req.resume();
}
