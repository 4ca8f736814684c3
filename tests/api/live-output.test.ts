/**
 * Live output through a real panel (lib/fleet/live-output.ts, lib/live-output-stream.ts):
 * - with the real agent (protocol 6): an instance's console is pushed (its scroll-back, then what
 *   it writes), and a long command's output arrives while the command still runs — by the key the
 *   sender chose and by its run id — while its answer still holds all of it;
 * - with an agent of protocol 5 (a raw WebSocket client): the console stream says "unsupported"
 *   at once, the polled output route still answers, and nothing of protocol 6 is sent to it;
 * - who may listen: nobody signed out, no user the instance is not assigned to.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { PROTOCOL_VERSION } from "../../agent/protocol";
import { ADMIN, login, startPanel, type RunningPanel } from "../helpers/panel";
import { openSse, terminalText } from "../helpers/sse";
import { until } from "../helpers/wait";
import { spawnAgent, stopAllAgents } from "../agent/helpers";

let panel: RunningPanel;
let cookie: string;
const sockets: WebSocket[] = [];

async function call(p: string, init: { method?: string; body?: unknown; cookie?: string } = {}) {
  const res = await fetch(panel.url + p, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers: { cookie: init.cookie ?? cookie, "x-requested-with": "XMLHttpRequest", "content-type": "application/json" },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: res.status, body: (text ? JSON.parse(text) : null) as any };
}

/** A live-output stream (SSE) as the console or command pane reads it. */
function listen(path: string, who = cookie) {
  const sse = openSse<{ text?: string; reason?: string }>(panel.url + path, { cookie: who });
  return { ...sse, text: () => terminalText(sse.events) };
}

async function addServer(name: string) {
  const created = await call("/api/ui/servers", { body: { name } });
  expect(created.status).toBe(201);
  return { id: created.body.id as number, secret: created.body.secret as string };
}

let real: { id: number; agentId: string };
let uuid = "";

beforeAll(async () => {
  panel = await startPanel();
  cookie = (await login(panel.url, ADMIN.username, ADMIN.password)).cookie!;
  const s = await addServer("streamer");
  spawnAgent(["--panel", panel.url, "--secret", s.secret, "--interval", "1", "--allow-commands", "--allow-instances"]);
  const agentId = await until("the agent to connect", async () => {
    const agents = (await call("/api/ui/agents")).body.agents as { name: string; agent_id: string; connected: boolean }[];
    return agents.find((a) => a.name === "streamer" && a.connected)?.agent_id;
  });
  real = { id: s.id, agentId };
  // The real agent speaks the panel's protocol (streaming since 6).
  await until(`its hello (protocol ${PROTOCOL_VERSION})`, async () => (await call(`/api/ui/servers/${s.id}`)).body.agent?.protocol === PROTOCOL_VERSION);
  const inst = await call(`/api/ui/daemons/${s.id}/instances`, { body: { name: "echo", startCommand: "sh -c 'echo ready; while read l; do echo got:$l; done'" } });
  expect(inst.status).toBe(201);
  uuid = inst.body.uuid;
  expect((await call(`/api/ui/daemons/${s.id}/instances/${uuid}/action`, { body: { action: "start" } })).status).toBe(200);
}, 90_000);

afterAll(async () => {
  for (const s of sockets) s.terminate();
  await stopAllAgents();
  await panel?.stop();
});

describe("live output from a protocol-6 agent", () => {
  it("pushes an instance's console: the scroll-back, then each line as it is written", async () => {
    const stream = listen(`/api/ui/daemons/${real.id}/instances/${uuid}/console`);
    await until("the scroll-back", () => stream.text().includes("ready\n"));
    expect(stream.status()).toBe(200);
    expect(stream.events.map((e) => e.event).slice(0, 2)).toEqual(["hello", "reset"]);
    const resets = stream.events.filter((e) => e.event === "reset").length;
    expect((await call(`/api/ui/daemons/${real.id}/instances/${uuid}/command`, { body: { command: "pushed" } })).status).toBe(200);
    await until("the new line pushed", () => stream.text().endsWith("got:pushed\n"));
    // Appended, not read again.
    expect(stream.events.filter((e) => e.event === "reset").length).toBe(resets);
    expect(stream.events.some((e) => e.event === "out" && e.data.text?.includes("got:pushed"))).toBe(true);
    stream.close();
  });

  it("streams a long command's output before it ends; the answer still holds all of it", async () => {
    const key = "k".repeat(8) + Date.now().toString(36).padStart(12, "0");
    const byKey = listen(`/api/ui/agents/${real.agentId}/cmd/live?key=${key}`);
    await until("the key's stream to be open", () => byKey.events.some((e) => e.event === "hello") || byKey.status() === 200);
    let answered = false;
    const answer = call(`/api/ui/agents/${real.agentId}/cmd`, { body: { shell: "/bin/bash", cmd: "echo first; sleep 3; echo second", timeout: 30, live: key } }).finally(() => (answered = true));
    await until("the first line while it runs", () => byKey.text().includes("first\n"));
    expect(answered).toBe(false);

    // Anyone who may send commands can follow it by its run id (a command sent through any API).
    const history = (await call(`/api/ui/agents/${real.agentId}/history`)).body as { id: number; status: string }[];
    const run = history.find((h) => h.status === "running")!;
    expect(run).toBeDefined();
    const byRun = listen(`/api/ui/agents/${real.agentId}/cmd/live?run=${run.id}`);
    await until("the run's output so far", () => byRun.text().includes("first\n"));
    expect(answered).toBe(false);

    const r = await answer;
    expect(r).toMatchObject({ status: 200, body: { status: "done", exitCode: 0, output: "first\nsecond\n" } });
    await until("both streams to end", () => byKey.ended() && byRun.ended());
    for (const s of [byKey, byRun]) expect(s.events.at(-1)).toMatchObject({ event: "end", data: { reason: "done" } });
    // A key must be hard to guess.
    expect((await call(`/api/ui/agents/${real.agentId}/cmd/live?key=short`)).status).toBe(400);
  });
});

describe("an agent of protocol 5", () => {
  it("keeps the polled console: the stream says unsupported, the output route answers, no watch is sent", async () => {
    const s = await addServer("old-agent");
    const ws = new WebSocket(`${panel.url.replace(/^http/, "ws")}/agent/ws`, { headers: { Authorization: `Bearer ${s.secret}` } });
    sockets.push(ws);
    const received: { type: string; method?: string; params?: Record<string, unknown> }[] = [];
    ws.on("message", (d) => {
      const f = JSON.parse(String(d)) as { type: string; id: number; method: string; params: Record<string, unknown> & { instances?: unknown[] } };
      received.push(f);
      if (f.type !== "request") return;
      const data =
        f.method === "instance.sync" ? { count: f.params.instances?.length ?? 0 }
        : f.method === "instance.output" ? { output: "old buffer\n" }
        : f.method === "cmd.run" ? { output: "old command\n", exitCode: 0, timedOut: false, truncated: false }
        : f.method === "instance.start" ? { uuid: f.params.uuid, status: "running", pid: 4242, exitCode: null, startedAt: Date.now() }
        : null;
      if (data) ws.send(JSON.stringify({ type: "result", id: f.id, ok: true, data }));
    });
    await new Promise<void>((resolve, reject) => ws.once("open", () => resolve()).once("error", reject));
    ws.send(JSON.stringify({ type: "hello", protocol: 5, agentVersion: "0.0.5", capabilities: { commands: true, instances: true } }));
    await until("its hello", async () => (await call(`/api/ui/servers/${s.id}`)).body.agent?.protocol === 5);
    const inst = await call(`/api/ui/daemons/${s.id}/instances`, { body: { name: "old", startCommand: "true" } });
    expect(inst.status).toBe(201);

    const stream = listen(`/api/ui/daemons/${s.id}/instances/${inst.body.uuid}/console`);
    await until("the stream to end", () => stream.ended());
    expect(stream.events.map((e) => e.event)).toEqual(["hello", "end"]);
    expect(stream.events[1].data.reason).toBe("unsupported");
    // The console polls instead, as before.
    const polled = await call(`/api/ui/daemons/${s.id}/instances/${inst.body.uuid}/output`);
    expect(polled).toMatchObject({ status: 200, body: { output: "old buffer\n" } });
    // Its commands answer at the end, asked without `stream`.
    const agentId = ((await call("/api/ui/agents")).body.agents as { name: string; agent_id: string }[]).find((a) => a.name === "old-agent")!.agent_id;
    const cmd = await call(`/api/ui/agents/${agentId}/cmd`, { body: { shell: "/bin/bash", cmd: "echo hi", timeout: 10 } });
    expect(cmd).toMatchObject({ status: 200, body: { output: "old command\n" } });
    expect(received.some((f) => f.type === "watch")).toBe(false);
    expect(received.find((f) => f.method === "cmd.run")!.params).not.toHaveProperty("stream");
  });
});

describe("who may listen", () => {
  it("refuses the signed-out and users the instance is not assigned to", async () => {
    const signedOut = listen(`/api/ui/daemons/${real.id}/instances/${uuid}/console`, "");
    await until("an answer", () => signedOut.status() !== 0);
    expect(signedOut.status()).toBe(401);
    const user = await call("/api/ui/users", { body: { username: "viewer", password: "viewer-password-1", role: "user" } });
    expect(user.status).toBe(201);
    const other = (await login(panel.url, "viewer", "viewer-password-1")).cookie!;
    const refused = listen(`/api/ui/daemons/${real.id}/instances/${uuid}/console`, other);
    await until("an answer", () => refused.status() !== 0);
    expect(refused.status()).toBe(403);
    const cmd = listen(`/api/ui/agents/${real.agentId}/cmd/live?run=1`, other);
    await until("an answer", () => cmd.status() !== 0);
    expect(cmd.status()).toBe(403);
  });
});
