/**
 * A fleet with machines switched off, black-box: a real panel with its real local agent (online),
 * a server whose agent has not connected yet (offline), and later that agent started for real.
 * Tactical RMM's documented Python script and PowerShell bodies run against it; work queued for
 * the offline machine survives a SIGKILL of the panel, runs once when the agent connects (not
 * twice when it reconnects), lands in the command history under who queued it, can be cancelled,
 * and expires. MCSManager's daemon answers leave the offline daemon out where MCSManager does.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, ROOT, agentCommand, login, startPanel, type RunningPanel } from "../helpers/panel";
import { until } from "../helpers/wait";
import { call as rawCall, session, type CallInit } from "./credentials";

const UNABLE = { detail: "Unable to contact the agent" };
const SCAN = (host: string) => `A Windows update scan will be performed on ${host}`;

/** Tactical RMM's documented Python example, verbatim; only API and the key are replaced. */
const SEED_PYTHON = `import requests

API = "http://api.example.com"
HEADERS = {
    "Content-Type": "application/json",
    "X-API-KEY": "DKNRPTHSAPCKT8A36MCAMNZREWWWFPWI",
}


def trigger_update_scan():
    agents = requests.get(f"{API}/agents/?detail=false", headers=HEADERS)
    for agent in agents.json():
        r = requests.post(f"{API}/winupdate/{agent['agent_id']}/scan/", headers=HEADERS)
        print(r.json())


if __name__ == "__main__":
    trigger_update_scan()
`;
const hasRequests = spawnSync("python3", ["-c", "import requests"]).status === 0;

/** The body PowerShell's ConvertTo-Json makes of the documented command hashtable. */
const psBody = (extra = "") => `{\n    "shell":  "powershell",\n    "cmd":  "dir c:\\\\users",\n    "timeout":  30${extra}\n}`;

interface Job {
  id: number;
  agentId: string;
  hostname: string;
  kind: "cmd" | "scan";
  status: string;
  command: { cmd: string } | null;
  username: string;
  commandRunId: number | null;
  expiresAt: string;
}
interface Brief {
  agent_id: string;
  hostname: string;
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "fleetdeck-offline-"));
const marker = path.join(dataDir, `ran-${crypto.randomBytes(4).toString("hex")}.txt`);
let panel: RunningPanel;
let adminKey: string;
let adminCookie: string;
let localId: string;
let far: { id: number; agentId: string; secret: string };
let agent: { proc: ChildProcess; exited: Promise<unknown> } | null = null;

const api = (p: string, init: CallInit = {}) => rawCall(panel.url, p, { ...init, headers: { "x-api-key": adminKey, ...init.headers } });
const ui = (p: string, init: CallInit = {}) => rawCall(panel.url, p, { ...init, headers: { ...session(adminCookie), ...init.headers } });
const jobs = async (agentId: string) => ((await ui(`/api/ui/agents/${agentId}/queue`)).json as { jobs: Job[] }).jobs;

async function start(env: Record<string, string> = {}) {
  panel = await startPanel({ DATA_DIR: dataDir, FLEETDECK_LOCAL_AGENT: "1", FLEETDECK_LOCAL_AGENT_COMMANDS: "1", FLEETDECK_AGENT_INTERVAL: "1", ...env });
  adminCookie = (await login(panel.url, ADMIN.username, ADMIN.password)).cookie!;
}

function startAgent(): void {
  const proc = spawn(process.execPath, [...agentCommand(), "--panel", panel.url, "--interval", "1", "--allow-commands", "--data-dir", path.join(dataDir, "agent")], {
    cwd: ROOT,
    env: { ...process.env, FLEETDECK_SECRET: far.secret },
    stdio: ["ignore", "ignore", "ignore"],
  });
  agent = { proc, exited: new Promise((r) => proc.once("exit", r)) };
}

async function stopAgent(): Promise<void> {
  if (agent && agent.proc.exitCode === null) {
    agent.proc.kill("SIGTERM");
    await agent.exited;
  }
  agent = null;
}

beforeAll(async () => {
  await start();
  const t = await ui("/api/ui/tokens", { method: "POST", body: { note: "offline test" } });
  adminKey = (t.json as { token: string }).token;
  localId = await until("the local agent to connect", async () => {
    const list = (await api("/agents/?detail=false")).json as Brief[];
    const d = list[0] && ((await api(`/agents/${list[0].agent_id}/`)).json as { connected: boolean; agent_id: string });
    return d?.connected && d.agent_id;
  });
  const created = await ui("/api/ui/servers", { method: "POST", body: { name: "far-away" } });
  expect(created.status, created.text).toBe(201);
  const { id, secret } = created.json as { id: number; secret: string };
  const brief = ((await api("/agents/?detail=false")).json as Brief[]).find((a) => a.agent_id !== localId)!;
  far = { id, agentId: brief.agent_id, secret };
});

afterAll(async () => {
  await stopAgent();
  await panel?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe("Tactical RMM with one agent online and one offline", () => {
  it.runIf(hasRequests)("runs the documented Python script unchanged: every agent answers 200, the offline one gets its scan queued", async () => {
    const script = SEED_PYTHON.replace('"http://api.example.com"', JSON.stringify(panel.url)).replace('"DKNRPTHSAPCKT8A36MCAMNZREWWWFPWI"', JSON.stringify(adminKey));
    const py = spawnSync("python3", ["-"], { input: script, encoding: "utf8", timeout: 60_000 });
    expect(py.status, py.stderr).toBe(0);
    expect(py.stdout).toContain(`${SCAN(os.hostname())}\n`);
    expect(py.stdout).toContain(`${SCAN("far-away")}\n`);
    const queued = await jobs(far.agentId);
    expect(queued).toEqual([expect.objectContaining({ kind: "scan", status: "queued", username: ADMIN.username, hostname: "far-away" })]);
  });

  it.skipIf(hasRequests)("sends the documented Python script's requests (python3 has no `requests` here)", async () => {
    for (const a of (await api("/agents/?detail=false", { headers: { "content-type": "application/json" } })).json as Brief[]) {
      expect(await api(`/winupdate/${a.agent_id}/scan/`, { method: "POST", headers: { "content-type": "application/json" } })).toMatchObject({ status: 200, json: SCAN(a.hostname) });
    }
  });

  it("queues one scan per agent however often it is asked, and shows it as pending on the agent's page", async () => {
    expect(await api(`/winupdate/${far.agentId}/scan/`, { method: "POST" })).toMatchObject({ status: 200, json: SCAN("far-away") });
    expect((await jobs(far.agentId)).filter((j) => j.kind === "scan" && j.status === "queued")).toHaveLength(1);
    const page = (await ui(`/api/ui/agents/${far.agentId}`)).json as { queued: Job[] };
    expect(page.queued.map((j) => j.kind)).toEqual(["scan"]);
  });

  it("answers the PowerShell examples' requests: the agent list, and 400 for a command to the offline agent", async () => {
    const want = JSON.stringify([["far-away", "offline"], [os.hostname(), "online"]].sort());
    // The local agent may have missed a report while its update scan ran on a loaded machine: it is
    // online again at its next report.
    const list = await until("the online agent listed as online", async () => {
      const r = await rawCall(panel.url, "/agents/", { headers: { "X-API-KEY": adminKey, "content-type": "application/json" } });
      return r.status === 200 && JSON.stringify((r.json as { hostname: string; status: string }[]).map((a) => [a.hostname, a.status]).sort()) === want && r;
    });
    expect(list.status).toBe(200);
    const r = await rawCall(panel.url, `/agents/${far.agentId}/cmd/`, { method: "POST", headers: { "X-API-KEY": adminKey, "content-type": "application/json" }, body: psBody() });
    expect(r).toMatchObject({ status: 400, json: UNABLE });
  });

  it("queues a command with queue_if_offline: 200 with a JSON string naming the host", async () => {
    const r = await api(`/agents/${far.agentId}/cmd/`, { method: "POST", body: psBody(',\n    "queue_if_offline":  true') });
    expect(r.status, r.text).toBe(200);
    expect(r.json).toMatch(/^The command was queued and will run on far-away when its agent connects again \(job #\d+\)$/);
    const sh = await api(`/agents/${far.agentId}/cmd/`, { method: "POST", body: { shell: "sh", cmd: `echo ran >> ${marker}; echo queued-output`, timeout: 10, queue_if_offline: true } });
    expect(sh.status, sh.text).toBe(200);
    const queued = (await jobs(far.agentId)).filter((j) => j.kind === "cmd");
    expect(queued.map((j) => [j.status, j.username, j.command?.cmd])).toEqual([
      ["queued", ADMIN.username, `echo ran >> ${marker}; echo queued-output`],
      ["queued", ADMIN.username, "dir c:\\users"],
    ]);
    // An online agent runs the command at once: the option changes nothing there.
    expect(await api(`/agents/${localId}/cmd/`, { method: "POST", body: { shell: "sh", cmd: "echo now", timeout: 5, queue_if_offline: true } })).toMatchObject({ status: 200, json: "now\n" });
  });

  it("refuses a bad queue_if_offline, a form-encoded body and an array with field errors; unknown agents get 404", async () => {
    expect(await api(`/agents/${far.agentId}/cmd/`, { method: "POST", body: { shell: "sh", cmd: "true", queue_if_offline: "yes" } })).toMatchObject({ status: 400, json: { queue_if_offline: [expect.any(String)] } });
    const form = await rawCall(panel.url, `/agents/${far.agentId}/cmd/`, { method: "POST", headers: { "X-API-KEY": adminKey, "content-type": "application/x-www-form-urlencoded" }, body: "shell=sh&cmd=true" });
    expect(form).toMatchObject({ status: 400, json: { detail: expect.stringContaining("JSON") } });
    expect((await api(`/agents/${far.agentId}/cmd/`, { method: "POST", body: [{ shell: "sh", cmd: "true" }] })).status).toBe(400);
    expect(await api("/agents/NoSuchAgent/cmd/", { method: "POST", body: { shell: "sh", cmd: "true", queue_if_offline: true } })).toMatchObject({ status: 404 });
    expect(await api("/winupdate/NoSuchAgent/scan/", { method: "POST" })).toMatchObject({ status: 404 });
  });

  it("cancels a queued job once (then 409), and audits queueing and cancelling", async () => {
    const r = await api(`/agents/${far.agentId}/cmd/`, { method: "POST", body: { shell: "sh", cmd: "echo never", timeout: 5, queue_if_offline: true } });
    const id = Number(/job #(\d+)/.exec(r.json as string)![1]);
    expect(await ui(`/api/ui/queue/${id}`, { method: "DELETE" })).toMatchObject({ status: 200, json: { id, status: "cancelled" } });
    expect(await ui(`/api/ui/queue/${id}`, { method: "DELETE" })).toMatchObject({ status: 409 });
    expect((await ui("/api/ui/queue/999999", { method: "DELETE" })).status).toBe(404);
    expect((await ui("/api/ui/queue/abc")).status).toBe(404);
    const { entries } = (await ui("/api/ui/audit?action=queue")).json as { entries: { action: string; detail: string }[] };
    expect(entries.some((e) => e.action === "queue.cancel" && e.detail.includes(`job #${id}`))).toBe(true);
    expect(entries.some((e) => e.action === "queue.add" && e.detail.includes(`job #${id}`))).toBe(true);
  });
});

describe("MCSManager with one daemon online and one offline", () => {
  it("leaves the offline daemon out of remote_services_system and overview's remote, and lists it elsewhere as unavailable", async () => {
    const m = (p: string) => rawCall(panel.url, `${p}${p.includes("?") ? "&" : "?"}apikey=${adminKey}`);
    // As above: the online daemon is listed once its next report is in (a loaded machine may delay one).
    const system = await until("the online daemon in remote_services_system", async () => {
      const r = (await m("/api/service/remote_services_system")).json as { data: { uuid: string }[] };
      return r.data.length > 0 && r;
    });
    expect(system.data.map((d) => d.uuid)).toEqual([localId]);
    const overview = (await m("/api/overview")).json as { data: { remote: { uuid: string }[]; remoteCount: { available: number; total: number } } };
    expect(overview.data.remote.map((d) => d.uuid)).toEqual([localId]);
    expect(overview.data.remoteCount).toEqual({ available: 1, total: 2 });
    const list = (await m("/api/service/remote_services")).json as { data: { uuid: string; available: boolean; instances: unknown[] }[] };
    expect(list.data.find((d) => d.uuid === far.agentId)).toMatchObject({ available: false, instances: [] });
    expect(await m(`/api/service/link_remote_service?uuid=${far.agentId}`)).toMatchObject({ status: 200, json: { status: 200, data: false } });
    expect(await m(`/api/service/link_remote_service?uuid=${localId}`)).toMatchObject({ status: 200, json: { status: 200, data: true } });
    expect(await m("/api/service/link_remote_service?uuid=nope")).toMatchObject({ status: 404, json: { status: 404 } });
  });
});

describe("queued work across a SIGKILL of the panel and the agent's return", () => {
  it("keeps the queue through a SIGKILL, runs each job once when the agent connects, and not again when it reconnects", async () => {
    const before = (await jobs(far.agentId)).filter((j) => j.status === "queued");
    expect(before.length).toBeGreaterThanOrEqual(3);
    const exited = new Promise((r) => panel.proc.once("exit", r));
    panel.proc.kill("SIGKILL");
    await exited;
    // The queue is in the database: a new panel on the same data directory finds it, expiring new work quickly.
    await start({ FLEETDECK_QUEUE_EXPIRY_HOURS: "0.01" });
    expect((await jobs(far.agentId)).filter((j) => j.status === "queued").map((j) => j.id)).toEqual(before.map((j) => j.id));

    startAgent();
    const done = await until(
      "the queued jobs to run",
      async () => {
        const all = await jobs(far.agentId);
        const left = all.filter((j) => before.some((b) => b.id === j.id) && (j.status === "queued" || j.status === "running"));
        return left.length === 0 && all;
      },
      120_000,
    );
    const shJob = done.find((j) => j.command?.cmd.includes(marker))!;
    expect(shJob).toMatchObject({ status: "done", username: ADMIN.username, commandRunId: expect.any(Number) });
    expect(done.find((j) => j.kind === "scan")).toMatchObject({ status: expect.stringMatching(/^(done|failed)$/) });
    const history = (await api(`/agents/${far.agentId}/history/`)).json as { id: number; command: string; username: string; results: string; status: string }[];
    expect(history.find((h) => h.id === shJob.commandRunId)).toMatchObject({ username: ADMIN.username, results: "queued-output\n" });

    // The agent comes back at once: nothing runs twice.
    await stopAgent();
    startAgent();
    await until("the agent to reconnect", async () => ((await api(`/agents/${far.agentId}/`)).json as { connected: boolean }).connected);
    await new Promise((r) => setTimeout(r, 1500));
    expect(fs.readFileSync(marker, "utf8")).toBe("ran\n");
  }, 240_000);

  it("expires queued work after FLEETDECK_QUEUE_EXPIRY_HOURS", async () => {
    await stopAgent();
    await until("the agent to be seen offline", async () => !((await api(`/agents/${far.agentId}/`)).json as { connected: boolean }).connected);
    expect(await api(`/winupdate/${far.agentId}/scan/`, { method: "POST" })).toMatchObject({ status: 200, json: expect.stringMatching(/^A Windows update scan will be performed on /) });
    const job = (await jobs(far.agentId)).find((j) => j.kind === "scan" && j.status === "queued")!;
    expect(new Date(job.expiresAt).getTime() - Date.now()).toBeLessThan(40_000);
    await until("the job to expire", async () => (await jobs(far.agentId)).find((j) => j.id === job.id)?.status === "expired", 90_000);
  }, 120_000);
});
