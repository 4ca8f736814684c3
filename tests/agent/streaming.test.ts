/**
 * Streamed output (protocol 6) between a real hub and the real agent: a watched instance's output
 * continues its buffer exactly, chunk by chunk; a flooding instance stays within the hub's frame
 * limit; a streamed command's output arrives before its result.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROTOCOL_VERSION, STREAMING_PROTOCOL_VERSION, type CommandOutputChunk, type InstanceOutputChunk } from "../../agent/protocol";
import { until } from "../helpers/wait";
import { spawnAgent, startHub, stopAllAgents, waitFor, type TestHub } from "./helpers";

let h: TestHub;
const SID = 2;
const chunks: InstanceOutputChunk[] = [];

beforeAll(async () => {
  h = await startHub({ hubOptions: { onInstanceOutput: (_sid, c) => void chunks.push(...c) } });
  const agent = spawnAgent(["--panel", h.url, "--secret", "good-secret-2", "--allow-instances", "--allow-commands"]);
  await waitFor("the agent", () => h.events.hellos.some((e) => e.serverId === SID), 20_000, () => agent.stderr());
  expect(h.events.hellos.find((e) => e.serverId === SID)!.hello.protocol).toBe(PROTOCOL_VERSION);
  expect(PROTOCOL_VERSION).toBeGreaterThanOrEqual(STREAMING_PROTOCOL_VERSION);
  await h.hub.request(
    SID,
    "instance.sync",
    {
      instances: [
        { uuid: "echo", name: "echo", startCommand: "echo before; while read l; do echo got:$l; done", cwd: "", stopCommand: "", autoRestart: false },
        { uuid: "flood", name: "flood", startCommand: "head -c 3000000 /dev/zero | tr '\\0' x; echo; echo flood-done; sleep 60", cwd: "", stopCommand: "", autoRestart: false },
      ],
    },
    5_000,
  );
}, 30_000);

afterAll(async () => {
  await stopAllAgents();
  await h?.close();
});

const textOf = (uuid: string, afterSeq: number) =>
  chunks
    .filter((c) => c.uuid === uuid && c.seq > afterSeq)
    .map((c) => c.data)
    .join("");

describe("streamed output", () => {
  it("pushes a watched instance's output as it is written, continuing its buffer from `seq`", async () => {
    await h.hub.request(SID, "instance.start", { uuid: "echo" }, 5_000);
    await until("the first line in the buffer", async () => (await h.hub.request(SID, "instance.output", { uuid: "echo" }, 5_000)).output === "before\n");
    // Not watched: nothing is pushed.
    await h.hub.request(SID, "instance.input", { uuid: "echo", line: "unwatched" }, 5_000);
    await until("the unwatched line in the buffer", async () => (await h.hub.request(SID, "instance.output", { uuid: "echo" }, 5_000)).output.includes("got:unwatched"));
    expect(chunks.filter((c) => c.uuid === "echo")).toEqual([]);

    expect(h.hub.sendWatch(SID, ["echo"])).toBe(true);
    const base = await h.hub.request(SID, "instance.output", { uuid: "echo" }, 5_000);
    expect(base.output).toBe("before\ngot:unwatched\n");
    for (const line of ["one", "two", "three"]) await h.hub.request(SID, "instance.input", { uuid: "echo", line }, 5_000);
    await until("three lines pushed", () => textOf("echo", base.seq ?? 0).includes("got:three"));
    // The buffer read and the chunks after its seq are the output, once and in order.
    expect(base.output + textOf("echo", base.seq ?? 0)).toBe("before\ngot:unwatched\ngot:one\ngot:two\ngot:three\n");
    const seqs = chunks.filter((c) => c.uuid === "echo").map((c) => c.seq);
    expect(seqs).toEqual(seqs.map((_, i) => (base.seq ?? 0) + i + 1));

    h.hub.sendWatch(SID, []);
    const pushed = chunks.length;
    await h.hub.request(SID, "instance.input", { uuid: "echo", line: "after" }, 5_000);
    await until("the last line in the buffer", async () => (await h.hub.request(SID, "instance.output", { uuid: "echo" }, 5_000)).output.endsWith("got:after\n"));
    expect(chunks.length).toBe(pushed);
  });

  it("paces a flood of output within the hub's frame limit", async () => {
    h.hub.sendWatch(SID, ["flood"]);
    await h.hub.request(SID, "instance.start", { uuid: "flood" }, 5_000);
    await until("the end of the flood pushed", () => textOf("flood", 0).includes("flood-done"), 60_000);
    // Frames were batched, never dropped by the hub's rate limit, and the agent stayed connected.
    expect(h.hub.connectionStats(SID)).toMatchObject({ rateLimited: 0, dropped: 0 });
    const frames = chunks.filter((c) => c.uuid === "flood");
    expect(frames.length).toBeLessThan(3_000_000 / (16 * 1024));
    expect(h.hub.isConnected(SID)).toBe(true);
    // What was pushed is whole characters of the flood (some may have been dropped, and the
    // numbers then skip, for the panel to read the buffer again).
    expect(textOf("flood", 0)).toMatch(/^x*\nflood-done\n$/);
    await h.hub.request(SID, "instance.kill", { uuid: "flood" }, 5_000);
    h.hub.sendWatch(SID, []);
  }, 70_000);

  it("streams a command's output before its result, which still holds all of it", async () => {
    const got: { chunk: CommandOutputChunk; settled: boolean }[] = [];
    let settled = false;
    const result = h.hub
      .request(SID, "cmd.run", { shell: "sh", cmd: "echo first; sleep 2; echo second", timeout: 20, stream: true }, 25_000, {
        onOutput: (chunk) => got.push({ chunk, settled }),
      })
      .finally(() => (settled = true));
    await until("the first line before the end", () => got.some((g) => g.chunk.data.includes("first")));
    expect(settled).toBe(false);
    const r = await result;
    expect(r).toMatchObject({ output: "first\nsecond\n", exitCode: 0, timedOut: false });
    expect(got.every((g) => !g.settled)).toBe(true);
    // What was streamed is the start of it (a last part still waiting went with the result).
    expect(r.output.startsWith(got.map((g) => g.chunk.data).join(""))).toBe(true);
  });
});
