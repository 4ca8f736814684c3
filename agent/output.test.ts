import { describe, expect, it } from "vitest";
import { OutputStreams, utf8Boundary } from "./output";
import type { OutputFrame } from "./protocol";
import { until } from "../tests/helpers/wait";

describe("streamed output", () => {
  it("never ends a chunk inside a UTF-8 character", () => {
    const text = Buffer.from("aé€😀", "utf8"); // 1 + 2 + 3 + 4 bytes
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => utf8Boundary(text, n))).toEqual([1, 1, 3, 3, 3, 6, 6, 6, 6, 10]);
  });

  it("sends only watched instances, holds an incomplete character back, and counts chunks per instance", async () => {
    const frames: OutputFrame[] = [];
    const streams = new OutputStreams((f) => frames.push(f) > 0);
    streams.instanceData("a", Buffer.from("not watched\n"));
    streams.watch(["a"]);
    const euro = Buffer.from("€", "utf8");
    streams.instanceData("a", Buffer.concat([Buffer.from("x"), euro.subarray(0, 1)]));
    // Written, not sent yet: the end of the ring buffer that instance.output leaves out.
    expect(streams.pendingBytes("a")).toBe(2);
    await until("a frame", () => frames.length === 1);
    expect(frames[0].instances).toEqual([{ uuid: "a", seq: 1, data: "x" }]);
    expect(streams.pendingBytes("a")).toBe(1);
    streams.instanceData("a", euro.subarray(1));
    await until("a second frame", () => frames.length === 2);
    expect(frames[1].instances).toEqual([{ uuid: "a", seq: 2, data: "€" }]);
    expect(streams.seqOf("a")).toBe(2);
    expect(frames.flatMap((f) => f.instances ?? []).some((c) => c.data.includes("not watched"))).toBe(false);
  });
});
