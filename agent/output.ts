/**
 * Streamed output (protocol 6, see agent/protocol.ts "Streamed output"): what watched instances
 * and streamed commands write, batched into `output` frames and paced so that the agent stays
 * well inside the panel's frame limit whatever its processes write.
 *
 * - Each stream (an instance by uuid, a command by request id) collects bytes; a frame goes out
 *   OUTPUT_FLUSH_MS after the first waiting byte, or at once from OUTPUT_FLUSH_BYTES, carrying
 *   every stream's waiting bytes (up to OUTPUT_FRAME_BYTES in all).
 * - Frames are paced by a token bucket (OUTPUT_FRAMES_PER_SECOND, bursts of OUTPUT_FRAME_BURST):
 *   output written faster waits and leaves in bigger frames.
 * - A chunk never ends inside a UTF-8 character: an incomplete one waits for its other bytes.
 * - An instance with more than OUTPUT_PENDING_BYTES waiting loses them (they stay in its ring
 *   buffer) and its `seq` skips one, which tells the panel to read the buffer again.
 */
import {
  OUTPUT_FLUSH_BYTES,
  OUTPUT_FLUSH_MS,
  OUTPUT_FRAME_BURST,
  OUTPUT_FRAME_BYTES,
  OUTPUT_FRAMES_PER_SECOND,
  OUTPUT_PENDING_BYTES,
  type CommandOutputChunk,
  type InstanceOutputChunk,
  type OutputFrame,
} from "./protocol";

interface Stream {
  /** Chunks numbered so far (the last one sent, or skipped). */
  seq: number;
  pending: Buffer[];
  bytes: number;
}

/** How many of `buf`'s first `max` bytes end on a character boundary (an incomplete last character is left out). */
export function utf8Boundary(buf: Buffer, max = buf.length): number {
  let end = Math.min(max, buf.length);
  // Step back over continuation bytes to the last lead byte (at most 3).
  let i = end - 1;
  let back = 0;
  while (i >= 0 && back < 3 && (buf[i] & 0xc0) === 0x80) {
    i--;
    back++;
  }
  if (i < 0) return end;
  const lead = buf[i];
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  if (end - i < need) end = i;
  return end;
}

export class OutputStreams {
  private watched = new Set<string>();
  private readonly instances = new Map<string, Stream>();
  private readonly commands = new Map<number, Stream>();
  private waiting = 0;
  private timer: NodeJS.Timeout | null = null;
  private tokens = OUTPUT_FRAME_BURST;
  private lastRefill = Date.now();

  /** `send` returns false when the frame could not be sent (no connection): its chunks are lost. */
  constructor(private readonly send: (frame: OutputFrame) => boolean) {}

  /** The panel's `watch`: the instances to push from now on (output written before is in the ring buffer). */
  watch(uuids: string[]): void {
    this.watched = new Set(uuids);
    for (const [uuid, s] of this.instances) {
      if (this.watched.has(uuid)) continue;
      this.waiting -= s.bytes;
      s.pending = [];
      s.bytes = 0;
    }
  }

  isWatched(uuid: string): boolean {
    return this.watched.has(uuid);
  }

  /** Everything an instance writes; kept only while it is watched. */
  instanceData(uuid: string, chunk: Buffer): void {
    if (!this.watched.has(uuid) || chunk.length === 0) return;
    let s = this.instances.get(uuid);
    if (!s) this.instances.set(uuid, (s = { seq: 0, pending: [], bytes: 0 }));
    if (s.bytes + chunk.length > OUTPUT_PENDING_BYTES) {
      // Too far behind: drop what waits (it is in the ring buffer) and skip a number.
      this.waiting -= s.bytes;
      s.pending = [];
      s.bytes = 0;
      s.seq++;
      if (chunk.length > OUTPUT_PENDING_BYTES) return;
    }
    this.add(s, chunk);
  }

  /** Bytes of an instance's output written but not sent yet (the end of its ring buffer). */
  pendingBytes(uuid: string): number {
    return this.instances.get(uuid)?.bytes ?? 0;
  }

  /** The last chunk number used for an instance (0 before any). */
  seqOf(uuid: string): number {
    return this.instances.get(uuid)?.seq ?? 0;
  }

  /** Output of a streamed command (already capped by the command runner). */
  commandData(id: number, chunk: Buffer): void {
    if (chunk.length === 0) return;
    let s = this.commands.get(id);
    if (!s) this.commands.set(id, (s = { seq: 0, pending: [], bytes: 0 }));
    this.add(s, chunk);
  }

  /** The command answered: what still waits is in its result, so it is not sent as a chunk. */
  endCommand(id: number): void {
    const s = this.commands.get(id);
    if (!s) return;
    this.waiting -= s.bytes;
    this.commands.delete(id);
  }

  /** The connection closed: nothing waits any more, nothing is watched until the panel says again. */
  reset(): void {
    this.watched.clear();
    for (const s of this.instances.values()) {
      s.pending = [];
      s.bytes = 0;
    }
    this.commands.clear();
    this.waiting = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private add(s: Stream, chunk: Buffer): void {
    s.pending.push(chunk);
    s.bytes += chunk.length;
    this.waiting += chunk.length;
    // A frame's worth: sent now if the pace allows (a fast writer fills the budget before a timer fires).
    if (this.waiting >= OUTPUT_FRAME_BYTES) this.flush();
    else if (this.waiting >= OUTPUT_FLUSH_BYTES) this.schedule(0);
    else this.schedule(OUTPUT_FLUSH_MS);
  }

  private schedule(delayMs: number): void {
    if (this.timer && delayMs > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, delayMs);
    this.timer.unref?.();
  }

  private flush(): void {
    if (this.waiting <= 0) return;
    const now = Date.now();
    this.tokens = Math.min(OUTPUT_FRAME_BURST, this.tokens + ((now - this.lastRefill) / 1000) * OUTPUT_FRAMES_PER_SECOND);
    this.lastRefill = now;
    if (this.tokens < 1) {
      this.schedule(Math.ceil(((1 - this.tokens) / OUTPUT_FRAMES_PER_SECOND) * 1000));
      return;
    }
    this.tokens -= 1;
    let budget = OUTPUT_FRAME_BYTES;
    const instances: InstanceOutputChunk[] = [];
    const commands: CommandOutputChunk[] = [];
    for (const [uuid, s] of this.instances) {
      if (budget <= 0) break;
      const data = this.take(s, budget);
      if (data === null) continue;
      budget -= Buffer.byteLength(data);
      instances.push({ uuid, seq: ++s.seq, data });
    }
    for (const [id, s] of this.commands) {
      if (budget <= 0) break;
      const data = this.take(s, budget);
      if (data === null) continue;
      budget -= Buffer.byteLength(data);
      commands.push({ id, seq: ++s.seq, data });
    }
    if (!instances.length && !commands.length) {
      // Only incomplete characters wait: their other bytes will schedule the next frame.
      this.tokens += 1;
      return;
    }
    this.send({ type: "output", ...(instances.length ? { instances } : {}), ...(commands.length ? { commands } : {}) });
    // More than one frame's worth is waiting (or a part held back by the frame's budget).
    if (this.waiting >= OUTPUT_FLUSH_BYTES) this.schedule(0);
    else if (this.waiting > 0) this.schedule(OUTPUT_FLUSH_MS);
  }

  /** Takes up to `max` whole characters of a stream's waiting bytes; null when nothing complete waits. */
  private take(s: Stream, max: number): string | null {
    if (s.bytes === 0) return null;
    const all = s.pending.length === 1 ? s.pending[0] : Buffer.concat(s.pending, s.bytes);
    const cut = utf8Boundary(all, max);
    if (cut === 0) {
      s.pending = [all];
      return null;
    }
    const rest = all.subarray(cut);
    s.pending = rest.length ? [Buffer.from(rest)] : [];
    s.bytes = rest.length;
    this.waiting -= cut;
    return all.subarray(0, cut).toString("utf8");
  }
}
