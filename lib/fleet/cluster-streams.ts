/**
 * File transfers with an agent that another panel process holds (lib/fleet/cluster.ts). The
 * process serving the client's `/download/<password>/…` or `/upload/<password>` opens one plain
 * HTTP request to the holder's internal listener; the holder opens the transfer on the agent's
 * connection (lib/fleet/file-streams.ts) and relays the bytes. Flow control runs end to end —
 * the client's TCP window, the request between the processes, the agent's credits — so neither
 * process holds more than a window of the file, whatever its size.
 *
 * `POST /file/download` (body: signed JSON `{serverId, uuid, target}`)
 *   → 200 with the file's bytes, its size and name in `x-fleetdeck-size` / `x-fleetdeck-name`
 *     (the connection is cut short when the agent's stream fails);
 *   → 502 with `{code, error}` when the agent refused to open it.
 * `POST /file/upload` (parameters signed in `x-fleetdeck-params`, the body is the file)
 *   → 200 and lines of JSON: `{"opened":true}` once the agent opened the file (or `{ok:false,
 *     code, error}`), then, when the body has been written and committed, `{"ok":true}` or the
 *     error. The body is read only as fast as the agent writes.
 */
import http from "node:http";
import type { Readable } from "node:stream";
import { peerUrl, onInternalStream, RemoteAskError, remoteHolder, signedHeaders, verified } from "./cluster";
import type { UploadSink } from "./file-streams";

const DOWNLOAD_PATH = "/file/download";
const UPLOAD_PATH = "/file/upload";
/** The agent has 30 s to open or commit a file (file-streams.ts); the holder answers within that. */
const OPEN_TIMEOUT_MS = 40_000;

export interface DownloadParams {
  uuid: string;
  target: string;
}
export interface UploadParams {
  uuid: string;
  dir: string;
  name: string;
  size: number | null;
}
export interface OpenedDownload {
  stream: Readable;
  size: number;
  name: string;
}

/** The local hub's ends of a transfer, for the agents this process holds. */
export interface LocalFiles {
  openDownload(serverId: number, params: DownloadParams): Promise<OpenedDownload>;
  openUpload(serverId: number, params: UploadParams): Promise<UploadSink>;
}

interface Failure {
  code: string;
  error: string;
}

function failureOf(e: unknown): Failure {
  const code = (e as { code?: unknown })?.code;
  return { code: typeof code === "string" ? code : "internal", error: e instanceof Error ? e.message : String(e) };
}

function holderUrl(serverId: number): string {
  const holder = remoteHolder(serverId);
  if (!holder) throw new RemoteAskError("offline", `the agent of server #${serverId} is not connected`);
  try {
    return peerUrl(holder);
  } catch (e) {
    throw new RemoteAskError("offline", (e as Error).message);
  }
}

const unreachable = (e: Error) => new RemoteAskError("offline", `the panel process holding the agent did not answer: ${e.message}`);

function readSmall(stream: Readable, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    stream.on("data", (d: Buffer) => {
      size += d.length;
      if (size > limit) {
        reject(new Error("too large"));
        stream.destroy();
      } else parts.push(d);
    });
    stream.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
    stream.on("error", reject);
  });
}

// ---- the process serving the client -------------------------------------------------------------

/** Opens a file of an agent held by another process, as a stream paced by its reader. */
export async function remoteDownload(serverId: number, params: DownloadParams): Promise<OpenedDownload> {
  const url = holderUrl(serverId);
  const body = JSON.stringify({ serverId, uuid: params.uuid, target: params.target });
  return new Promise((resolve, reject) => {
    const req = http.request(url + DOWNLOAD_PATH, {
      method: "POST",
      agent: false,
      headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...signedHeaders("POST", DOWNLOAD_PATH, body) },
    });
    const timer = setTimeout(() => req.destroy(new Error("no answer in time")), OPEN_TIMEOUT_MS);
    req.on("response", (res) => {
      clearTimeout(timer);
      if (res.statusCode === 200) {
        const name = decodeURIComponent(String(res.headers["x-fleetdeck-name"] ?? ""));
        return resolve({ stream: res, size: Number(res.headers["x-fleetdeck-size"]), name });
      }
      readSmall(res, 64 * 1024).then(
        (text) => {
          let f: Partial<Failure> = {};
          try {
            f = JSON.parse(text) as Failure;
          } catch {
            /* not ours */
          }
          reject(new RemoteAskError(f.code ?? "internal", f.error ?? `the panel process holding the agent answered ${res.statusCode}`));
        },
        (e: Error) => reject(unreachable(e)),
      );
    });
    req.on("error", (e) => {
      clearTimeout(timer);
      reject(unreachable(e));
    });
    req.end(body);
  });
}

type Line = { opened?: boolean; ok?: boolean; code?: string; error?: string };

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  promise.catch(() => undefined); // awaited later, or never when the upload is dropped
  return { promise, resolve, reject };
}

/** Opens an upload into an instance's folder on an agent held by another process. */
export async function remoteUpload(serverId: number, params: UploadParams): Promise<UploadSink> {
  const url = holderUrl(serverId);
  const signed = JSON.stringify({ serverId, uuid: params.uuid, dir: params.dir, name: params.name, size: params.size });
  const req = http.request(url + UPLOAD_PATH, {
    method: "POST",
    agent: false,
    headers: {
      "content-type": "application/octet-stream",
      "x-fleetdeck-params": Buffer.from(signed).toString("base64url"),
      ...signedHeaders("POST", UPLOAD_PATH, signed),
    },
  });
  const opened = deferred<Line>();
  const final = deferred<Line>();
  let failure: Error | null = null;
  let settled = false;
  const fail = (e: Error) => {
    if (settled) return;
    failure ??= e;
    opened.reject(failure);
    final.reject(failure);
  };
  const timer = setTimeout(() => req.destroy(new Error("no answer in time")), OPEN_TIMEOUT_MS);
  req.on("error", (e) => fail(unreachable(e)));
  req.on("response", (res) => {
    if (res.statusCode !== 200) {
      res.resume();
      return fail(new RemoteAskError("internal", `the panel process holding the agent answered ${res.statusCode}`));
    }
    let buf = "";
    let first = true;
    res.setEncoding("utf8");
    res.on("data", (text: string) => {
      buf += text;
      for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
        let line: Line = {};
        try {
          line = JSON.parse(buf.slice(0, nl)) as Line;
        } catch {
          /* skipped */
        }
        buf = buf.slice(nl + 1);
        if (line.ok === false) fail(new RemoteAskError(line.code ?? "internal", line.error ?? "the upload failed"));
        else if (first) opened.resolve(line);
        else {
          settled = true;
          final.resolve(line);
        }
        first = false;
      }
    });
    res.on("close", () => fail(new RemoteAskError("offline", "the panel process holding the agent closed the transfer")));
  });
  // Headers now: the holder answers the opening before any of the body is sent.
  req.flushHeaders();
  try {
    await opened.promise;
  } catch (e) {
    req.destroy();
    throw e;
  } finally {
    clearTimeout(timer);
  }
  let ended = false;
  return {
    async write(chunk: Buffer) {
      if (failure) throw failure;
      // The request's buffer full: wait until it drains, which is as fast as the holder reads.
      if (!req.write(chunk)) {
        await new Promise<void>((resolve) => {
          const done = () => {
            req.off("drain", done);
            req.off("close", done);
            resolve();
          };
          req.on("drain", done);
          req.on("close", done);
        });
      }
      if (failure) throw failure;
    },
    async finish() {
      if (failure) throw failure;
      ended = true;
      req.end();
      await final.promise;
    },
    abort() {
      if (ended && !failure) return;
      ended = true;
      req.destroy();
    },
  };
}

// ---- the process holding the agent --------------------------------------------------------------

function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** Serves peers' transfers with the agents this process holds (the internal listener's routes). */
export function serveRemoteTransfers(local: LocalFiles): void {
  onInternalStream(DOWNLOAD_PATH, (req, res) => {
    void (async () => {
      let body: string;
      try {
        body = await readSmall(req, 64 * 1024);
      } catch {
        return json(res, 413, { code: "too_large", error: "the request is too large" });
      }
      if (!verified(req, body)) return json(res, 401, { code: "internal", error: "bad signature" });
      const q = JSON.parse(body) as { serverId: number } & DownloadParams;
      let file: OpenedDownload;
      try {
        file = await local.openDownload(q.serverId, { uuid: q.uuid, target: q.target });
      } catch (e) {
        return json(res, 502, failureOf(e));
      }
      res.writeHead(200, {
        "content-type": "application/octet-stream",
        "content-length": file.size,
        "x-fleetdeck-size": String(file.size),
        "x-fleetdeck-name": encodeURIComponent(file.name),
      });
      file.stream.pipe(res);
      // The agent's stream failed: the peer sees the connection cut short, as its client will.
      file.stream.on("error", () => res.destroy());
      res.on("close", () => {
        if (!res.writableFinished) file.stream.destroy();
      });
    })().catch(() => res.destroy());
  });

  onInternalStream(UPLOAD_PATH, (req, res, deadline) => {
    const signed = Buffer.from(String(req.headers["x-fleetdeck-params"] ?? ""), "base64url").toString("utf8");
    if (!verified(req, signed)) {
      req.resume();
      return json(res, 401, { code: "internal", error: "bad signature" });
    }
    // A peer's upload takes as long as its client does: cut only when it stalls.
    deadline.relax();
    const line = (l: Line) => JSON.stringify(l) + "\n";
    void (async () => {
      const q = JSON.parse(signed) as { serverId: number } & UploadParams;
      let sink: UploadSink;
      try {
        sink = await local.openUpload(q.serverId, { uuid: q.uuid, dir: q.dir, name: q.name, size: q.size });
      } catch (e) {
        req.resume();
        res.writeHead(200, { "content-type": "application/x-ndjson" });
        return res.end(line({ ok: false, ...failureOf(e) }));
      }
      res.writeHead(200, { "content-type": "application/x-ndjson" });
      res.write(line({ opened: true }));
      try {
        for await (const chunk of req) await sink.write(chunk as Buffer);
        await sink.finish();
        res.end(line({ ok: true }));
      } catch (e) {
        // The peer went away mid-file, or the agent failed: nothing is kept under the name.
        sink.abort("the upload failed");
        req.resume();
        res.end(line({ ok: false, ...failureOf(e) }));
      }
    })().catch(() => res.destroy());
  });
}
