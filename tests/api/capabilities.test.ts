/**
 * Capabilities through the panel: what an agent announces is kept per server, shown by the UI,
 * and a request for a capability the machine lacks is answered AT ONCE in each API's envelope —
 * never sent to the agent, never left to time out. The agents here are raw WebSocket clients
 * that never answer commands or instance actions: a request that reached them would time out, so
 * a prompt, worded refusal can only come from the panel.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { PROTOCOL_VERSION, type HostInfo } from "../../agent/protocol";
import { ADMIN, login, startPanel, type RunningPanel } from "../helpers/panel";
import { until } from "../helpers/wait";

let panel: RunningPanel;
let cookie: string;
const sockets: WebSocket[] = [];

const host: HostInfo = {
  hostname: "fake-box", platform: "linux", platformVersion: "debian 12", release: "6.1.0", cpu: ["Fake 1 Virtual Core"], arch: "x64",
  virtualization: "", bootTime: 1_700_000_000, memTotal: 1e9, diskTotal: 1e10, swapTotal: 0, ipv4: "", ipv6: "", localIps: [], gpu: [],
  agentVersion: "0.1.0", cwd: "/",
};

interface Fake {
  ws: WebSocket;
  requests: { method: string }[];
}

/**
 * A raw agent: sends `first` frames, answers only instance.sync (so that creating an instance
 * does not wait for it) and records every request it gets.
 */
async function fakeAgent(secret: string, first: unknown[]): Promise<Fake> {
  const ws = new WebSocket(`${panel.url.replace(/^http/, "ws")}/agent/ws`, { headers: { Authorization: `Bearer ${secret}` } });
  sockets.push(ws);
  const requests: { method: string }[] = [];
  ws.on("message", (d) => {
    const f = JSON.parse(String(d)) as { type: string; id: number; method: string; params: { instances?: unknown[] } };
    if (f.type !== "request") return;
    requests.push({ method: f.method });
    if (f.method === "instance.sync") ws.send(JSON.stringify({ type: "result", id: f.id, ok: true, data: { count: f.params.instances?.length ?? 0 } }));
  });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  for (const f of first) ws.send(JSON.stringify(f));
  return { ws, requests };
}

async function call(p: string, init: { method?: string; body?: unknown } = {}) {
  const res = await fetch(panel.url + p, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers: { cookie, "x-requested-with": "XMLHttpRequest", "content-type": "application/json" },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as Record<string, unknown> };
}

type AgentView = { protocol: number; outdated: boolean; version: string; commands: boolean | null; instances: boolean | null } | null;

let serverId = 0;
let secret = "";
let daemonId = "";

beforeAll(async () => {
  panel = await startPanel();
  const r = await login(panel.url, ADMIN.username, ADMIN.password);
  cookie = r.cookie!;
  const created = await call("/api/ui/servers", { body: { name: "fake" } });
  expect(created.status).toBe(201);
  serverId = created.body.id as number;
  secret = created.body.secret as string;
}, 90_000);

afterAll(async () => {
  for (const s of sockets) s.terminate();
  await panel?.stop();
});

const agentView = async () => (await call(`/api/ui/servers/${serverId}`)).body.agent as AgentView;

describe("an agent of protocol 1 (no hello)", () => {
  it("is shown as outdated, commands unknown, instances as it always ran them; instances can be created", async () => {
    const v1 = await fakeAgent(secret, [{ type: "host", host }]);
    expect(await until("the agent's protocol", agentView)).toEqual({ protocol: 1, outdated: true, version: "", commands: null, instances: true, selfUpdate: null });

    // remote_services_list keeps daemons that never reported (remote_services_system lists online ones only).
    const daemons = (await call("/api/service/remote_services_list")).body.data as { uuid: string }[];
    daemonId = daemons[0].uuid;
    const create = await call(`/api/instance?daemonId=${daemonId}`, { body: { nickname: "before", startCommand: "cat" } });
    expect(create.status).toBe(200);
    await until("the definitions to reach the agent", () => v1.requests.some((r) => r.method === "instance.sync"));
    v1.ws.close();
  });
});

describe("an agent whose owner allowed neither commands nor instances", () => {
  let v2: Fake;
  let uuid = "";
  beforeAll(async () => {
    uuid = ((await call(`/api/service/remote_service_instances?daemonId=${daemonId}&page=1&page_size=10`)).body.data as { data: { instanceUuid: string }[] }).data[0].instanceUuid;
    v2 = await fakeAgent(secret, [
      { type: "hello", protocol: PROTOCOL_VERSION, agentVersion: "0.2.0", capabilities: { commands: false, instances: false, selfUpdate: false } },
      { type: "host", host },
    ]);
    await until("the new capabilities", async () => (await agentView())?.protocol === PROTOCOL_VERSION);
  });

  it("is shown with its capabilities", async () => {
    expect(await agentView()).toEqual({ protocol: PROTOCOL_VERSION, outdated: false, version: "0.2.0", commands: false, instances: false, selfUpdate: false });
  });

  it("Tactical RMM: a command is refused at once with 400 and the commands-disabled message", async () => {
    const agents = (await call("/agents/?detail=false")).body as unknown as { agent_id: string }[];
    const r = await call(`/agents/${agents[0].agent_id}/cmd/`, { body: { shell: "/bin/bash", cmd: "touch /tmp/never", timeout: 30 } });
    expect(r.status).toBe(400);
    expect(r.body.detail).toBe("Commands are disabled on this agent: it runs commands only when started with --allow-commands");
    // The attempt is in the history, as failed.
    const history = (await call(`/agents/${agents[0].agent_id}/history/`)).body as unknown as { command: string; status: string }[];
    expect(history[0]).toMatchObject({ command: "touch /tmp/never", status: "failed" });
  });

  it("MCSManager: starting, sending input to and creating an instance are refused at once, 400 in its envelope", async () => {
    const message = "Instances are disabled on this daemon: its agent runs instances only when started with --allow-instances";
    const start = await call(`/api/protected_instance/open?daemonId=${daemonId}&uuid=${uuid}`);
    expect(start).toMatchObject({ status: 400, body: { status: 400, data: message } });
    const input = await call(`/api/protected_instance/command?daemonId=${daemonId}&uuid=${uuid}&command=stop`);
    expect(input).toMatchObject({ status: 400, body: { status: 400, data: message } });
    const create = await call(`/api/instance?daemonId=${daemonId}`, { body: { nickname: "after", startCommand: "cat" } });
    expect(create).toMatchObject({ status: 400, body: { status: 400, data: message } });
  });

  it("sends the agent none of it, not even the instance definitions", () => {
    expect(v2.requests).toEqual([]);
  });
});

describe("an agent of protocol 2 (before instance files)", () => {
  it("keeps working, and its instances' file routes are refused at once with a clear message", async () => {
    const v2 = await fakeAgent(secret, [
      { type: "hello", protocol: 2, agentVersion: "0.2.0", capabilities: { commands: false, instances: true } },
      { type: "host", host },
    ]);
    await until("the protocol-2 agent", async () => (await agentView())?.protocol === 2);
    expect(await agentView()).toEqual({ protocol: 2, outdated: true, version: "0.2.0", commands: false, instances: true, selfUpdate: null });
    const uuid = ((await call(`/api/service/remote_service_instances?daemonId=${daemonId}&page=1&page_size=10`)).body.data as { data: { instanceUuid: string }[] }).data[0].instanceUuid;
    const list = await call(`/api/files/list?daemonId=${daemonId}&uuid=${uuid}&target=/`);
    expect(list.status).toBe(400);
    expect(list.body.data).toMatch(/too old for file management/);
    const download = await call(`/api/files/download?daemonId=${daemonId}&uuid=${uuid}&file_name=/x`, { body: {} });
    expect(download.status).toBe(400);
    expect(v2.requests.filter((r) => r.method.startsWith("file."))).toEqual([]);
  });
});
