/**
 * Capabilities, enforced on the machine: the real agent announces what its owner allowed
 * (--allow-commands, --allow-instances, or their environment variables) and refuses the rest
 * itself, whatever the panel sends. The requests go over the raw protocol: the hub passes them
 * through without looking at capabilities (that is the panel's domain's job), so what is tested
 * here is the agent's own refusal.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROTOCOL_VERSION, type InstanceDefinition } from "../../agent/protocol";
import { AgentRequestError } from "../../lib/fleet/hub";
import { rejection as rejectionOf, until } from "../helpers/wait";
import { spawnAgent, startHub, stopAllAgents, waitFor, type AgentProcess, type TestHub } from "./helpers";

const rejection = (p: Promise<unknown>) => rejectionOf(p, AgentRequestError);

let h: TestHub;
let bare: AgentProcess;
let allowed: AgentProcess;
let dir: string;
let marker: string;

function def(uuid: string, startCommand: string, extra: Partial<InstanceDefinition> = {}): InstanceDefinition {
  return { uuid, name: uuid, startCommand, cwd: "", stopCommand: "", autoRestart: false, ...extra };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "fleetdeck-capabilities-"));
  marker = path.join(dir, "ran");
  // Definitions saved while instances were allowed, one of them restarting itself after a crash:
  // an agent started without --allow-instances must never run them.
  writeFileSync(path.join(dir, "instances.json"), JSON.stringify([def("saved-1", `touch ${marker}; exit 1`, { autoRestart: true })]));
  h = await startHub();
  bare = spawnAgent(["--panel", h.url, "--secret", "good-secret-1", "--data-dir", dir]);
  allowed = spawnAgent(["--panel", h.url, "--secret", "good-secret-2"], { FLEETDECK_ALLOW_COMMANDS: "1", FLEETDECK_ALLOW_INSTANCES: "1" });
  await waitFor("both agents to say hello", () => h.events.hellos.length >= 2, 20_000, () => bare.stderr() + allowed.stderr());
}, 30_000);

afterAll(async () => {
  await stopAllAgents();
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("an agent started without --allow-commands and --allow-instances", () => {
  it("announces its capabilities in its first frame", () => {
    const hello = h.events.hellos.find((e) => e.serverId === 1)?.hello;
    expect(hello).toMatchObject({ protocol: PROTOCOL_VERSION, outdated: false, capabilities: { commands: false, instances: false, selfUpdate: false } });
    expect(bare.stderr()).toContain("commands disabled, instances disabled");
  });

  it("refuses cmd.run, instance.sync with a start command, instance.start and instance.input itself", { timeout: 20_000 }, async () => {
    const cmd = await rejection(h.hub.request(1, "cmd.run", { shell: "sh", cmd: `touch ${marker}`, timeout: 5 }, 5_000));
    expect(cmd).toMatchObject({ code: "commands_disabled", message: "This agent does not accept commands (start it with --allow-commands)" });

    const sync = await rejection(h.hub.request(1, "instance.sync", { instances: [def("new-1", `touch ${marker}`)] }, 5_000));
    expect(sync).toMatchObject({ code: "instances_disabled", message: "This agent does not run instances (start it with --allow-instances)" });

    for (const uuid of ["saved-1", "new-1"]) {
      expect((await rejection(h.hub.request(1, "instance.start", { uuid }, 5_000))).code).toBe("instances_disabled");
      expect((await rejection(h.hub.request(1, "instance.restart", { uuid }, 5_000))).code).toBe("instances_disabled");
      expect((await rejection(h.hub.request(1, "instance.input", { uuid, line: `touch ${marker}` }, 5_000))).code).toBe("instances_disabled");
    }
    // Forgetting every definition runs nothing: an empty sync is accepted.
    expect(await h.hub.request(1, "instance.sync", { instances: [] }, 5_000)).toEqual({ count: 0 });
    // Read-only collection is not gated.
    expect((await h.hub.request(1, "instance.output", { uuid: "saved-1" }, 5_000).catch((e: AgentRequestError) => e.code))).toBe("unknown_instance");

    // Nothing ran: not the commands, not the saved self-restarting instance.
    expect(existsSync(marker)).toBe(false);
    const reported = h.events.instances.filter((e) => e.serverId === 1).flatMap((e) => e.instances);
    expect(reported).toEqual([]);
  });
});

describe("an agent allowed both through the environment", () => {
  it("announces them and runs commands and instances", { timeout: 20_000 }, async () => {
    const hello = h.events.hellos.find((e) => e.serverId === 2)?.hello;
    expect(hello?.capabilities).toEqual({ commands: true, instances: true, selfUpdate: false });
    const r = await h.hub.request(2, "cmd.run", { shell: "sh", cmd: "echo allowed", timeout: 5 }, 5_000);
    expect(r.output).toBe("allowed\n");
    await h.hub.request(2, "instance.sync", { instances: [def("cat-1", "cat")] }, 5_000);
    expect((await h.hub.request(2, "instance.start", { uuid: "cat-1" }, 5_000)).status).toBe("running");
    await h.hub.request(2, "instance.input", { uuid: "cat-1", line: "echoed" }, 5_000);
    await until("the instance's output", async () => (await h.hub.request(2, "instance.output", { uuid: "cat-1" }, 5_000)).output.includes("echoed"), 10_000, { intervalMs: 25 });
    expect((await h.hub.request(2, "instance.kill", { uuid: "cat-1" }, 5_000)).status).toBe("stopped");
  });
});

describe("the agent's flags", () => {
  it("refuses a bad FLEETDECK_ALLOW_INSTANCES value", { timeout: 15_000 }, async () => {
    const agent = spawnAgent(["--panel", "http://127.0.0.1:9", "--secret", "x"], { FLEETDECK_ALLOW_INSTANCES: "maybe" });
    expect(await agent.exited).toBe(1);
    expect(agent.stderr()).toMatch(/FLEETDECK_ALLOW_INSTANCES must be 1 or 0/);
  });

  it("warns once, at start, when it would talk ws:// to a panel off loopback", { timeout: 15_000 }, async () => {
    // 192.0.2.0/24 is reserved for documentation: nothing answers there.
    const remote = spawnAgent(["--panel", "http://192.0.2.10:9", "--secret", "x"]);
    await waitFor("the warning", () => remote.stderr().includes("WARNING"), 10_000, () => remote.stderr());
    expect(remote.stderr()).toMatch(/WARNING: http:\/\/192\.0\.2\.10:9 is reached without TLS/);
    expect(remote.stderr().split("WARNING").length - 1).toBe(1);
    await remote.stop();
    // Loopback is not the network: no warning (the agents above talk to 127.0.0.1).
    expect(bare.stderr()).not.toContain("WARNING");
  });
});
