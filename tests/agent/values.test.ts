/**
 * Issue 17: every measured field, read from the real agent on this machine and compared with what
 * the operating system says (/proc, `who`, `find`, the package manager). A field the host has no
 * way to give is skipped with the reason printed, never asserted as a constant.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InstanceDefinition, InstanceUsage, LiveState } from "../../agent/protocol";
import { spawnAgent, startHub, stopAllAgents, waitFor, type AgentProcess, type TestHub } from "./helpers";

let h: TestHub;
let agent: AgentProcess;
let dataDir: string;
let work: string;
const SID = 3;
const LINUX = process.platform === "linux";

const def = (uuid: string, startCommand: string, extra: Partial<InstanceDefinition> = {}): InstanceDefinition => ({
  uuid, name: uuid, startCommand, cwd: "", stopCommand: "", autoRestart: false, ...extra,
});
const latest = (): LiveState | undefined => h.events.states.filter((s) => s.serverId === SID).at(-1)?.state;
const usageOf = (uuid: string): InstanceUsage | undefined => latest()?.instanceUsage?.find((u) => u.uuid === uuid);
const skip = (why: string) => console.log(`skipped: ${why}`);

function has(cmd: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** What /proc says of a process group: its processes' summed RSS (bytes) and the leader's start (unix ms). */
function procGroup(pgid: number): { rss: number; startedAt: number; pids: number[] } {
  const btime = Number(/^btime\s+(\d+)/m.exec(readFileSync("/proc/stat", "utf8"))![1]) * 1000;
  const page = Number(execFileSync("getconf", ["PAGESIZE"]).toString().trim());
  const hz = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim());
  let rss = 0;
  let startedAt = 0;
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, "utf8");
    } catch {
      continue;
    }
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(f[2]) !== pgid) continue;
    pids.push(Number(name));
    rss += Number(f[21]) * page;
    if (Number(name) === pgid) startedAt = btime + (Number(f[19]) / hz) * 1000;
  }
  return { rss, startedAt, pids };
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), "fleetdeck-values-data-"));
  work = mkdtempSync(path.join(os.tmpdir(), "fleetdeck-values-work-"));
  // A folder of known content for `space`: files in nested directories.
  mkdirSync(path.join(work, "a/b"), { recursive: true });
  writeFileSync(path.join(work, "one.bin"), Buffer.alloc(100_000, 1));
  writeFileSync(path.join(work, "a/two.bin"), Buffer.alloc(23_456, 2));
  writeFileSync(path.join(work, "a/b/three.txt"), "x".repeat(789));
  h = await startHub();
  agent = spawnAgent(["--panel", h.url, "--secret", "good-secret-3", "--data-dir", dataDir, "--allow-instances", "--interval", "1"]);
  await waitFor("the agent", () => h.hub.isConnected(SID), 20_000, () => agent.stderr());
}, 30_000);

afterAll(async () => {
  await stopAllAgents();
  await h?.close();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

describe("measured values on the real agent", () => {
  it("autoStart: instances so marked start on the agent's first definitions; the others do not; a later sync restarts nothing", { timeout: 30_000 }, async () => {
    await h.hub.request(
      SID,
      "instance.sync",
      {
        instances: [
          def("auto-1", "sleep 300 & sleep 300; wait", { autoStart: true, cwd: work }),
          def("manual-1", "sleep 300", { autoStart: false }),
        ],
      },
      5_000,
    );
    const states = await waitFor("auto-1 running", () => {
      const s = h.events.instances.at(-1)?.instances;
      return s?.find((i) => i.uuid === "auto-1" && i.status === "running") && s;
    }, 15_000, () => agent.stderr());
    expect(states.find((i) => i.uuid === "manual-1")?.status).toBe("stopped");
    // Stopped by someone: a later sync (e.g. after a reconnect) must not start it again.
    await h.hub.request(SID, "instance.stop", { uuid: "auto-1" }, 15_000);
    await h.hub.request(SID, "instance.sync", { instances: [def("auto-1", "sleep 300 & sleep 300; wait", { autoStart: true, cwd: work })] }, 5_000);
    const after = await h.hub.request(SID, "instance.sync", { instances: [def("auto-1", "sleep 300 & sleep 300; wait", { autoStart: true, cwd: work })] }, 5_000);
    expect(after).toEqual({ count: 1 });
    await new Promise((r) => setTimeout(r, 1_500));
    expect(h.events.instances.at(-1)!.instances.find((i) => i.uuid === "auto-1")?.status).toBe("stopped");
  });

  it("per-instance memory and process start time match /proc for the whole process group; CPU is measured", { timeout: 60_000 }, async () => {
    if (!LINUX) return skip("per-instance figures are compared with /proc, which this host does not have");
    const started = await h.hub.request(SID, "instance.start", { uuid: "auto-1" }, 5_000);
    const pgid = started.pid!;
    // The group: the shell and its two sleeps.
    await waitFor("three processes in the group", () => procGroup(pgid).pids.length >= 3, 10_000);
    const u = await waitFor("a usage report for the running instance", () => {
      const x = usageOf("auto-1");
      return x && x.memory > 0 && x.processStartedAt !== null && x;
    }, 15_000, () => agent.stderr());
    const proc = procGroup(pgid);
    // The same group, measured a moment apart: RSS of idle shells and sleeps barely moves.
    expect(u.memory).toBeGreaterThan(proc.rss * 0.8);
    expect(u.memory).toBeLessThan(proc.rss * 1.25);
    // More than the leader alone: children are counted.
    const leaderRss = Number(readFileSync(`/proc/${pgid}/statm`, "utf8").split(" ")[1]) * Number(execFileSync("getconf", ["PAGESIZE"]).toString());
    expect(u.memory).toBeGreaterThan(leaderRss);
    // Start time: what /proc says, to its 10 ms tick (rounding on both sides).
    expect(Math.abs(u.processStartedAt! - proc.startedAt)).toBeLessThanOrEqual(20);
    expect(u.cpu).toBeGreaterThanOrEqual(0);

    // A busy child in the group shows up as CPU use of the instance.
    await h.hub.request(SID, "instance.stop", { uuid: "auto-1" }, 15_000);
    await h.hub.request(SID, "instance.sync", { instances: [def("busy-1", "(while :; do :; done) & sleep 300; wait", { cwd: work })] }, 5_000);
    await h.hub.request(SID, "instance.start", { uuid: "busy-1" }, 5_000);
    const busy = await waitFor("CPU use of the busy instance", () => {
      const x = usageOf("busy-1");
      return x && x.cpu > 20 && x;
    }, 20_000, () => JSON.stringify(usageOf("busy-1")));
    expect(busy.cpu).toBeLessThanOrEqual(100 * os.cpus().length + 10);
    await h.hub.request(SID, "instance.kill", { uuid: "busy-1" }, 15_000);
    // Stopped: no process figures, and the folder size stays known.
    const stopped = await waitFor("the stopped instance's usage", () => {
      const x = usageOf("busy-1");
      return x && x.memory === 0 && x;
    }, 10_000);
    expect(stopped.cpu).toBe(0);
    expect(stopped.processStartedAt).toBeNull();
  });

  it("space is the size of the instance folder, as `find` adds it up", { timeout: 30_000 }, async () => {
    if (!has("find") || !LINUX) return skip("no GNU find to compare the folder size with");
    const expected = execFileSync("find", [work, "-type", "f", "-printf", "%s\\n"]).toString().trim().split("\n").reduce((a, b) => a + Number(b), 0);
    expect(expected).toBe(100_000 + 23_456 + 789);
    const u = await waitFor("the folder size", () => {
      const x = usageOf("busy-1");
      return x && x.space !== null && x;
    }, 15_000);
    expect(u.space).toBe(expected);
  });

  it("logged-in users are those `who` lists", { timeout: 20_000 }, async () => {
    if (!has("who")) return skip("this host has no `who`");
    const s = await waitFor("a state with users", () => latest()?.users && latest(), 15_000);
    const fromWho = [...new Set(execFileSync("who").toString().split("\n").map((l) => l.trim().split(/\s+/)[0]).filter(Boolean))].sort();
    expect(s.users).toEqual(fromWho);
  });

  it("needs-reboot is what the distribution's flag says", { timeout: 20_000 }, async () => {
    const s = await waitFor("a state with needsReboot", () => latest()?.needsReboot !== undefined && latest(), 15_000);
    if (existsSync("/etc/debian_version")) {
      expect(s.needsReboot).toBe(existsSync("/var/run/reboot-required") || existsSync("/run/reboot-required"));
    } else if (has("needs-restarting")) {
      let code = 0;
      try {
        execFileSync("needs-restarting", ["-r"], { stdio: "ignore" });
      } catch (e) {
        code = (e as { status: number }).status;
      }
      expect(s.needsReboot).toBe(code === 1);
    } else {
      skip("neither a Debian flag file nor needs-restarting on this host: the agent says null");
      expect(s.needsReboot).toBeNull();
    }
  });

  it("update entries carry name, version from → to and the package manager's severity", { timeout: 150_000 }, async () => {
    if (!has("apt") || !has("dpkg")) return skip("not an apt machine: severity from dnf updateinfo is not checked here");
    const scan = await h.hub.request(SID, "updates.scan", {}, 130_000);
    expect(scan.manager).toBe("apt");
    const listed = execFileSync("apt", ["list", "--upgradable"], { env: { ...process.env, LC_ALL: "C" }, stdio: ["ignore", "pipe", "ignore"] }).toString();
    const expected = listed
      .split("\n")
      .map((l) => /^([^\s/]+)\/(\S+)\s+(\S+)\s+\S+\s+\[upgradable from:\s*([^\]]+)\]/.exec(l.trim()))
      .filter((m): m is RegExpExecArray => !!m)
      .map((m) => ({ name: m[1], newVersion: m[3], currentVersion: m[4].trim(), security: m[2].split(",").some((s) => s.endsWith("-security")) }));
    expect(scan.updates.map((u) => ({ name: u.name, newVersion: u.newVersion, currentVersion: u.currentVersion, security: u.severity === "security" }))).toEqual(expected);
    for (const u of scan.updates) expect(["security", "normal"]).toContain(u.severity);
    if (expected.length === 0) skip("apt lists no pending updates on this host: only the empty list was compared");
  });
});
