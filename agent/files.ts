/**
 * The agent's file service: the files of ONE instance's working directory, and nothing else.
 *
 * Paths come from the panel as MCSManager writes them: relative to the instance's folder, with
 * "/" meaning the folder itself ("/world/level.dat"). Confinement is layered, because each layer
 * alone has a known hole:
 *  1. the text: NUL and control characters, backslashes, Windows drive letters (`C:`), UNC and
 *     `\\?\` prefixes and every `..` segment are refused outright (never normalised away);
 *  2. the file system: the root is realpath'd once per call and every existing prefix of the
 *     target (each parent AND the final path) is realpath'd and must stay under it, compared
 *     with a separator so that `inst1` never accepts `inst10/...`;
 *  3. the race: files are opened with O_NOFOLLOW and, on Linux, the opened descriptor's real path
 *     (/proc/self/fd/N) is checked again, so a symlink swapped in after step 2 is caught on the fd
 *     that would actually be used.
 * Writes go to a temporary name in the same folder and are renamed into place, so a cut upload or
 * a failed write never leaves a partial file under the final name, and concurrent writes to one
 * file each land whole (the last rename wins).
 */
import { constants as C, createReadStream, createWriteStream, type ReadStream } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import crypto from "node:crypto";
import { pipeline } from "node:stream/promises";
import yauzl from "yauzl";
import yazl from "yazl";

export type FileErrorCode = "bad_path" | "not_found" | "exists" | "too_large" | "binary" | "not_a_file" | "not_a_directory" | "bad_archive";

export class FileError extends Error {
  readonly code: FileErrorCode;
  constructor(code: FileErrorCode, message: string) {
    super(message);
    this.name = "FileError";
    this.code = code;
  }
}

export interface FileLimits {
  /** Largest file opened as text (read or written through the editor). */
  editBytes: number;
  /** Largest upload. */
  uploadBytes: number;
  /** Largest total of a zip's declared uncompressed sizes (a zip bomb stops here, before a byte is written). */
  unzipBytes: number;
  /** Most entries in a zip we extract. */
  unzipEntries: number;
  /** Largest total size of the files put into a new zip. */
  zipBytes: number;
}

export const DEFAULT_FILE_LIMITS: FileLimits = {
  editBytes: 192 * 1024,
  uploadBytes: 4 * 1024 * 1024 * 1024,
  unzipBytes: 4 * 1024 * 1024 * 1024,
  unzipEntries: 100_000,
  zipBytes: 4 * 1024 * 1024 * 1024,
};

export interface ListItem {
  name: string;
  size: number;
  time: string;
  mode: number;
  type: 0 | 1; // MCSManager: 0 folder, 1 file
}

export interface ListResult {
  items: ListItem[];
  page: number;
  pageSize: number;
  total: number;
  absolutePath: string;
}

const BAD_CHARS = /[\u0000-\u001f\u007f\\]/;

/** The segments of a client path, or a refusal. "" and "/" are the root (no segments). */
export function pathSegments(target: string): string[] {
  if (typeof target !== "string") throw new FileError("bad_path", "path must be a string");
  if (target.length > 4096) throw new FileError("bad_path", "path too long");
  if (BAD_CHARS.test(target)) throw new FileError("bad_path", "path contains a backslash or a control character");
  if (/^[a-zA-Z]:/.test(target)) throw new FileError("bad_path", "Windows drive paths are not allowed");
  if (target.startsWith("//")) throw new FileError("bad_path", "UNC paths are not allowed");
  const segs = target.split("/").filter((s) => s !== "" && s !== ".");
  if (segs.some((s) => s === "..")) throw new FileError("bad_path", "`..` is not allowed in paths");
  if (segs.some((s) => Buffer.byteLength(s) > 255)) throw new FileError("bad_path", "a path segment is too long");
  return segs;
}

function inside(root: string, p: string): boolean {
  return p === root || p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException)?.code;
}

/** A confined view of one folder. Build one per request (the root is realpath'd each time). */
export class InstanceFiles {
  private constructor(
    readonly root: string,
    readonly limits: FileLimits,
  ) {}

  static async open(cwd: string, limits: FileLimits = DEFAULT_FILE_LIMITS): Promise<InstanceFiles> {
    let root: string;
    try {
      root = await fs.realpath(cwd);
    } catch {
      throw new FileError("not_found", "the instance's working directory does not exist");
    }
    if (!(await fs.stat(root)).isDirectory()) throw new FileError("not_a_directory", "the instance's working directory is not a folder");
    return new InstanceFiles(root, limits);
  }

  /**
   * The host path for a client path, after checking every existing prefix's real path. The
   * returned path has its parents resolved; its last segment is NOT followed (callers that open
   * it use O_NOFOLLOW or treat a symlink as the link itself).
   */
  async resolve(target: string, opts: { linkItself?: boolean } = {}): Promise<string> {
    const segs = pathSegments(target);
    let cur = this.root;
    for (let i = 0; i < segs.length; i++) {
      const next = path.join(cur, segs[i]!);
      let st;
      try {
        st = await fs.lstat(next);
      } catch (e) {
        if (errno(e) === "ENOENT") {
          // The rest does not exist yet: nothing below can be a link; the text was checked.
          return path.join(next, ...segs.slice(i + 1));
        }
        throw e;
      }
      if (st.isSymbolicLink()) {
        // Deleting or renaming a link acts on the link, wherever it points.
        if (opts.linkItself && i === segs.length - 1) return next;
        let real: string;
        try {
          real = await fs.realpath(next);
        } catch {
          // A dangling link: as a parent it cannot be walked; as the last segment it is the link itself.
          if (i === segs.length - 1) return next;
          throw new FileError("bad_path", `${segs.slice(0, i + 1).join("/")} is a broken link`);
        }
        if (!inside(this.root, real)) throw new FileError("bad_path", "the path leaves the instance's folder through a symlink");
        // The last segment stays the link (so delete/move act on it); parents are walked through.
        cur = i === segs.length - 1 ? next : real;
      } else {
        cur = next;
      }
    }
    return cur;
  }

  /** The client path of a host path under the root ("/a/b"). */
  clientPath(abs: string): string {
    const rel = path.relative(this.root, abs).split(path.sep).join("/");
    return "/" + rel;
  }

  /** Opens a file by fd without following a final link, and re-checks where the fd really is. */
  private async openChecked(abs: string, flags: number, mode = 0o644): Promise<fs.FileHandle> {
    let fh: fs.FileHandle;
    try {
      fh = await fs.open(abs, flags | (C.O_NOFOLLOW ?? 0), mode);
    } catch (e) {
      const code = errno(e);
      if (code === "ELOOP") throw new FileError("bad_path", "the file is a symlink");
      if (code === "ENOENT") throw new FileError("not_found", "no such file");
      if (code === "EEXIST") throw new FileError("exists", "the file already exists");
      if (code === "EISDIR") throw new FileError("not_a_file", "that is a folder");
      throw e;
    }
    try {
      await this.checkFd(fh);
    } catch (e) {
      await fh.close().catch(() => {});
      throw e;
    }
    return fh;
  }

  /** Where an open descriptor really is, on systems that tell (Linux); a parent swapped for a link after resolve() is caught here. */
  private async checkFd(fh: fs.FileHandle): Promise<void> {
    if (process.platform !== "linux") return;
    const real = await fs.readlink(`/proc/self/fd/${fh.fd}`).catch(() => null);
    if (real !== null && !inside(this.root, real)) throw new FileError("bad_path", "the file moved outside the instance's folder");
  }

  async list(target: string, page: number, pageSize: number, fileName: string): Promise<ListResult> {
    const dir = await this.resolve(target);
    let dirents;
    try {
      dirents = await fs.readdir(dir, { withFileTypes: true });
    } catch (e) {
      if (errno(e) === "ENOENT") throw new FileError("not_found", "no such folder");
      if (errno(e) === "ENOTDIR") throw new FileError("not_a_directory", "that is not a folder");
      throw e;
    }
    const needle = fileName.toLowerCase();
    const rows = dirents
      .filter((d) => !needle || d.name.toLowerCase().includes(needle))
      .map((d) => ({ name: d.name, type: (d.isDirectory() ? 0 : 1) as 0 | 1 }))
      // Folders first, then by name, as MCSManager's daemon sorts.
      .sort((a, b) => a.type - b.type || a.name.localeCompare(b.name));
    const slice = rows.slice(page * pageSize, page * pageSize + pageSize);
    const items = await Promise.all(
      slice.map(async (r): Promise<ListItem> => {
        try {
          // lstat: a link to outside is listed as what it is, never followed for its size.
          const st = await fs.lstat(path.join(dir, r.name));
          return { name: r.name, size: st.isFile() ? st.size : 0, time: st.mtime.toString(), mode: Number((st.mode & 0o777).toString(8)), type: r.type };
        } catch {
          return { name: r.name, size: 0, time: new Date().toString(), mode: 0, type: r.type };
        }
      }),
    );
    return { items, page, pageSize, total: rows.length, absolutePath: dir };
  }

  async readText(target: string): Promise<string> {
    const abs = await this.resolve(target);
    const fh = await this.openChecked(abs, C.O_RDONLY);
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw new FileError("not_a_file", "that is not a file");
      if (st.size > this.limits.editBytes) {
        throw new FileError("too_large", `the file is ${st.size} bytes; files over ${this.limits.editBytes} bytes cannot be opened as text (download it instead)`);
      }
      const buf = await fh.readFile();
      if (looksBinary(buf)) throw new FileError("binary", "the file is binary and cannot be opened as text (download it instead)");
      return buf.toString("utf8");
    } finally {
      await fh.close();
    }
  }

  async writeText(target: string, text: string): Promise<void> {
    const bytes = Buffer.byteLength(text, "utf8");
    if (bytes > this.limits.editBytes) throw new FileError("too_large", `the text is ${bytes} bytes; the limit is ${this.limits.editBytes}`);
    const abs = await this.resolve(target);
    const st = await fs.lstat(abs).catch(() => null);
    if (st && !st.isFile()) throw new FileError("not_a_file", "that is not a regular file");
    const up = await this.beginWrite(abs);
    try {
      await up.write(Buffer.from(text, "utf8"));
      await up.commit();
    } catch (e) {
      await up.abort();
      throw e;
    }
  }

  async touch(target: string): Promise<void> {
    const abs = await this.resolve(target);
    await this.mustHaveParent(abs);
    const fh = await this.openChecked(abs, C.O_WRONLY | C.O_CREAT);
    await fh.close();
  }

  async mkdir(target: string): Promise<void> {
    const abs = await this.resolve(target);
    if (abs === this.root) throw new FileError("exists", "the folder already exists");
    await this.mustHaveParent(abs);
    try {
      await fs.mkdir(abs);
    } catch (e) {
      if (errno(e) === "EEXIST") throw new FileError("exists", "the folder already exists");
      throw e;
    }
  }

  private async mustHaveParent(abs: string): Promise<void> {
    const st = await fs.stat(path.dirname(abs)).catch(() => null);
    if (!st?.isDirectory()) throw new FileError("not_found", "the parent folder does not exist");
  }

  async copy(pairs: [string, string][]): Promise<void> {
    for (const [from, to] of pairs) {
      const src = await this.resolve(from);
      const dst = await this.resolve(to);
      if (src === this.root) throw new FileError("bad_path", "the instance's folder itself cannot be copied");
      await fs.lstat(src).catch(() => {
        throw new FileError("not_found", `no such file: ${from}`);
      });
      if (inside(src, dst)) throw new FileError("bad_path", "a folder cannot be copied into itself");
      await this.mustHaveParent(dst);
      // Links are copied as links (never followed): a link to outside stays unreadable.
      await fs.cp(src, dst, { recursive: true, force: false, errorOnExist: true, verbatimSymlinks: true }).catch((e) => {
        if (errno(e) === "ERR_FS_CP_EEXIST" || errno(e) === "EEXIST") throw new FileError("exists", `${to} already exists`);
        throw e;
      });
    }
  }

  async move(pairs: [string, string][]): Promise<void> {
    for (const [from, to] of pairs) {
      const src = await this.resolve(from, { linkItself: true });
      const dst = await this.resolve(to);
      if (src === this.root || dst === this.root) throw new FileError("bad_path", "the instance's folder itself cannot be moved");
      if (inside(src, dst)) throw new FileError("bad_path", "a folder cannot be moved into itself");
      await this.mustHaveParent(dst);
      if (await fs.lstat(dst).catch(() => null)) throw new FileError("exists", `${to} already exists`);
      await fs.rename(src, dst).catch((e) => {
        if (errno(e) === "ENOENT") throw new FileError("not_found", `no such file: ${from}`);
        throw e;
      });
    }
  }

  async remove(targets: string[]): Promise<void> {
    // Resolve all first: one bad path refuses the whole batch before anything is deleted.
    const abs = await Promise.all(targets.map((t) => this.resolve(t, { linkItself: true })));
    if (abs.includes(this.root)) throw new FileError("bad_path", "the instance's folder itself cannot be deleted");
    // rm does not follow a link given as the path: deleting a link deletes the link.
    for (const a of abs) await fs.rm(a, { recursive: true, force: true });
  }

  /** Streams a file out: the opened, re-checked stream and its size. */
  async openRead(target: string): Promise<{ stream: ReadStream; size: number; name: string }> {
    const abs = await this.resolve(target);
    const fh = await this.openChecked(abs, C.O_RDONLY);
    const st = await fh.stat();
    if (!st.isFile()) {
      await fh.close();
      throw new FileError("not_a_file", "that is not a file");
    }
    return { stream: fh.createReadStream({ highWaterMark: 64 * 1024 }), size: st.size, name: path.basename(abs) };
  }

  /** Begins an upload of `name` into folder `dir`; nothing appears under the final name before commit(). */
  async beginUpload(dir: string, name: string): Promise<Upload> {
    if (!name || name === "." || name === ".." || name.includes("/")) throw new FileError("bad_path", "bad file name");
    pathSegments(name);
    const folder = await this.resolve(dir);
    const st = await fs.stat(folder).catch(() => null);
    if (!st?.isDirectory()) throw new FileError("not_found", "the upload folder does not exist");
    return this.beginWrite(path.join(folder, name), this.limits.uploadBytes);
  }

  private async beginWrite(abs: string, maxBytes = Infinity): Promise<Upload> {
    await this.mustHaveParent(abs);
    const tmp = path.join(path.dirname(abs), `.${path.basename(abs).slice(0, 80)}.fdpart-${crypto.randomBytes(6).toString("hex")}`);
    const fh = await this.openChecked(tmp, C.O_WRONLY | C.O_CREAT | C.O_EXCL, 0o644);
    return new Upload(fh, tmp, abs, maxBytes, this);
  }

  /** For Upload.commit: the final name must still resolve inside, and must not be a link or folder. */
  async recheckTarget(abs: string): Promise<void> {
    const again = await this.resolve(this.clientPath(abs));
    if (again !== abs) throw new FileError("bad_path", "the destination changed during the upload");
    const st = await fs.lstat(abs).catch(() => null);
    if (st && (st.isSymbolicLink() || st.isDirectory())) throw new FileError("bad_path", "the destination is a link or a folder");
  }

  /** MCSManager's type 1: zip `targets` into the archive `source`. */
  async zip(source: string, targets: string[]): Promise<void> {
    const out = await this.resolve(source);
    const inputs = await Promise.all(targets.map((t) => this.resolve(t)));
    const zip = new yazl.ZipFile();
    let total = 0;
    const add = async (abs: string, name: string): Promise<void> => {
      const st = await fs.lstat(abs);
      // Links are skipped: following them could pack files from outside the folder.
      if (st.isSymbolicLink()) return;
      if (st.isDirectory()) {
        zip.addEmptyDirectory(name);
        for (const child of await fs.readdir(abs)) await add(path.join(abs, child), `${name}/${child}`);
      } else if (st.isFile()) {
        if (abs === out) return;
        total += st.size;
        if (total > this.limits.zipBytes) throw new FileError("too_large", `the files to zip exceed ${this.limits.zipBytes} bytes`);
        zip.addReadStream(createReadStream(abs), name, { mtime: st.mtime, mode: st.mode });
      }
    };
    for (const abs of inputs) {
      if (abs === this.root) {
        for (const child of await fs.readdir(abs)) await add(path.join(abs, child), child);
      } else {
        await add(abs, path.basename(abs));
      }
    }
    const up = await this.beginWrite(out);
    zip.end();
    try {
      await pipeline(zip.outputStream, createWriteStream("", { fd: up.handle.fd, autoClose: false }));
      await up.commit();
    } catch (e) {
      await up.abort();
      throw e;
    }
  }

  /**
   * MCSManager's type 2: unzip the archive `source` into folder `destDir`. Every entry's path goes
   * through the same checks as a client's; the declared sizes are summed before anything is
   * written (yauzl verifies each entry's real size against its declaration while inflating).
   */
  async unzip(source: string, destDir: string): Promise<void> {
    const archive = await this.resolve(source);
    const dest = await this.resolve(destDir);
    const fh = await this.openChecked(archive, C.O_RDONLY);
    const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
      yauzl.fromFd(fh.fd, { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: true }, (err, z) => (err ? reject(new FileError("bad_archive", `not a zip archive: ${err.message}`)) : resolve(z!))),
    );
    try {
      const entries: yauzl.Entry[] = [];
      await new Promise<void>((resolve, reject) => {
        zip.on("entry", (e: yauzl.Entry) => {
          entries.push(e);
          if (entries.length > this.limits.unzipEntries) return reject(new FileError("too_large", `the archive has more than ${this.limits.unzipEntries} entries`));
          zip.readEntry();
        });
        zip.on("end", () => resolve());
        zip.on("error", (err: Error) => reject(new FileError("bad_archive", `bad archive: ${err.message}`)));
        zip.readEntry();
      });
      const declared = entries.reduce((n, e) => n + e.uncompressedSize, 0);
      if (declared > this.limits.unzipBytes) throw new FileError("too_large", `the archive unpacks to ${declared} bytes; the limit is ${this.limits.unzipBytes}`);
      const relDest = this.clientPath(dest);
      // Check every name before writing anything: one bad entry refuses the archive.
      const targets = await Promise.all(entries.map((e) => this.resolve(`${relDest}/${e.fileName}`)));
      await fs.mkdir(dest, { recursive: true });
      for (let i = 0; i < entries.length; i++) {
        const e = entries[i]!;
        const abs = await this.resolve(this.clientPath(targets[i]!)); // again: an earlier entry may have made a link
        if (e.fileName.endsWith("/")) {
          await fs.mkdir(abs, { recursive: true });
          continue;
        }
        await fs.mkdir(path.dirname(abs), { recursive: true });
        await this.resolve(this.clientPath(abs));
        const input = await new Promise<NodeJS.ReadableStream>((resolve, reject) => zip.openReadStream(e, (err, s) => (err ? reject(new FileError("bad_archive", err.message)) : resolve(s!))));
        const up = await this.beginWrite(abs);
        try {
          await pipeline(input, createWriteStream("", { fd: up.handle.fd, autoClose: false }));
          await up.commit();
        } catch (err) {
          await up.abort();
          throw err instanceof FileError ? err : new FileError("bad_archive", `bad archive entry ${e.fileName}: ${(err as Error).message}`);
        }
      }
    } finally {
      zip.close();
      await fh.close().catch(() => {});
    }
  }
}

/** A write in progress under a temporary name; commit() renames it into place, abort() removes it. */
export class Upload {
  written = 0;
  private done = false;
  constructor(
    readonly handle: fs.FileHandle,
    private readonly tmp: string,
    readonly target: string,
    private readonly maxBytes: number,
    private readonly files: InstanceFiles,
  ) {}

  async write(chunk: Buffer): Promise<void> {
    this.written += chunk.length;
    if (this.written > this.maxBytes) throw new FileError("too_large", `the upload exceeds ${this.maxBytes} bytes`);
    let off = 0;
    while (off < chunk.length) off += (await this.handle.write(chunk, off, chunk.length - off)).bytesWritten;
  }

  async commit(): Promise<void> {
    if (this.done) return;
    this.done = true;
    try {
      await this.handle.sync();
      await this.handle.close();
      await this.files.recheckTarget(this.target);
      await fs.rename(this.tmp, this.target);
    } catch (e) {
      await fs.rm(this.tmp, { force: true });
      throw e;
    }
  }

  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.handle.close().catch(() => {});
    await fs.rm(this.tmp, { force: true });
  }
}

/** NUL bytes in the first 8 KiB, or text that is not UTF-8, is binary to the editor. */
export function looksBinary(buf: Buffer): boolean {
  if (buf.subarray(0, 8192).includes(0)) return true;
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(buf);
    return false;
  } catch {
    return true;
  }
}
