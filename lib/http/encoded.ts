import zlib from "node:zlib";
import { promisify } from "node:util";

const gzip = promisify(zlib.gzip);
const brotli = promisify(zlib.brotliCompress);

/**
 * Answers smaller than this go uncompressed: a few hundred bytes gain little and each distinct
 * small answer would still cost a compression.
 */
export const MIN_COMPRESSED_BYTES = 1024;

/**
 * Levels chosen for speed: a live answer is rebuilt about once a second, so its compression must
 * cost a small fraction of that. gzip 4 and brotli 4 compress the fleet JSON (many near-identical
 * objects) within a few percent of their top levels at a fraction of the time (bench/nezha-details.mjs).
 */
const GZIP_OPTIONS: zlib.ZlibOptions = { level: 4 };
const BROTLI_OPTIONS: zlib.BrotliOptions = {
  params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4, [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT },
};

export type Encoding = "br" | "gzip";

/**
 * One serialized answer and its compressed forms, each made at most once, on the first request
 * that accepts it, off the event loop (zlib's thread pool); concurrent requests share the one
 * promise. Whoever caches the answer (per tick of the live state) caches this object, so every
 * request until the next tick reuses the same compressed bytes.
 */
export class EncodedAnswer {
  readonly bytes: Buffer;
  private forms: Partial<Record<Encoding, Promise<Buffer>>> = {};

  constructor(readonly text: string) {
    this.bytes = Buffer.from(text, "utf8");
  }

  /** Worth compressing at all (small answers go as they are). */
  get compressible(): boolean {
    return this.bytes.length >= MIN_COMPRESSED_BYTES;
  }

  encoded(encoding: Encoding): Promise<Buffer> {
    return (this.forms[encoding] ??= (encoding === "br" ? brotli(this.bytes, BROTLI_OPTIONS) : gzip(this.bytes, GZIP_OPTIONS)).catch((e: unknown) => {
      delete this.forms[encoding];
      throw e;
    }));
  }
}

/**
 * The encoding to send for an Accept-Encoding header: brotli when offered (smaller), else gzip,
 * else none. Quality values of 0 refuse an encoding; other weights are not ranked further, since
 * both compress the same bytes and brotli's are smaller.
 */
export function pickEncoding(accept: string | undefined): Encoding | null {
  if (!accept) return null;
  let gz = false;
  let br = false;
  for (const part of accept.split(",")) {
    const [name, ...params] = part.trim().toLowerCase().split(";");
    const refused = params.some((p) => /^\s*q\s*=\s*0(\.0*)?\s*$/.test(p));
    if (refused) continue;
    if (name === "br") br = true;
    else if (name === "gzip" || name === "x-gzip") gz = true;
    else if (name === "*") {
      br = true;
      gz = true;
    }
  }
  return br ? "br" : gz ? "gzip" : null;
}

interface Slot {
  stamp: string;
  at: number;
  answer: Promise<EncodedAnswer>;
}

/**
 * Answers built per request from live state (lists that are not pre-serialized), kept for one tick:
 * an answer is reused while its `stamp` (what must never be served stale: servers added, removed
 * or edited, instances defined) is unchanged and it is younger than `maxAgeMs`. Bounded by count.
 */
export class TickCache {
  private slots = new Map<string, Slot>();

  constructor(
    private readonly maxAgeMs = 1_000,
    private readonly maxEntries = 500,
  ) {}

  get(key: string, stamp: string, build: () => Promise<string> | string, now = Date.now()): Promise<EncodedAnswer> {
    const hit = this.slots.get(key);
    if (hit && hit.stamp === stamp && now - hit.at < this.maxAgeMs) return hit.answer;
    const answer = Promise.resolve()
      .then(build)
      .then((text) => new EncodedAnswer(text));
    // A failed build is not cached: the next request tries again.
    answer.catch(() => {
      if (this.slots.get(key)?.answer === answer) this.slots.delete(key);
    });
    if (this.slots.size >= this.maxEntries) this.slots.clear();
    this.slots.set(key, { stamp, at: now, answer });
    return answer;
  }
}
