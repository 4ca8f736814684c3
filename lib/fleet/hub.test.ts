/**
 * AgentHub against raw WebSocket clients speaking (and breaking) the agent protocol.
 * The real agent process is exercised in tests/agent/.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import {
  AGENT_WS_PATH,
  MAX_FRAME_BYTES,
  MAX_OUTPUT_BYTES,
  PROTOCOL_VERSION,
  type HostInfo,
  type InstanceState,
  type LiveState,
} from "../../agent/protocol";
import { AgentHub, AgentRequestError, type AgentHello, type AgentHubOptions } from "./hub";

interface Harness {
  hub: AgentHub;
  url: string;
  port: number;
  upgrades: boolean[];
  events: {
    connects: number[];
    hellos: { serverId: number; hello: AgentHello }[];
    hosts: HostInfo[];
    states: { serverId: number; state: LiveState; at: number; skewMs?: number }[];
    instances: InstanceState[][];
    disconnects: number[];
    logs: string[];
  };
  close(): Promise<void>;
}

const harnesses: Harness[] = [];
const clients: WebSocket[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) {
    c.on("error", () => {});
    c.terminate();
  }
  await Promise.all(harnesses.splice(0).map((h) => h.close()));
});

async function harness(extra: Partial<AgentHubOptions> = {}): Promise<Harness> {
  const events: Harness["events"] = { connects: [], hellos: [], hosts: [], states: [], instances: [], disconnects: [], logs: [] };
  const hub = new AgentHub({
    authenticate: async (secret) => ({ "secret-1": 1, "secret-2": 2, "secret-3": 3 })[secret] ?? null,
    onConnect: (id) => events.connects.push(id),
    onHello: (serverId, hello) => events.hellos.push({ serverId, hello }),
    onHost: (_id, host) => events.hosts.push(host),
    onState: (serverId, state, at, skewMs) => events.states.push({ serverId, state, at, skewMs }),
    onInstances: (_id, list) => events.instances.push(list),
    onDisconnect: (id) => events.disconnects.push(id),
    log: (m) => events.logs.push(m),
    ...extra,
  });
  const upgrades: boolean[] = [];
  const server = http.createServer((_req, res) => res.end("ok"));
  server.on("upgrade", (req, socket, head) => {
    const handled = hub.handleUpgrade(req, socket, head);
    upgrades.push(handled);
    if (!handled) socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as AddressInfo).port;
  const h: Harness = {
    hub,
    port,
    url: `ws://127.0.0.1:${port}${AGENT_WS_PATH}`,
    upgrades,
    events,
    async close() {
      await hub.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  harnesses.push(h);
  return h;
}

async function waitFor<T>(what: string, probe: () => T | null | undefined | false, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface Client {
  ws: WebSocket;
  received: unknown[];
  closed: Promise<{ code: number; reason: string }>;
}

/** Connects a raw client; resolves once the welcome frame arrived. */
async function connect(url: string, secret: string, options: WebSocket.ClientOptions = {}): Promise<Client> {
  const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${secret}` }, ...options });
  clients.push(ws);
  const received: unknown[] = [];
  ws.on("message", (d) => received.push(JSON.parse(String(d))));
  const closed = new Promise<{ code: number; reason: string }>((r) =>
    ws.on("close", (code, reason) => r({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  await waitFor("the welcome frame", () => received.length > 0);
  return { ws, received, closed };
}

/** The HTTP status with which an upgrade is refused. */
function refusedStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    clients.push(ws);
    ws.on("unexpected-response", (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on("open", () => reject(new Error("the upgrade was accepted")));
    ws.on("error", () => {});
  });
}

function state(overrides: Partial<LiveState> = {}): LiveState {
  return {
    cpu: 12.5,
    memUsed: 1e9,
    memTotal: 4e9,
    swapUsed: 0,
    diskUsed: 1e10,
    netInTransfer: 1000,
    netOutTransfer: 2000,
    netInSpeed: 10,
    netOutSpeed: 20,
    uptime: 3600,
    load1: 0.1,
    load5: 0.2,
    load15: 0.3,
    tcpConnCount: 3,
    udpConnCount: 1,
    processCount: 90,
    temperatures: [],
    process: { cpuMicros: 1000, memory: 5e7 },
    ...overrides,
  };
}

const host: HostInfo = {
  hostname: "box",
  platform: "linux",
  platformVersion: "debian 12",
  release: "6.1.0",
  cpu: ["AMD EPYC 2 Virtual Core"],
  arch: "x64",
  virtualization: "kvm",
  bootTime: 1_700_000_000,
  memTotal: 4e9,
  diskTotal: 1e11,
  swapTotal: 0,
  ipv4: "192.0.2.1",
  ipv6: "",
  localIps: ["192.0.2.1"],
  gpu: [],
  agentVersion: "0.1.0",
  cwd: "/",
};

const send = (c: Client, frame: unknown): void => c.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));

describe("AgentHub upgrades", () => {
  it("handles only the agent path and greets a known agent", async () => {
    const h = await harness();
    const other = new WebSocket(`ws://127.0.0.1:${h.port}/something/else`, { headers: { Authorization: "Bearer secret-1" } });
    clients.push(other);
    const otherStatus = await new Promise<number>((r) => other.on("unexpected-response", (_q, res) => r(res.statusCode ?? 0)));
    expect(otherStatus).toBe(404);
    expect(h.upgrades).toEqual([false]);

    const c = await connect(h.url, "secret-1");
    expect(h.upgrades).toEqual([false, true]);
    expect(c.received[0]).toEqual({ type: "welcome", serverId: 1, protocol: PROTOCOL_VERSION });
    expect(h.hub.isConnected(1)).toBe(true);
    expect(h.hub.isConnected(2)).toBe(false);
    expect(h.events.connects).toEqual([1]);
  });

  it("answers 401 to a wrong or missing secret and 500 when authentication fails", async () => {
    const h = await harness();
    expect(await refusedStatus(h.url, { Authorization: "Bearer nope" })).toBe(401);
    expect(await refusedStatus(h.url, {})).toBe(401);
    expect(h.events.connects).toEqual([]);

    const broken = await harness({
      authenticate: async () => {
        throw new Error("database down");
      },
    });
    expect(await refusedStatus(broken.url, { Authorization: "Bearer secret-1" })).toBe(500);
    expect(broken.events.logs.join("\n")).toContain("database down");
  });
});

describe("AgentHub frames", () => {
  it("drops malformed frames without calling back, and keeps the connection", async () => {
    const h = await harness();
    const c = await connect(h.url, "secret-1");
    const bad: unknown[] = [
      "not json",
      "null",
      "[1,2,3]",
      '"state"',
      { no: "type" },
      { type: 42 },
      { type: "mystery" },
      { type: "host" },
      { type: "host", host: { ...host, memTotal: -1 } },
      { type: "host", host: { ...host, cpu: "AMD" } },
      { type: "state", seq: 1, at: Date.now() },
      { type: "state", seq: 1, at: Date.now(), state: { ...state(), cpu: "high" } },
      { type: "state", seq: 1, at: Date.now(), state: { ...state(), cpu: 250 } },
      { type: "state", seq: "1", at: Date.now(), state: state() },
      { type: "state", seq: 1.5, at: Date.now(), state: state() },
      { type: "state", seq: 1, at: Date.now(), state: { ...state(), temperatures: [{ name: 1, temperature: "hot" }] } },
      { type: "instances", instances: [{ uuid: "a", status: "flying", pid: null, exitCode: null, startedAt: null }] },
      { type: "instances", instances: "none" },
      { type: "result", id: "x", ok: true },
    ];
    for (const f of bad) send(c, f);
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    // A valid frame after the garbage still gets through, so the garbage was processed first.
    send(c, { type: "host", host });
    send(c, { type: "state", seq: 1, at: Date.now(), state: state({ cpu: 33 }) });
    send(c, { type: "instances", instances: [{ uuid: "a", status: "running", pid: 42, exitCode: null, startedAt: 1 }] });
    await waitFor("the valid instances frame", () => h.events.instances.length > 0);

    expect(h.events.hosts).toEqual([host]);
    expect(h.events.states.map((s) => s.state.cpu)).toEqual([33]);
    expect(h.events.instances).toEqual([[{ uuid: "a", status: "running", pid: 42, exitCode: null, startedAt: 1 }]]);
    expect(h.hub.connectionStats(1)).toEqual({ dropped: bad.length + 1, refusedStates: 0, rateLimited: 0 });
    expect(h.hub.isConnected(1)).toBe(true);
    // Logged once per connection, not once per frame.
    expect(h.events.logs.filter((l) => l.includes("dropped an invalid frame"))).toHaveLength(1);
  });

  it("strips unknown keys before calling back", async () => {
    const h = await harness();
    const c = await connect(h.url, "secret-1");
    send(c, { type: "host", host: { ...host, extra: "field" }, more: 1 });
    await waitFor("the host", () => h.events.hosts.length > 0);
    expect(h.events.hosts[0]).toEqual(host);
  });

  it("refuses replayed and out-of-order state frames; a wrong clock is not refused", async () => {
    const h = await harness();
    const c = await connect(h.url, "secret-1");
    const now = Date.now();
    send(c, { type: "state", seq: 5, at: now, state: state({ cpu: 1 }) });
    send(c, { type: "state", seq: 5, at: now, state: state({ cpu: 2 }) }); // replayed
    send(c, { type: "state", seq: 3, at: now, state: state({ cpu: 3 }) }); // older
    send(c, { type: "state", seq: 6, at: now - 120_000, state: state({ cpu: 4 }) }); // a clock 2 min behind: kept
    send(c, { type: "state", seq: 7, at: now + 120_000, state: state({ cpu: 5 }) }); // 2 min ahead: kept
    send(c, { type: "state", seq: 8, at: Date.now(), state: state({ cpu: 6 }) });
    await waitFor("the last valid state", () => h.events.states.some((s) => s.state.cpu === 6));
    expect(h.events.states.map((s) => s.state.cpu)).toEqual([1, 4, 5, 6]);
    expect(h.events.states.every((s) => s.serverId === 1)).toBe(true);
    expect(h.hub.connectionStats(1)).toEqual({ dropped: 0, refusedStates: 2, rateLimited: 0 });
    expect(h.events.logs.filter((l) => l.includes("refused a state frame"))).toHaveLength(1);
  });

  it("closes a connection that sends a frame larger than the limit", async () => {
    const h = await harness();
    const c = await connect(h.url, "secret-1");
    c.ws.send(JSON.stringify({ type: "host", host: { ...host, cwd: "x".repeat(MAX_FRAME_BYTES) } }));
    const { code } = await c.closed;
    expect(code).toBe(1009);
    await waitFor("onDisconnect", () => h.events.disconnects.length > 0);
    expect(h.events.hosts).toEqual([]);
    expect(h.hub.isConnected(1)).toBe(false);
  });
});

describe("AgentHub requests", () => {
  /** A raw agent that answers requests with `answer`. */
  async function agentAnswering(h: Harness, answer: (req: { id: number; method: string; params: unknown }) => unknown): Promise<Client> {
    const c = await connect(h.url, "secret-1");
    c.ws.on("message", (d) => {
      const f = JSON.parse(String(d)) as { type: string; id: number; method: string; params: unknown };
      if (f.type !== "request") return;
      const reply = answer(f);
      if (reply !== undefined) send(c, reply);
    });
    return c;
  }

  it("resolves with a valid result and rejects with the agent's error code", async () => {
    const h = await harness();
    await agentAnswering(h, (req) => {
      const params = req.params as { cmd?: string };
      if (req.method === "cmd.run" && params.cmd === "ok") {
        return { type: "result", id: req.id, ok: true, data: { output: "hi\n", exitCode: 0, timedOut: false, truncated: false } };
      }
      if (req.method === "cmd.run" && params.cmd === "weird") {
        return { type: "result", id: req.id, ok: false, code: "brand_new_code", error: "??" };
      }
      if (req.method === "cmd.run") return { type: "result", id: req.id, ok: false, code: "commands_disabled", error: "no" };
      if (req.method === "instance.output") return { type: "result", id: req.id, ok: true, data: { output: 42 } };
      return undefined; // never answers
    });
    const r = await h.hub.request(1, "cmd.run", { shell: "sh", cmd: "ok", timeout: 5 }, 2_000);
    expect(r).toEqual({ output: "hi\n", exitCode: 0, timedOut: false, truncated: false });

    const e1 = await h.hub.request(1, "cmd.run", { shell: "sh", cmd: "no", timeout: 5 }, 2_000).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(AgentRequestError);
    expect(e1).toMatchObject({ code: "commands_disabled", message: "no" });

    const e2 = await h.hub.request(1, "cmd.run", { shell: "sh", cmd: "weird", timeout: 5 }, 2_000).catch((e: unknown) => e);
    expect(e2).toMatchObject({ code: "internal" });

    const e3 = await h.hub.request(1, "instance.output", { uuid: "u" }, 2_000).catch((e: unknown) => e);
    expect(e3).toMatchObject({ code: "bad_response" });

    const e4 = await h.hub.request(1, "updates.scan", {}, 200).catch((e: unknown) => e);
    expect(e4).toMatchObject({ code: "timeout" });

    const e5 = await h.hub.request(2, "updates.scan", {}, 2_000).catch((e: unknown) => e);
    expect(e5).toMatchObject({ code: "offline" });
  });

  it("rejects pending requests with offline when the agent goes away", async () => {
    const h = await harness();
    const c = await agentAnswering(h, () => undefined);
    const pending = h.hub.request(1, "updates.scan", {}, 10_000).catch((e: unknown) => e);
    await waitFor("the request to reach the agent", () => c.received.some((f) => (f as { type: string }).type === "request"));
    c.ws.close();
    expect(await pending).toMatchObject({ code: "offline" });
    await waitFor("onDisconnect", () => h.events.disconnects.length === 1);
    expect(h.hub.isConnected(1)).toBe(false);
  });

  it("disconnect() closes the agent's socket and rejects its requests", async () => {
    const h = await harness();
    const c = await agentAnswering(h, () => undefined);
    const pending = h.hub.request(1, "updates.scan", {}, 10_000).catch((e: unknown) => e);
    h.hub.disconnect(1, "secret revoked");
    expect(await pending).toMatchObject({ code: "offline" });
    expect(h.hub.isConnected(1)).toBe(false);
    expect(h.events.disconnects).toEqual([1]);
    expect(await c.closed).toEqual({ code: 4001, reason: "secret revoked" });
  });
});

describe("AgentHub connections", () => {
  it("replaces an older connection of the same server", async () => {
    const h = await harness();
    const first = await connect(h.url, "secret-1");
    const second = await connect(h.url, "secret-1");
    expect((await first.closed).code).toBe(4000);
    expect(h.hub.isConnected(1)).toBe(true);
    expect(h.events.connects).toEqual([1, 1]);
    expect(h.events.disconnects).toEqual([]); // the server never went offline

    // The new connection is the live one: its frames arrive; seq starts afresh.
    send(second, { type: "state", seq: 1, at: Date.now(), state: state({ cpu: 9 }) });
    await waitFor("state over the new connection", () => h.events.states.length === 1);
    second.ws.close();
    await waitFor("onDisconnect", () => h.events.disconnects.length === 1);
    expect(h.events.disconnects).toEqual([1]);
  });

  it("terminates a connection that does not answer pings", async () => {
    // A time-out long enough that a loaded machine pausing this process (the ping timer then runs
    // before the pongs that came meanwhile are read) does not end the lively connection.
    const h = await harness({ pingIntervalMs: 100, pongTimeoutMs: 1_000 });
    const silent = await connect(h.url, "secret-1", { autoPong: false });
    const lively = await connect(h.url, "secret-2");
    await silent.closed;
    await waitFor("onDisconnect of the silent agent", () => h.events.disconnects.includes(1));
    expect(h.hub.isConnected(1)).toBe(false);
    // The one that answers pings stays (it has lived through more than a time-out by now).
    await new Promise((r) => setTimeout(r, 1_200));
    expect(h.hub.isConnected(2)).toBe(true);
    expect(lively.ws.readyState).toBe(WebSocket.OPEN);
  });

  it("close() closes every connection and refuses new ones", async () => {
    const h = await harness();
    const c = await connect(h.url, "secret-1");
    await h.hub.close();
    await c.closed;
    expect(h.hub.isConnected(1)).toBe(false);
    expect(h.events.disconnects).toEqual([1]);
    expect(await refusedStatus(h.url, { Authorization: "Bearer secret-1" })).toBe(503);
  });
});

describe("AgentHub hello and protocol versions", () => {
  it("reports a hello's capabilities, and takes an agent that starts with anything else for protocol 1", async () => {
    const h = await harness();
    const v2 = await connect(h.url, "secret-1");
    send(v2, { type: "hello", protocol: PROTOCOL_VERSION, agentVersion: "0.2.0", capabilities: { commands: false, instances: true, selfUpdate: true, future: true } });
    const v1 = await connect(h.url, "secret-2");
    send(v1, { type: "host", host });
    // Protocol 6 knew nothing of self-update: unknown, not "off".
    const v6 = await connect(h.url, "secret-3");
    send(v6, { type: "hello", protocol: 6, agentVersion: "0.1.6", capabilities: { commands: true, instances: false } });
    await waitFor("three hellos", () => h.events.hellos.length === 3);
    expect(h.events.hellos.sort((a, b) => a.serverId - b.serverId)).toEqual([
      { serverId: 1, hello: { protocol: PROTOCOL_VERSION, agentVersion: "0.2.0", capabilities: { commands: false, instances: true, selfUpdate: true }, outdated: false } },
      // Protocol 1 ran instances unconditionally and decided about commands itself.
      { serverId: 2, hello: { protocol: 1, agentVersion: "", capabilities: { commands: null, instances: true, selfUpdate: null }, outdated: true } },
      { serverId: 3, hello: { protocol: 6, agentVersion: "0.1.6", capabilities: { commands: true, instances: false, selfUpdate: null }, outdated: true } },
    ]);
    // The protocol-1 agent's first frame was still processed.
    await waitFor("its host", () => h.events.hosts.length === 1);
  });
});

describe("AgentHub hardening", () => {
  it("keeps reports from a wrong clock, ordered by the panel's receive time, never going back across reconnections, and hands on the skew", async () => {
    const h = await harness();
    const c = await connect(h.url, "secret-1");
    const before = Date.now();
    const DAY = 86_400_000;
    send(c, { type: "state", seq: 1, at: before, state: state({ cpu: 1 }) });
    send(c, { type: "state", seq: 2, at: before - DAY, state: state({ cpu: 2 }) }); // a day behind: kept
    send(c, { type: "state", seq: 3, at: before + 365 * DAY, state: state({ cpu: 3 }) }); // a year ahead: kept
    send(c, { type: "state", seq: 3, at: before, state: state({ cpu: 99 }) }); // a repeated seq is still refused
    await waitFor("the third state", () => h.events.states.some((s) => s.state.cpu === 3));
    await waitFor("the repeat refused", () => h.hub.connectionStats(1)?.refusedStates === 1);
    const after = Date.now();
    expect(h.events.states.map((s) => s.state.cpu)).toEqual([1, 2, 3]);
    const ats = h.events.states.map((s) => s.at);
    expect([...ats].sort((a, b) => a - b)).toEqual(ats);
    for (const at of ats) {
      expect(at).toBeGreaterThanOrEqual(before);
      expect(at).toBeLessThanOrEqual(after);
    }
    const skews = h.events.states.map((s) => s.skewMs!);
    expect(skews[1]).toBeLessThanOrEqual(-DAY + (after - before));
    expect(skews[1]).toBeGreaterThanOrEqual(-DAY - (after - before));
    expect(skews[2]).toBeGreaterThanOrEqual(365 * DAY - (after - before));

    // A new connection restarts seq but not time.
    c.ws.close();
    await waitFor("onDisconnect", () => h.events.disconnects.length === 1);
    const again = await connect(h.url, "secret-1");
    send(again, { type: "state", seq: 1, at: before - 5 * DAY, state: state({ cpu: 5 }) });
    await waitFor("the fifth state", () => h.events.states.some((s) => s.state.cpu === 5));
    expect(h.events.states.at(-1)!.at).toBeGreaterThanOrEqual(ats.at(-1)!);
  });

  it("drops and counts frames beyond the rate limit, and closes a connection that floods", async () => {
    const h = await harness({ rateLimit: { perSecond: 1, burst: 5, closeAfter: 50 } });
    const c = await connect(h.url, "secret-1");
    for (let i = 0; i < 20; i++) send(c, { type: "host", host: { ...host, hostname: `h${i}` } });
    await waitFor("the frames to be counted", () => {
      const s = h.hub.connectionStats(1);
      return s && s.rateLimited >= 14;
    });
    // The burst went through (a token may have been refilled meanwhile); the rest was dropped.
    expect(h.events.hosts.length).toBeGreaterThanOrEqual(5);
    expect(h.events.hosts.length).toBeLessThanOrEqual(6);
    expect(h.hub.isConnected(1)).toBe(true);
    expect(h.events.logs.filter((l) => l.includes("dropping the excess"))).toHaveLength(1);

    for (let i = 0; i < 100; i++) send(c, { type: "host", host });
    const closed = await c.closed;
    expect(closed.code).toBe(1008);
    expect(closed.reason).toBe("too many messages: more than 1 frames/s");
    await waitFor("onDisconnect", () => h.events.disconnects.includes(1));
  });

  it("lets answers to the panel's own requests through an empty bucket", async () => {
    const h = await harness({ rateLimit: { perSecond: 0.001, burst: 2, closeAfter: 1_000 } });
    const c = await connect(h.url, "secret-1");
    c.ws.on("message", (d) => {
      const f = JSON.parse(String(d)) as { type: string; id: number };
      if (f.type === "request") send(c, { type: "result", id: f.id, ok: true, data: { count: 0 } });
    });
    for (let i = 0; i < 5; i++) send(c, { type: "host", host });
    await waitFor("the bucket to be empty", () => (h.hub.connectionStats(1)?.rateLimited ?? 0) >= 3);
    for (let i = 0; i < 3; i++) expect(await h.hub.request(1, "instance.sync", { instances: [] }, 2_000)).toEqual({ count: 0 });
    // A made-up result is not an answer the panel waits for: it is limited like anything else.
    send(c, { type: "result", id: 999_999, ok: true, data: {} });
    await waitFor("the made-up result to be dropped", () => h.hub.connectionStats(1)?.rateLimited === 4);
  });

  it("caps output in answers at MAX_OUTPUT_BYTES whatever the agent sends", async () => {
    const h = await harness();
    const c = await connect(h.url, "secret-1");
    const big = "é".repeat(MAX_OUTPUT_BYTES) + "tail"; // 2 bytes a character: twice the cap, and more
    c.ws.on("message", (d) => {
      const f = JSON.parse(String(d)) as { type: string; id: number; method: string };
      if (f.type !== "request") return;
      if (f.method === "cmd.run") send(c, { type: "result", id: f.id, ok: true, data: { output: big, exitCode: 0, timedOut: false, truncated: false } });
      if (f.method === "instance.output") send(c, { type: "result", id: f.id, ok: true, data: { output: big } });
      if (f.method === "instance.input") send(c, { type: "result", id: f.id, ok: false, code: "internal", error: "x".repeat(100_000) });
    });
    const r = await h.hub.request(1, "cmd.run", { shell: "sh", cmd: "yes", timeout: 5 }, 5_000);
    expect(Buffer.byteLength(r.output)).toBe(MAX_OUTPUT_BYTES);
    expect(r.output).toMatch(/^é+$/);
    expect(r.truncated).toBe(true);
    const o = await h.hub.request(1, "instance.output", { uuid: "u" }, 5_000);
    expect(Buffer.byteLength(o.output)).toBeLessThanOrEqual(MAX_OUTPUT_BYTES);
    expect(o.output.endsWith("étail")).toBe(true); // a console keeps its latest lines
    const e = await h.hub.request(1, "instance.input", { uuid: "u", line: "x" }, 5_000).catch((err: unknown) => err);
    expect(e).toMatchObject({ code: "internal" });
    expect((e as Error).message.length).toBeLessThanOrEqual(4097);
  });

  it("refuses at once a request larger than a frame, and keeps the connection", async () => {
    const h = await harness();
    const c = await connect(h.url, "secret-1");
    const defs = Array.from({ length: 300 }, (_, i) => ({ uuid: `u${i}`, name: "", startCommand: "x".repeat(4000), cwd: "", stopCommand: "", autoRestart: false }));
    const e = await h.hub.request(1, "instance.sync", { instances: defs }, 60_000).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(AgentRequestError);
    expect(e).toMatchObject({ code: "too_large" });
    expect(c.received.filter((f) => (f as { type: string }).type === "request")).toEqual([]);
    expect(h.hub.isConnected(1)).toBe(true);
  });
});
