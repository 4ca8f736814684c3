/**
 * cmd.run and updates.scan through a real hub to the real agent.
 */
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_OUTPUT_BYTES, type RequestMethod } from "../../agent/protocol";
import { AgentRequestError } from "../../lib/fleet/hub";
import { rejection as rejectionOf } from "../helpers/wait";
import { spawnAgent, startHub, stopAllAgents, waitFor, type AgentProcess, type TestHub } from "./helpers";

let h: TestHub;
let withCommands: AgentProcess;
let withoutCommands: AgentProcess;

/** The rejection of `p`, failing the test if it resolves. */
/** How a request to the agent fails (tests/helpers/wait.ts). */
const rejection = (p: Promise<unknown>) => rejectionOf(p, AgentRequestError);

beforeAll(async () => {
  h = await startHub();
  withCommands = spawnAgent(["--panel", h.url, "--secret", "good-secret-1", "--allow-commands"]);
  withoutCommands = spawnAgent(["--panel", h.url, "--secret", "good-secret-2"]);
  await waitFor(
    "both agents",
    () => h.hub.isConnected(1) && h.hub.isConnected(2),
    20_000,
    () => withCommands.stderr() + withoutCommands.stderr(),
  );
}, 30_000);

afterAll(async () => {
  await stopAllAgents();
  await h?.close();
});

describe("cmd.run", () => {
  it("runs a command and returns its output and exit code", { timeout: 15_000 }, async () => {
    const r = await h.hub.request(1, "cmd.run", { shell: "bash", cmd: "echo hello-$((6*7))", timeout: 10 }, 10_000);
    expect(r).toEqual({ output: "hello-42\n", exitCode: 0, timedOut: false, truncated: false });
  });

  it("interleaves stdout and stderr and reports a non-zero exit code", { timeout: 15_000 }, async () => {
    const r = await h.hub.request(
      1,
      "cmd.run",
      { shell: "/bin/sh", cmd: "echo one; echo two >&2; echo three; echo four >&2; exit 3", timeout: 10 },
      10_000,
    );
    expect(r.output).toBe("one\ntwo\nthree\nfour\n");
    expect(r.exitCode).toBe(3);
    expect(r.timedOut).toBe(false);
  });

  it("kills a command at its timeout, with everything it started", { timeout: 20_000 }, async () => {
    const r = await h.hub.request(
      1,
      "cmd.run",
      { shell: "sh", cmd: "echo started; sleep 30 & sleep 30; echo never", timeout: 1 },
      10_000,
    );
    expect(r.timedOut).toBe(true);
    expect(r.output).toBe("started\n");
    expect(r.output).not.toContain("never");
    expect(r.exitCode).toBeNull();
  });

  it("caps the output and flags it as truncated", { timeout: 20_000 }, async () => {
    const r = await h.hub.request(
      1,
      "cmd.run",
      // ~1 MiB of output: more than the cap; the command must still finish (output drained).
      { shell: "bash", cmd: "head -c 1048576 /dev/zero | tr '\\0' 'x'; echo; echo done >&2; exit 4", timeout: 15 },
      15_000,
    );
    expect(r.truncated).toBe(true);
    expect(Buffer.byteLength(r.output)).toBe(MAX_OUTPUT_BYTES);
    expect(r.output).toMatch(/^x+$/);
    expect(r.exitCode).toBe(4);
    expect(r.timedOut).toBe(false);
  });

  it("refuses a shell that does not exist", { timeout: 15_000 }, async () => {
    const e1 = await rejection(
      h.hub.request(1, "cmd.run", { shell: "custom", customShell: "/nonexistent/shell", cmd: "true", timeout: 5 }, 10_000),
    );
    expect(e1.code).toBe("bad_shell");
    expect(e1.message).toContain("/nonexistent/shell");
    const e2 = await rejection(h.hub.request(1, "cmd.run", { shell: "fish-soup", cmd: "true", timeout: 5 }, 10_000));
    expect(e2.code).toBe("bad_shell");
    expect(e2.message).toContain("fish-soup");
    if (process.platform !== "win32") {
      const e3 = await rejection(h.hub.request(1, "cmd.run", { shell: "cmd", cmd: "dir", timeout: 5 }, 10_000));
      expect(e3.code).toBe("bad_shell");
    }
  });

  it("runs a custom shell given by path", { timeout: 15_000 }, async () => {
    const r = await h.hub.request(
      1,
      "cmd.run",
      { shell: "custom", customShell: existsSync("/bin/bash") ? "/bin/bash" : "/bin/sh", cmd: "echo custom", timeout: 5 },
      10_000,
    );
    expect(r.output).toBe("custom\n");
  });

  it("rejects bad parameters and unknown methods with bad_request", { timeout: 15_000 }, async () => {
    const e1 = await rejection(h.hub.request(1, "cmd.run", { shell: "sh", cmd: "true", timeout: -1 }, 10_000));
    expect(e1.code).toBe("bad_request");
    const e2 = await rejection(h.hub.request(1, "no.such.method" as RequestMethod, {} as never, 10_000));
    expect(e2.code).toBe("bad_request");
  });

  it("is refused by an agent started without --allow-commands", { timeout: 15_000 }, async () => {
    const e = await rejection(h.hub.request(2, "cmd.run", { shell: "sh", cmd: "touch /tmp/should-not-exist", timeout: 5 }, 10_000));
    expect(e.code).toBe("commands_disabled");
    expect(e.message).toBe("This agent does not accept commands (start it with --allow-commands)");
  });

  it("times out on the panel side when the agent answers too late", { timeout: 15_000 }, async () => {
    const e = await rejection(h.hub.request(1, "cmd.run", { shell: "sh", cmd: "sleep 3", timeout: 5 }, 300));
    expect(e.code).toBe("timeout");
  });
});

describe("updates.scan", () => {
  it("returns the package manager and a list", { timeout: 130_000 }, async () => {
    const r = await h.hub.request(2, "updates.scan", {}, 125_000);
    expect(typeof r.manager).toBe("string");
    expect(Array.isArray(r.updates)).toBe(true);
    if (existsSync("/usr/bin/apt") && existsSync("/usr/bin/dpkg")) expect(r.manager).toBe("apt");
    for (const u of r.updates) {
      expect(u.name).not.toBe("");
      expect(u.newVersion).not.toBe("");
    }
  });
});
