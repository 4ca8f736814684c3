/**
 * The panel's end of the file streams (agent/protocol.ts, "Instance files"; the agent's end is
 * agent/file-service.ts). The hub owns the sockets and hands binary frames and file.* control
 * frames here; this module turns them into a Readable (download) and a sink (upload) whose pace
 * is set by the HTTP client on the other side:
 *
 * - a download's Readable grants the agent more credit only as its consumer reads, so at most
 *   about FILE_WINDOW_BYTES of a file is ever in the panel's memory per transfer;
 * - an upload's write() resolves only when the agent has granted room, so the HTTP request is
 *   read no faster than the agent's disk takes it.
 */
import { Readable } from "node:stream";
import { FILE_CHUNK_BYTES, FILE_WINDOW_BYTES, decodeFileChunk, encodeFileChunk, type RequestMap } from "../../agent/protocol";

export interface FileStreamTransport {
  sendJson(serverId: number, frame: object): boolean;
  /** Resolves once the frame is queued (after the socket's queue drained enough); false if the socket is gone. */
  sendBinary(serverId: number, frame: Buffer): Promise<boolean>;
  request<M extends "file.download" | "file.upload" | "file.finish">(serverId: number, method: M, params: RequestMap[M]["params"], timeoutMs: number): Promise<RequestMap[M]["result"]>;
}

export interface UploadSink {
  write(chunk: Buffer): Promise<void>;
  /** Commits the file under its final name. */
  finish(): Promise<void>;
  /** Drops the upload; nothing is left under the final name. */
  abort(reason: string): void;
}

/** How long the agent may take to open or commit a file. */
const OPEN_TIMEOUT_MS = 30_000;

class DownloadReadable extends Readable {
  received = 0;
  granted = FILE_WINDOW_BYTES;
  constructor(private readonly grant: (bytes: number) => void) {
    super({ highWaterMark: FILE_WINDOW_BYTES });
  }
  /**
   * Called when the consumer wants more and the buffer is below its mark. Node calls it again
   * only after a push, so it must leave data on its way: credit is topped up whenever less than
   * half a window is still to come. Held at most: the buffer (one window) plus one window in flight.
   */
  _read(): void {
    const inFlight = this.granted - this.received;
    if (inFlight < FILE_WINDOW_BYTES / 2) {
      const more = FILE_WINDOW_BYTES - inFlight;
      this.granted += more;
      this.grant(more);
    }
  }
}

interface UploadState {
  credit: number;
  wake: (() => void) | null;
  closed: Error | null;
}

export class FileStreams {
  private nextId = 1;
  private downloads = new Map<string, DownloadReadable>();
  private uploads = new Map<string, UploadState>();

  constructor(private readonly t: FileStreamTransport) {}

  private key(serverId: number, stream: number): string {
    return `${serverId}:${stream}`;
  }

  async openDownload(serverId: number, params: { uuid: string; target: string }): Promise<{ stream: Readable; size: number; name: string }> {
    const id = this.nextId++;
    const key = this.key(serverId, id);
    const readable = new DownloadReadable((bytes) => this.t.sendJson(serverId, { type: "file.credit", stream: id, bytes }));
    readable.on("close", () => {
      if (this.downloads.get(key) === readable) {
        this.downloads.delete(key);
        // Closed before the end (the HTTP client went away): the agent stops reading.
        if (!readable.readableEnded) this.t.sendJson(serverId, { type: "file.cancel", stream: id });
      }
    });
    this.downloads.set(key, readable);
    try {
      const info = await this.t.request(serverId, "file.download", { ...params, stream: id }, OPEN_TIMEOUT_MS);
      return { stream: readable, size: info.size, name: info.name };
    } catch (e) {
      this.downloads.delete(key);
      readable.destroy();
      throw e;
    }
  }

  async openUpload(serverId: number, params: { uuid: string; dir: string; name: string; size: number | null }): Promise<UploadSink> {
    const id = this.nextId++;
    const key = this.key(serverId, id);
    const state: UploadState = { credit: 0, wake: null, closed: null };
    this.uploads.set(key, state);
    let seq = 0;
    let ended = false;
    try {
      const opened = await this.t.request(serverId, "file.upload", { uuid: params.uuid, dir: params.dir, name: params.name, stream: id }, OPEN_TIMEOUT_MS);
      state.credit += opened.credit;
    } catch (e) {
      this.uploads.delete(key);
      throw e;
    }
    const end = () => {
      ended = true;
      this.uploads.delete(key);
    };
    return {
      write: async (chunk: Buffer) => {
        let buf = chunk;
        while (buf.length) {
          while (state.credit <= 0 && !state.closed) await new Promise<void>((r) => (state.wake = r));
          if (state.closed) throw state.closed;
          const n = Math.min(buf.length, state.credit, FILE_CHUNK_BYTES);
          state.credit -= n;
          if (!(await this.t.sendBinary(serverId, encodeFileChunk(id, seq++, buf.subarray(0, n))))) throw (state.closed ??= new Error("the agent disconnected"));
          buf = buf.subarray(n);
        }
      },
      finish: async () => {
        if (state.closed) throw state.closed;
        try {
          await this.t.request(serverId, "file.finish", { stream: id }, OPEN_TIMEOUT_MS);
        } finally {
          end();
        }
      },
      abort: () => {
        if (ended) return;
        end();
        state.closed ??= new Error("aborted");
        state.wake?.();
        this.t.sendJson(serverId, { type: "file.cancel", stream: id });
      },
    };
  }

  /** Whether a server has transfers open (its chunk and credit frames are expected). */
  active(serverId: number): boolean {
    const prefix = `${serverId}:`;
    for (const k of this.downloads.keys()) if (k.startsWith(prefix)) return true;
    for (const k of this.uploads.keys()) if (k.startsWith(prefix)) return true;
    return false;
  }

  /** A binary frame from an agent: a chunk of a download. */
  onBinary(serverId: number, frame: Buffer): void {
    const chunk = decodeFileChunk(frame);
    if (!chunk) return;
    const r = this.downloads.get(this.key(serverId, chunk.stream));
    if (!r) return;
    r.received += chunk.payload.length;
    // More than was granted: a broken or hostile agent; the transfer ends.
    if (r.received > r.granted) return void r.destroy(new Error("the agent sent more than it was granted"));
    r.push(Buffer.from(chunk.payload));
  }

  /** `file.credit` (upload room) and `file.end` (download finished or failed) from an agent. */
  onControl(serverId: number, frame: { type: string; stream: number; bytes?: number; error?: string }): void {
    const key = this.key(serverId, frame.stream);
    if (frame.type === "file.credit") {
      const u = this.uploads.get(key);
      if (!u || !frame.bytes) return;
      u.credit += frame.bytes;
      u.wake?.();
      u.wake = null;
    } else if (frame.type === "file.end") {
      const r = this.downloads.get(key);
      if (!r) return;
      this.downloads.delete(key);
      if (frame.error) r.destroy(new Error(frame.error));
      else r.push(null);
    }
  }

  /** An agent's connection closed: its transfers fail. */
  onDisconnect(serverId: number): void {
    const prefix = `${serverId}:`;
    for (const [k, r] of this.downloads) {
      if (!k.startsWith(prefix)) continue;
      this.downloads.delete(k);
      r.destroy(new Error("the agent disconnected"));
    }
    for (const [k, u] of this.uploads) {
      if (!k.startsWith(prefix)) continue;
      this.uploads.delete(k);
      u.closed ??= new Error("the agent disconnected");
      u.wake?.();
    }
  }
}
