/**
 * The agent's end of the file protocol (agent/protocol.ts, "Instance files"): the `file.*`
 * requests over agent/files.ts, and the two kinds of stream.
 *
 * - Download: `file.download` opens the file and answers {size, name}; the agent then sends the
 *   file as binary chunks, never more than the credit the panel granted (`file.credit`, granted
 *   as the panel's HTTP client drains), and never while the socket already has CHUNK_QUEUE_BYTES
 *   unsent, so that a state report always finds room; `file.end` closes the stream.
 * - Upload: `file.upload` opens a temporary file and answers with the first credit; the panel
 *   sends binary chunks within it, and the agent grants more as it writes them to disk;
 *   `file.finish` commits (rename into place), `file.cancel` or a lost connection drops it.
 */
import type { ReadStream } from "node:fs";
import { AgentError } from "./errors";
import { FileError, InstanceFiles, type FileLimits, type Upload } from "./files";
import {
  FILE_CHUNK_BYTES,
  FILE_WINDOW_BYTES,
  decodeFileChunk,
  encodeFileChunk,
  type AgentErrorCode,
  type AgentToPanel,
} from "./protocol";

/** Data chunks wait while this much is queued on the socket: reports go first. */
export const CHUNK_QUEUE_BYTES = 256 * 1024;
/** Streams one connection may hold open at once (each direction). */
const MAX_STREAMS = 16;

export interface FileServiceHost {
  /** The working directory of an instance; throws unknown_instance / instances_disabled. */
  cwdOf(uuid: string): string;
  limits: FileLimits;
  sendJson(frame: AgentToPanel): void;
  /** Sends a binary frame once the socket's queue is below CHUNK_QUEUE_BYTES; false when the socket is gone. */
  sendBinary(frame: Buffer): Promise<boolean>;
}

interface DownloadStream {
  kind: "download";
  stream: ReadStream;
  credit: number;
  wake: (() => void) | null;
  cancelled: boolean;
}
interface UploadStream {
  kind: "upload";
  upload: Upload;
  /** Writes are chained: chunks land in order, one at a time. */
  chain: Promise<void>;
  failed: unknown;
  nextSeq: number;
}

function str(params: Record<string, unknown>, key: string): string {
  const v = params[key];
  if (typeof v !== "string") throw new AgentError("bad_request", `params.${key} must be a string`);
  return v;
}
function num(params: Record<string, unknown>, key: string): number {
  const v = params[key];
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) throw new AgentError("bad_request", `params.${key} must be a whole number`);
  return v;
}
function strList(params: Record<string, unknown>, key: string): string[] {
  const v = params[key];
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) throw new AgentError("bad_request", `params.${key} must be a list of strings`);
  return v as string[];
}
function pairs(params: Record<string, unknown>): [string, string][] {
  const v = params.pairs;
  if (!Array.isArray(v) || v.some((p) => !Array.isArray(p) || p.length !== 2 || typeof p[0] !== "string" || typeof p[1] !== "string")) {
    throw new AgentError("bad_request", "params.pairs must be a list of [from, to]");
  }
  return v as [string, string][];
}

/** FileError → AgentError with the protocol's file_* code. */
function agentError(e: unknown): unknown {
  if (e instanceof FileError) return new AgentError(`file_${e.code}` as AgentErrorCode, e.message);
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === "ENOENT") return new AgentError("file_not_found", "no such file or folder");
  if (code === "EACCES" || code === "EPERM") return new AgentError("file_bad_path", "permission denied by the system");
  if (code === "ENOTEMPTY" || code === "EEXIST") return new AgentError("file_exists", "the destination exists");
  return e;
}

export class FileService {
  private streams = new Map<number, DownloadStream | UploadStream>();

  constructor(private readonly host: FileServiceHost) {}

  private async files(params: Record<string, unknown>): Promise<InstanceFiles> {
    return InstanceFiles.open(this.host.cwdOf(str(params, "uuid")), this.host.limits);
  }

  /** Answers a `file.*` request, or returns undefined for any other method. */
  async dispatch(method: string, params: Record<string, unknown>): Promise<unknown> {
    if (!method.startsWith("file.")) return undefined;
    try {
      return await this.run(method, params);
    } catch (e) {
      throw agentError(e);
    }
  }

  private async run(method: string, params: Record<string, unknown>): Promise<unknown> {
    switch (method) {
      case "file.list": {
        const f = await this.files(params);
        const pageSize = num(params, "pageSize");
        if (pageSize < 1 || pageSize > 100) throw new AgentError("bad_request", "params.pageSize must be 1–100");
        return f.list(str(params, "target"), num(params, "page"), pageSize, typeof params.fileName === "string" ? params.fileName : "");
      }
      case "file.read":
        return { text: await (await this.files(params)).readText(str(params, "target")) };
      case "file.write":
        await (await this.files(params)).writeText(str(params, "target"), str(params, "text"));
        return { ok: true };
      case "file.touch":
        await (await this.files(params)).touch(str(params, "target"));
        return { ok: true };
      case "file.mkdir":
        await (await this.files(params)).mkdir(str(params, "target"));
        return { ok: true };
      case "file.copy":
        await (await this.files(params)).copy(pairs(params));
        return { ok: true };
      case "file.move":
        await (await this.files(params)).move(pairs(params));
        return { ok: true };
      case "file.delete":
        await (await this.files(params)).remove(strList(params, "targets"));
        return { ok: true };
      case "file.zip":
        await (await this.files(params)).zip(str(params, "archive"), strList(params, "files"));
        return { ok: true };
      case "file.unzip":
        await (await this.files(params)).unzip(str(params, "archive"), str(params, "dest"));
        return { ok: true };
      case "file.download":
        return this.openDownload(params);
      case "file.upload":
        return this.openUpload(params);
      case "file.finish":
        return this.finishUpload(num(params, "stream"));
      default:
        throw new AgentError("bad_request", `unknown method ${JSON.stringify(method)}`);
    }
  }

  private newStreamId(params: Record<string, unknown>): number {
    const id = num(params, "stream");
    if (this.streams.has(id)) throw new AgentError("bad_request", "stream id in use");
    if (this.streams.size >= MAX_STREAMS) throw new AgentError("file_too_large", `at most ${MAX_STREAMS} transfers at once per agent`);
    return id;
  }

  private async openDownload(params: Record<string, unknown>): Promise<{ size: number; name: string }> {
    const id = this.newStreamId(params);
    const f = await this.files(params);
    const { stream, size, name } = await f.openRead(str(params, "target"));
    const s: DownloadStream = { kind: "download", stream, credit: FILE_WINDOW_BYTES, wake: null, cancelled: false };
    this.streams.set(id, s);
    // Sending starts after the answer is on its way (the panel learns the size first).
    setImmediate(() => void this.pump(id, s));
    return { size, name };
  }

  /** Sends a download within its credit; ends with file.end (with the error, if any). */
  private async pump(id: number, s: DownloadStream): Promise<void> {
    let seq = 0;
    let error: string | undefined;
    try {
      stream: for await (const chunk of s.stream) {
        let buf = chunk as Buffer;
        while (buf.length) {
          while (s.credit <= 0 && !s.cancelled) await new Promise<void>((r) => (s.wake = r));
          if (s.cancelled) break stream;
          const n = Math.min(buf.length, s.credit, FILE_CHUNK_BYTES);
          s.credit -= n;
          if (!(await this.host.sendBinary(encodeFileChunk(id, seq++, buf.subarray(0, n))))) {
            s.cancelled = true;
            break stream;
          }
          buf = buf.subarray(n);
        }
      }
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    } finally {
      s.stream.destroy();
      this.streams.delete(id);
    }
    if (!s.cancelled) this.host.sendJson({ type: "file.end", stream: id, ...(error ? { error } : {}) });
  }

  private async openUpload(params: Record<string, unknown>): Promise<{ credit: number }> {
    const id = this.newStreamId(params);
    const f = await this.files(params);
    const upload = await f.beginUpload(str(params, "dir"), str(params, "name"));
    this.streams.set(id, { kind: "upload", upload, chain: Promise.resolve(), failed: null, nextSeq: 0 });
    return { credit: FILE_WINDOW_BYTES };
  }

  private async finishUpload(id: number): Promise<{ size: number }> {
    const s = this.streams.get(id);
    if (!s || s.kind !== "upload") throw new AgentError("bad_request", "no such upload");
    await s.chain;
    this.streams.delete(id);
    if (s.failed) {
      await s.upload.abort();
      throw s.failed;
    }
    await s.upload.commit();
    return { size: s.upload.written };
  }

  /** A binary frame from the panel: a chunk of an upload. */
  onBinary(frame: Buffer): void {
    const chunk = decodeFileChunk(frame);
    if (!chunk) return;
    const s = this.streams.get(chunk.stream);
    if (!s || s.kind !== "upload") return;
    if (chunk.seq !== s.nextSeq++) s.failed ??= new AgentError("bad_request", "upload chunks out of order");
    const data = Buffer.from(chunk.payload); // the frame's buffer is not ours to keep
    s.chain = s.chain.then(async () => {
      if (s.failed) return;
      try {
        await s.upload.write(data);
        this.host.sendJson({ type: "file.credit", stream: chunk.stream, bytes: data.length });
      } catch (e) {
        s.failed = agentError(e);
      }
    });
  }

  /** `file.credit` and `file.cancel` from the panel. */
  onControl(frame: { type: string; stream?: unknown; bytes?: unknown }): void {
    if (typeof frame.stream !== "number") return;
    const s = this.streams.get(frame.stream);
    if (!s) return;
    if (frame.type === "file.credit" && s.kind === "download" && typeof frame.bytes === "number" && frame.bytes > 0) {
      s.credit = Math.min(s.credit + frame.bytes, FILE_WINDOW_BYTES * 4);
      s.wake?.();
      s.wake = null;
    } else if (frame.type === "file.cancel") {
      this.drop(frame.stream, s);
    }
  }

  private drop(id: number, s: DownloadStream | UploadStream): void {
    this.streams.delete(id);
    if (s.kind === "download") {
      s.cancelled = true;
      s.wake?.();
      s.stream.destroy();
    } else {
      void s.chain.then(() => s.upload.abort());
    }
  }

  /** The connection is gone: every transfer ends, uploads leave nothing behind. */
  closeAll(): void {
    for (const [id, s] of [...this.streams]) this.drop(id, s);
  }
}
