/**
 * Opt-in self-update (`--self-update`, off by default): an agent that installs whatever its panel
 * serves lets whoever controls the panel run code on every machine, so only the machine's owner
 * turns it on, when installing.
 *
 * When on, the agent reads the panel's `/agent/latest.json` (lib/agent-endpoints.ts: `{version,
 * url, sha256, size}`) over plain HTTP(S) — at each connection and every CHECK_EVERY_MS — with the
 * same TLS settings as its WebSocket (the system's CAs plus `--ca`). No protocol frame is involved.
 * When the panel's version differs from this agent's and the published file is not this very file:
 *
 *  1. download the bundle the manifest names (same origin as the manifest only), at most
 *     MAX_BUNDLE_BYTES, and check its size and SHA-256 against the manifest;
 *  2. write it beside the running file (same directory, a dot-file), and run it once with
 *     `--version`: it must run and say the manifest's version;
 *  3. rename it over the running file (atomic within a directory), then restart (main.ts):
 *     exit code EXIT_UPDATED (75) when a supervisor restarts the agent (FLEETDECK_SUPERVISED=1,
 *     set by install.sh's systemd unit and by `npm run agent`), otherwise start the new file with
 *     the same arguments as a detached process and exit 0.
 *
 * Whatever fails (the panel unreachable, a checksum mismatch, a directory it may not write, a
 * file that does not run) leaves the running file in place and the agent running, with one log
 * line. A version that failed is remembered: a mismatching or broken file, or one the agent may
 * not write, is not fetched again until the panel publishes another one (or the agent restarts);
 * a transient failure (network, HTTP error, a full disk) is retried with back-off (RETRY_MIN_MS
 * doubling to RETRY_MAX_MS).
 */
import { execFile } from "node:child_process";
import crypto from "node:crypto";
import { constants as fsConstants } from "node:fs";
import fs from "node:fs/promises";
import { accessSync, readFileSync, realpathSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import path from "node:path";
import { rootCertificates } from "node:tls";
import { AGENT_VERSION, errorMessage, log } from "./util";

/** The exit code that asks a supervisor for a restart after an update (EX_TEMPFAIL). */
export const EXIT_UPDATED = 75;
/** Besides each connection, the manifest is read this often (±10 %). */
export const CHECK_EVERY_MS = 60 * 60_000;
const RETRY_MIN_MS = 5 * 60_000;
const RETRY_MAX_MS = 24 * 60 * 60_000;
const MAX_MANIFEST_BYTES = 16 * 1024;
const MAX_BUNDLE_BYTES = 64 * 1024 * 1024;
const HTTP_TIMEOUT_MS = 60_000;
const VERSION_RE = /^\d+\.\d+\.\d+[0-9A-Za-z.+-]{0,40}$/;

export interface Manifest {
  version: string;
  /** The bundle's absolute URL (resolved against the manifest's). */
  url: URL;
  sha256: string;
  size: number;
}

/** `<panel>/agent/latest.json` (a path prefix is kept; ws(s):// is read as http(s)://). */
export function manifestUrl(panel: string): URL {
  const url = new URL(panel);
  if (url.protocol === "ws:") url.protocol = "http:";
  if (url.protocol === "wss:") url.protocol = "https:";
  url.pathname = url.pathname.replace(/\/+$/, "") + "/agent/latest.json";
  url.search = "";
  url.hash = "";
  return url;
}

/** Checks what the panel published; throws a message saying what is wrong. */
export function parseManifest(text: string, from: URL): Manifest {
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new Error(`${from.href} is not JSON`);
  }
  if (typeof m !== "object" || m === null) throw new Error(`${from.href} is not an object`);
  const { version, url, sha256, size } = m;
  if (typeof version !== "string" || !VERSION_RE.test(version)) throw new Error(`${from.href} has no valid version`);
  if (typeof sha256 !== "string" || !/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`${from.href} has no valid sha256`);
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 1 || size > MAX_BUNDLE_BYTES) throw new Error(`${from.href} has no valid size (1 to ${MAX_BUNDLE_BYTES} bytes)`);
  if (typeof url !== "string" || !url) throw new Error(`${from.href} has no url`);
  const bundle = new URL(url, from);
  // The file comes from the panel the agent reports to, never from wherever a manifest points.
  if (bundle.origin !== from.origin) throw new Error(`${from.href} points outside the panel (${bundle.origin})`);
  return { version, url: bundle, sha256, size };
}

/** GET over http(s) with the agent's trust settings; the body, at most `maxBytes`. */
export function httpGet(url: URL, ca: string | null, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const get = url.protocol === "https:" ? https.get : http.get;
    const req = get(
      url,
      {
        timeout: HTTP_TIMEOUT_MS,
        headers: { "user-agent": `fleetdeck-agent/${AGENT_VERSION}` },
        // As the WebSocket: --ca adds to the system's CAs.
        ...(ca && url.protocol === "https:" ? { ca: [...rootCertificates, ca] } : {}),
      },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new Error(`the panel answered HTTP ${res.statusCode ?? "?"} for ${url.href}`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) req.destroy(new Error(`${url.href} is larger than ${maxBytes} bytes`));
          else chunks.push(chunk);
        });
        res.on("end", () => resolve(Buffer.concat(chunks)));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer from ${url.host} within ${HTTP_TIMEOUT_MS / 1000} s`)));
    req.on("error", reject);
  });
}

/** The bundled file this process runs (`node …/fleetdeck-agent.cjs`), or null (e.g. under tsx). */
export function runningBundle(argv1 = process.argv[1]): string | null {
  if (!argv1) return null;
  try {
    const real = realpathSync(argv1);
    return real.endsWith(".cjs") ? real : null;
  } catch {
    return null;
  }
}

const sha256Of = (bytes: Buffer): string => crypto.createHash("sha256").update(bytes).digest("hex");

/** A failure that retrying cannot fix for this file (tampered, broken, not writable). */
class Permanent extends Error {}

/** Runs `node <file> --version` and resolves with what it printed. */
function versionOf(file: string): Promise<string> {
  // Nothing of the agent's environment (its secret) for a file not yet trusted to run.
  const env = {} as NodeJS.ProcessEnv;
  env.PATH = process.env.PATH ?? "";
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [file, "--version"], { cwd: path.dirname(file), timeout: 30_000, maxBuffer: 4096, env, encoding: "utf8" }, (err, stdout, stderr) => {
      if (err) reject(new Error(String(stderr).trim().split("\n")[0] || err.message));
      else resolve(String(stdout).trim());
    });
  });
}

export interface SelfUpdaterOptions {
  panel: string;
  ca: string | null;
  /** The file to replace (runningBundle()). */
  file: string;
  /** A newly seen version is fetched after a random wait of up to this long (0: at once). */
  spreadMs: number;
  /** The new file is in place: restart. */
  onUpdated: (version: string) => void;
}

export class SelfUpdater {
  private readonly manifestUrl: URL;
  private ownSha: string | null = null;
  private busy = false;
  private done = false;
  private timer: NodeJS.Timeout | null = null;
  /** `<version>@<sha256>` → when it may be tried again (Infinity: not while this agent runs). */
  private readonly failed = new Map<string, { attempts: number; retryAt: number }>();
  /** `<version>@<sha256>` → when this agent's random wait for it ends (spreadMs). */
  private readonly notBefore = new Map<string, number>();
  private spreadTimer: NodeJS.Timeout | null = null;
  /** The last line logged about reading the manifest (the same one is not repeated). */
  private lastNote = "";

  constructor(private readonly opts: SelfUpdaterOptions) {
    this.manifestUrl = manifestUrl(opts.panel);
  }

  /** Logs what it will do, warns when the directory is not writable, checks periodically. */
  start(): void {
    const dir = path.dirname(this.opts.file);
    log(`self-update on: follows ${this.manifestUrl.href}, replaces ${this.opts.file}`);
    try {
      accessSync(dir, fsConstants.W_OK);
    } catch (err) {
      log(`self-update: ${dir} is not writable by this agent (${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}): updates will fail until it is`);
    }
    const schedule = (): void => {
      if (this.done) return;
      this.timer = setTimeout(() => {
        void this.check().finally(schedule);
      }, CHECK_EVERY_MS * (0.9 + Math.random() * 0.2));
      this.timer.unref();
    };
    schedule();
  }

  stop(): void {
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.spreadTimer) clearTimeout(this.spreadTimer);
  }

  /** One check (at a connection, or periodic). Never throws; one at a time. */
  async check(): Promise<void> {
    if (this.busy || this.done) return;
    this.busy = true;
    try {
      await this.run();
    } finally {
      this.busy = false;
    }
  }

  private note(line: string): void {
    if (line === this.lastNote) return;
    this.lastNote = line;
    log(line);
  }

  private async run(): Promise<void> {
    let manifest: Manifest;
    try {
      manifest = parseManifest((await httpGet(this.manifestUrl, this.opts.ca, MAX_MANIFEST_BYTES)).toString("utf8"), this.manifestUrl);
    } catch (err) {
      return this.note(`self-update: cannot read the panel's agent version: ${errorMessage(err)}`);
    }
    if (manifest.version === AGENT_VERSION) {
      this.lastNote = "";
      return;
    }
    this.ownSha ??= sha256Of(readFileSync(this.opts.file));
    if (manifest.sha256 === this.ownSha) {
      // The panel names another version for this very file: installing it again would loop.
      return this.note(`self-update: the panel says agent ${manifest.version} but serves this very file (${AGENT_VERSION}); nothing to do`);
    }
    const key = `${manifest.version}@${manifest.sha256}`;
    const failure = this.failed.get(key);
    if (failure && Date.now() < failure.retryAt) return;
    // Spread the downloads of a fleet that sees a new version at the same moment (a panel upgrade
    // reconnects every agent): each waits its own random share of spreadMs, once per version.
    let due = this.notBefore.get(key);
    if (due === undefined) {
      due = Date.now() + Math.floor(Math.random() * this.opts.spreadMs);
      this.notBefore.set(key, due);
    }
    const wait = due - Date.now();
    if (wait > 0) {
      this.note(`self-update: the panel serves agent ${manifest.version} (this is ${AGENT_VERSION}); fetching it in ${Math.ceil(wait / 1000)} s`);
      if (!this.spreadTimer) {
        this.spreadTimer = setTimeout(() => {
          this.spreadTimer = null;
          void this.check();
        }, wait);
        this.spreadTimer.unref();
      }
      return;
    }
    this.lastNote = "";
    log(`self-update: the panel serves agent ${manifest.version} (this is ${AGENT_VERSION}); fetching ${manifest.url.href}`);
    try {
      await this.install(manifest);
    } catch (err) {
      const attempts = (failure?.attempts ?? 0) + 1;
      const permanent = err instanceof Permanent;
      const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** (attempts - 1));
      this.failed.set(key, { attempts, retryAt: permanent ? Infinity : Date.now() + delay });
      const next = permanent ? "this file is not tried again while this agent runs" : `next try in ${Math.round(delay / 60_000)} min`;
      log(`self-update to ${manifest.version} failed, keeping ${AGENT_VERSION} running (${next}): ${errorMessage(err)}`);
      return;
    }
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
    log(`self-update: ${this.opts.file} is now agent ${manifest.version} (SHA-256 ${manifest.sha256}); restarting`);
    this.opts.onUpdated(manifest.version);
  }

  private async install(m: Manifest): Promise<void> {
    const bytes = await httpGet(m.url, this.opts.ca, MAX_BUNDLE_BYTES);
    const got = sha256Of(bytes);
    if (got !== m.sha256 || bytes.length !== m.size) {
      throw new Permanent(`the file from ${m.url.href} does not match the published checksum (SHA-256 ${got}, ${bytes.length} bytes; published ${m.sha256}, ${m.size} bytes)`);
    }
    const file = this.opts.file;
    const dir = path.dirname(file);
    const tmp = path.join(dir, `.${path.basename(file)}.${m.version}.${process.pid}.tmp`);
    try {
      try {
        const mode = (await fs.stat(file)).mode & 0o777;
        const handle = await fs.open(tmp, "w", mode);
        try {
          await handle.writeFile(bytes);
          await handle.sync();
        } finally {
          await handle.close();
        }
        await fs.chmod(tmp, mode);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const msg = `cannot write in ${dir} (${code ?? errorMessage(err)})`;
        // A permission is not granted by waiting; a full disk may be freed.
        if (code === "EACCES" || code === "EPERM" || code === "EROFS") {
          throw new Permanent(`${msg}: the agent's user needs write access to its own folder (install.sh --self-update sets it up)`);
        }
        throw new Error(msg);
      }
      let said: string;
      try {
        said = await versionOf(tmp);
      } catch (err) {
        throw new Permanent(`the downloaded agent does not run: ${errorMessage(err)}`);
      }
      if (said !== m.version) throw new Permanent(`the downloaded agent says it is ${JSON.stringify(said.slice(0, 80))}, not ${m.version}`);
      try {
        await fs.rename(tmp, file);
      } catch (err) {
        throw new Permanent(`cannot replace ${file} (${(err as NodeJS.ErrnoException).code ?? errorMessage(err)})`);
      }
    } finally {
      await fs.rm(tmp, { force: true }).catch(() => undefined);
    }
    // install.sh keeps `<file>.sha256` beside the agent: keep it true (best effort).
    const sidecar = `${file}.sha256`;
    try {
      await fs.access(sidecar);
      await fs.writeFile(`${sidecar}.tmp`, `${m.sha256}  ${path.basename(file)}\n`);
      await fs.rename(`${sidecar}.tmp`, sidecar);
    } catch {
      // absent, or not writable: the agent itself is in place
    }
  }
}
