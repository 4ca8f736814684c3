import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import { FILE_CHUNK_BYTES, FILE_WINDOW_BYTES, encodeFileChunk } from "../../agent/protocol";
import { FileStreams } from "./file-streams";

/**
 * The panel's end of a download against a simulated agent that sends exactly what it is granted:
 * the transfer must finish whatever the reader's pace (no credit deadlock), and the bytes the
 * panel holds (received and not yet taken by the reader) must stay within about two windows.
 */
function simulated(size: number) {
  let streams!: FileStreams;
  let credit = 0;
  let sent = 0;
  let seq = 0;
  let stream = 0;
  const pump = () => {
    while (credit > 0 && sent < size) {
      const n = Math.min(credit, FILE_CHUNK_BYTES, size - sent);
      credit -= n;
      sent += n;
      const frame = encodeFileChunk(stream, seq++, Buffer.alloc(n, 7));
      setImmediate(() => streams.onBinary(1, frame));
    }
    if (sent >= size) setImmediate(() => streams.onControl(1, { type: "file.end", stream }));
  };
  streams = new FileStreams({
    sendJson: (_id, frame) => {
      const f = frame as { type: string; bytes: number };
      if (f.type === "file.credit") {
        credit += f.bytes;
        setImmediate(pump);
      }
      return true;
    },
    sendBinary: async () => true,
    request: (async (_id: number, method: string, params: { stream: number }) => {
      if (method !== "file.download") throw new Error("unexpected");
      stream = params.stream;
      credit = FILE_WINDOW_BYTES;
      setImmediate(pump);
      return { size, name: "x" };
    }) as never,
  });
  return { streams, received: () => sent };
}

describe("download flow control", () => {
  for (const pace of ["fast", "slow"] as const) {
    it(`finishes with a ${pace} reader and holds at most about two windows`, async () => {
      const size = 12 * 1024 * 1024 + 123;
      const sim = simulated(size);
      const { stream } = await sim.streams.openDownload(1, { uuid: "u", target: "/x" });
      let taken = 0;
      let peakHeld = 0;
      await pipeline(
        stream,
        new Writable({
          highWaterMark: 64 * 1024,
          write(chunk: Buffer, _enc, cb) {
            taken += chunk.length;
            peakHeld = Math.max(peakHeld, sim.received() - taken);
            if (pace === "slow" && Math.random() < 0.2) setTimeout(cb, 1);
            else cb();
          },
        }),
      );
      expect(taken).toBe(size);
      expect(peakHeld).toBeLessThanOrEqual(2 * FILE_WINDOW_BYTES + 2 * FILE_CHUNK_BYTES);
    });
  }
});
