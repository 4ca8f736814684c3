/**
 * The instance manager through a real hub to the real agent.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InstanceDefinition } from "../../agent/protocol";
import { AgentRequestError } from "../../lib/fleet/hub";
import { rejection as rejectionOf } from "../helpers/wait";
import { isAlive, spawnAgent, startHub, stopAllAgents, waitFor, type AgentProcess, type TestHub } from "./helpers";

let h: TestHub;
let agent: AgentProcess;
let dir: string;
const SID = 3;

/** How a request to the agent fails (tests/helpers/wait.ts). */
const rejection = (p: Promise<unknown>) => rejectionOf(p, AgentRequestError);

function def(uuid: string, startCommand: string, extra: Partial<InstanceDefinition> = {}): InstanceDefinition {
  return { uuid, name: uuid, startCommand, cwd: "", stopCommand: "", autoRestart: false, ...extra };
}

const output = async (uuid: string): Promise<string> => (await h.hub.request(SID, "instance.output", { uuid }, 5_000)).output;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "fleetdeck-instances-"));
  h = await startHub();
  agent = spawnAgent(["--panel", h.url, "--secret", "good-secret-3", "--data-dir", dir, "--allow-instances"]);
  await waitFor("the agent", () => h.hub.isConnected(SID), 20_000, () => agent.stderr());
}, 30_000);

afterAll(async () => {
  await stopAllAgents();
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("instances", () => {
  it("syncs, starts, takes input, returns output and stops an instance", { timeout: 30_000 }, async () => {
    const sync = await h.hub.request(
      SID,
      "instance.sync",
      {
        instances: [
          def("echo-1", "while read l; do echo got:$l; done"),
          def("stopcmd-1", 'while read l; do if [ "$l" = quit ]; then echo bye; exit 0; fi; done', { stopCommand: "quit" }),
        ],
      },
      5_000,
    );
    expect(sync).toEqual({ count: 2 });
    // --data-dir keeps the definitions for the next start of the agent.
    const saved = JSON.parse(readFileSync(path.join(dir, "instances.json"), "utf8")) as InstanceDefinition[];
    expect(saved.map((d) => d.uuid)).toEqual(["echo-1", "stopcmd-1"]);

    const started = await h.hub.request(SID, "instance.start", { uuid: "echo-1" }, 5_000);
    expect(started.status).toBe("running");
    expect(started.pid).toBeGreaterThan(0);
    expect(started.startedAt).toBeGreaterThan(0);
    const pid = started.pid as number;
    expect(isAlive(pid)).toBe(true);

    const again = await rejection(h.hub.request(SID, "instance.start", { uuid: "echo-1" }, 5_000));
    expect(again.code).toBe("instance_running");

    await h.hub.request(SID, "instance.input", { uuid: "echo-1", line: "hello" }, 5_000);
    await h.hub.request(SID, "instance.input", { uuid: "echo-1", line: "world" }, 5_000);
    let out = "";
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && !out.includes("got:world")) {
      out = await output("echo-1");
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(out).toBe("got:hello\ngot:world\n");

    // The panel hears about status changes.
    await waitFor("an instances frame with echo-1 running", () =>
      h.events.instances.find((f) => f.instances.some((i) => i.uuid === "echo-1" && i.status === "running")),
    );

    const stopped = await h.hub.request(SID, "instance.stop", { uuid: "echo-1" }, 10_000);
    expect(stopped).toMatchObject({ uuid: "echo-1", status: "stopped", pid: null });
    await waitFor("the process to be gone", () => !isAlive(pid), 5_000);
    const notRunning = await rejection(h.hub.request(SID, "instance.input", { uuid: "echo-1", line: "x" }, 5_000));
    expect(notRunning.code).toBe("instance_not_running");
    const notRunning2 = await rejection(h.hub.request(SID, "instance.stop", { uuid: "echo-1" }, 5_000));
    expect(notRunning2.code).toBe("instance_not_running");
    // Output survives the stop.
    expect(await output("echo-1")).toContain("got:world");

    // A stop command is written to stdin instead of a signal.
    await h.hub.request(SID, "instance.start", { uuid: "stopcmd-1" }, 5_000);
    const s2 = await h.hub.request(SID, "instance.stop", { uuid: "stopcmd-1" }, 10_000);
    expect(s2).toMatchObject({ status: "stopped", exitCode: 0 });
    expect(await output("stopcmd-1")).toBe("bye\n");
  });

  it("answers unknown_instance for an unknown uuid", { timeout: 15_000 }, async () => {
    for (const method of ["instance.start", "instance.stop", "instance.kill", "instance.output"] as const) {
      const e = await rejection(h.hub.request(SID, method, { uuid: "00000000-0000-0000-0000-000000000000" }, 5_000));
      expect(e.code).toBe("unknown_instance");
    }
  });

  it("reports start_failed for a missing working directory", { timeout: 15_000 }, async () => {
    await h.hub.request(SID, "instance.sync", { instances: [def("nocwd", "true", { cwd: path.join(dir, "missing") })] }, 5_000);
    const e = await rejection(h.hub.request(SID, "instance.start", { uuid: "nocwd" }, 5_000));
    expect(e.code).toBe("start_failed");
    expect(e.message).toContain("missing");
  });

  it("records the exit code of a command that exits at once, and kills on request", { timeout: 20_000 }, async () => {
    await h.hub.request(
      SID,
      "instance.sync",
      { instances: [def("quick", "echo quick; exit 7"), def("stubborn", "trap '' TERM; echo ready; while :; do sleep 1; done")] },
      5_000,
    );
    await h.hub.request(SID, "instance.start", { uuid: "quick" }, 5_000);
    await waitFor("quick to stop with code 7", () =>
      h.events.instances.find((f) => f.instances.some((i) => i.uuid === "quick" && i.status === "stopped" && i.exitCode === 7)),
    );
    expect(await output("quick")).toBe("quick\n");

    const st = await h.hub.request(SID, "instance.start", { uuid: "stubborn" }, 5_000);
    const until = Date.now() + 10_000;
    while (Date.now() < until && !(await output("stubborn")).includes("ready")) await new Promise((r) => setTimeout(r, 50));
    const killed = await h.hub.request(SID, "instance.kill", { uuid: "stubborn" }, 10_000);
    expect(killed.status).toBe("stopped");
    expect(killed.exitCode).toBeNull();
    expect(isAlive(st.pid as number)).toBe(false);
  });

  it("keeps only the last 64 KiB of a flood of output", { timeout: 20_000 }, async () => {
    await h.hub.request(
      SID,
      "instance.sync",
      { instances: [def("flood", "echo BEGIN; for i in 1 2 3 4 5; do head -c 70000 /dev/zero | tr '\\0' y; done; echo END")] },
      5_000,
    );
    await h.hub.request(SID, "instance.start", { uuid: "flood" }, 5_000);
    let out = "";
    const until = Date.now() + 10_000;
    while (Date.now() < until && !out.endsWith("END\n")) {
      out = await output("flood");
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(out.endsWith("yyyyEND\n")).toBe(true);
    expect(out).not.toContain("BEGIN");
    expect(Buffer.byteLength(out)).toBe(64 * 1024);
  });

  it("restarts a crashed instance when autoRestart is set", { timeout: 20_000 }, async () => {
    const marker = path.join(dir, "runs");
    await h.hub.request(
      SID,
      "instance.sync",
      { instances: [def("crashy", `echo run >> '${marker}'; sleep 0.2; exit 1`, { autoRestart: true })] },
      5_000,
    );
    const runsBefore = h.events.instances.length;
    await h.hub.request(SID, "instance.start", { uuid: "crashy" }, 5_000);
    // Two starts at least: the one asked for and one automatic restart (after ~1 s of back-off).
    await waitFor(
      "an automatic restart",
      () =>
        h.events.instances
          .slice(runsBefore)
          .filter((f) => f.instances.some((i) => i.uuid === "crashy" && i.status === "running")).length >= 2,
      10_000,
    );
    // Removing the instance stops it and its restarts.
    await h.hub.request(SID, "instance.sync", { instances: [] }, 5_000);
    const last = h.events.instances[h.events.instances.length - 1];
    expect(last.instances).toEqual([]);
  });

  it("stops instance processes when the agent is stopped", { timeout: 30_000 }, async () => {
    await h.hub.request(SID, "instance.sync", { instances: [def("longrun", "sleep 300")] }, 5_000);
    const st = await h.hub.request(SID, "instance.start", { uuid: "longrun" }, 5_000);
    const pid = st.pid as number;
    expect(isAlive(pid)).toBe(true);
    expect(await agent.stop()).toBe(0);
    await waitFor("the instance process to be gone", () => !isAlive(pid), 5_000);
  });
});
