/** A fixed-size byte ring that keeps the most recent `capacity` bytes written to it. */
export class RingBuffer {
  private readonly buf: Buffer;
  private start = 0; // index of the oldest byte
  private length = 0;

  constructor(readonly capacity: number) {
    this.buf = Buffer.alloc(capacity);
  }

  get size(): number {
    return this.length;
  }

  write(chunk: Buffer): void {
    const cap = this.capacity;
    if (chunk.length >= cap) {
      chunk.copy(this.buf, 0, chunk.length - cap);
      this.start = 0;
      this.length = cap;
      return;
    }
    const end = (this.start + this.length) % cap;
    const first = Math.min(chunk.length, cap - end);
    chunk.copy(this.buf, end, 0, first);
    if (first < chunk.length) chunk.copy(this.buf, 0, first);
    const overflow = this.length + chunk.length - cap;
    if (overflow > 0) {
      this.start = (this.start + overflow) % cap;
      this.length = cap;
    } else {
      this.length += chunk.length;
    }
  }

  /** The content, without its last `excludeTail` bytes. */
  toBuffer(excludeTail = 0): Buffer {
    const cap = this.capacity;
    const length = Math.max(0, this.length - excludeTail);
    if (this.start + length <= cap) return Buffer.from(this.buf.subarray(this.start, this.start + length));
    return Buffer.concat([this.buf.subarray(this.start), this.buf.subarray(0, (this.start + length) % cap)]);
  }

  /**
   * The content as UTF-8, skipping a character cut in half at the start by the wrap-around;
   * without its last `excludeTail` bytes (output not yet streamed, which follows it in a chunk).
   */
  toString(excludeTail = 0): string {
    let bytes = this.toBuffer(excludeTail);
    let skip = 0;
    while (skip < bytes.length && skip < 3 && (bytes[skip] & 0xc0) === 0x80) skip++;
    if (skip > 0) bytes = bytes.subarray(skip);
    return bytes.toString("utf8");
  }

  clear(): void {
    this.start = 0;
    this.length = 0;
  }
}
