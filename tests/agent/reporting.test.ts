/**
 * The real agent against a real hub: reports, authentication, arguments, reconnection.
 */
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { spawnAgent, startHub, stopAllAgents, waitFor, type TestHub } from "./helpers";

const hubs: TestHub[] = [];
async function hub(port?: number): Promise<TestHub> {
  const h = await startHub({ port });
  hubs.push(h);
  return h;
}

afterEach(async () => {
  await stopAllAgents();
  await Promise.all(hubs.splice(0).map((h) => h.close()));
});
afterAll(stopAllAgents);

describe("agent reports", () => {
  it("sends a plausible host frame and increasing state frames", { timeout: 30_000 }, async () => {
    const h = await hub();
    const agent = spawnAgent(["--panel", h.url, "--secret", "good-secret-1", "--interval", "1"]);
    const dump = () => agent.stderr() + "\n" + h.events.logs.join("\n");

    const { host } = await waitFor("a host frame", () => h.events.hosts[0], 20_000, dump);
    expect(h.events.connects[0]).toMatchObject({ serverId: 1, remoteAddress: "127.0.0.1" });
    expect(host.memTotal).toBeGreaterThan(0);
    expect(host.diskTotal).toBeGreaterThan(0);
    expect(host.cpu.length).toBeGreaterThan(0);
    expect(host.cpu[0]).toMatch(/\d+ (Virtual|Physical) Core/);
    expect(host.hostname).not.toBe("");
    expect(host.platform).toBe(process.platform);
    expect(host.arch).toBe(process.arch);
    expect(host.bootTime).toBeGreaterThan(1_000_000_000);
    expect(host.bootTime).toBeLessThanOrEqual(Date.now() / 1000);
    expect(host.agentVersion).toMatch(/^\d+\.\d+\.\d+/);

    await waitFor("three state frames", () => h.events.states.length >= 3, 20_000, dump);
    const states = h.events.states.map((s) => s.state);
    for (const s of states) {
      expect(s.memTotal).toBe(host.memTotal);
      expect(s.memUsed).toBeGreaterThan(0);
      expect(s.memUsed).toBeLessThanOrEqual(s.memTotal);
      expect(s.uptime).toBeGreaterThan(0);
      expect(s.cpu).toBeGreaterThanOrEqual(0);
      expect(s.cpu).toBeLessThanOrEqual(100);
      expect(s.diskUsed).toBeGreaterThan(0);
      expect(s.process.memory).toBeGreaterThan(10 * 1024 * 1024);
      expect(s.process.cpuMicros).toBeGreaterThan(0);
      expect(Array.isArray(s.temperatures)).toBe(true);
    }
    // Later frames carry the slow probes (process count) and a measured network speed.
    await waitFor("a state with a process count", () => h.events.states.find((s) => s.state.processCount > 0), 20_000, dump);
    // Cumulative counters never go down between frames.
    for (let i = 1; i < states.length; i++) {
      expect(states[i].process.cpuMicros).toBeGreaterThanOrEqual(states[i - 1].process.cpuMicros);
    }
    // Frames were accepted by the hub in order, with timestamps from the agent's clock.
    const ats = h.events.states.map((s) => s.at);
    expect([...ats].sort((a, b) => a - b)).toEqual(ats);
    expect(h.hub.connectionStats(1)).toEqual({ dropped: 0, refusedStates: 0, rateLimited: 0 });
    // The initial instances frame (none defined).
    expect(h.events.instances[0]).toEqual({ serverId: 1, instances: [] });

    expect(await agent.stop()).toBe(0);
    await waitFor("onDisconnect", () => h.events.disconnects.includes(1));
  });

  it("sends seq numbers from 1 and survives malformed frames from the panel", { timeout: 30_000 }, async () => {
    // A raw server standing in for the panel: it sees the frames exactly as the agent sends them
    // (the hub would refuse non-increasing seqs) and can send garbage.
    const seqs: number[] = [];
    const results: Record<string, unknown>[] = [];
    const { WebSocketServer } = await import("ws");
    const raw = new WebSocketServer({ port: 0, host: "127.0.0.1" });
    const rawPort = await new Promise<number>((resolve) =>
      raw.on("listening", () => resolve((raw.address() as { port: number }).port)),
    );
    raw.on("connection", (ws) => {
      ws.on("message", (data) => {
        const f = JSON.parse(String(data)) as { type: string; seq?: number };
        if (f.type === "state" && typeof f.seq === "number") seqs.push(f.seq);
        if (f.type === "result") results.push(f);
      });
      for (const garbage of [
        "not json",
        "null",
        "[]",
        '{"type":"request"}',
        '{"type":"request","id":"1","method":"cmd.run"}',
        '{"type":"request","id":1,"method":5}',
        '{"type":"request","id":2,"method":"instance.sync","params":{"instances":"nope"}}',
        '{"type":"request","id":3,"method":"instance.start","params":null}',
        '{"type":"welcome"}',
        '{"type":"something-new","x":1}',
      ]) {
        ws.send(garbage);
      }
      ws.send(Buffer.from([0xff, 0x00]), { binary: true });
      ws.send(JSON.stringify({ type: "request", id: 4, method: "instance.output", params: { uuid: "nope" } }));
    });
    try {
      const agent = spawnAgent(["--panel", `http://127.0.0.1:${rawPort}`, "--secret", "whatever", "--interval", "1"]);
      await waitFor("three raw state frames", () => seqs.length >= 3, 20_000, () => agent.stderr());
      expect(seqs.slice(0, 3)).toEqual([1, 2, 3]);
      await waitFor("answers to the well-formed requests", () => results.length >= 4, 5_000, () => JSON.stringify(results));
      const byId = new Map(results.map((r) => [r.id, r]));
      expect(byId.get(1)).toMatchObject({ ok: false, code: "bad_request" });
      expect(byId.get(2)).toMatchObject({ ok: false, code: "bad_request" });
      expect(byId.get(3)).toMatchObject({ ok: false, code: "bad_request" });
      expect(byId.get(4)).toMatchObject({ ok: false, code: "unknown_instance" });
      expect(agent.child.exitCode).toBeNull();
      expect(await agent.stop()).toBe(0);
    } finally {
      for (const c of raw.clients) c.terminate();
      await new Promise<void>((r) => raw.close(() => r()));
    }
  });

  it("exits with code 2 and a clear message when the secret is refused", { timeout: 20_000 }, async () => {
    const h = await hub();
    const agent = spawnAgent(["--panel", h.url, "--secret", "wrong-secret"]);
    const code = await Promise.race([
      agent.exited,
      new Promise<string>((r) => setTimeout(() => r("still running"), 15_000)),
    ]);
    expect(code).toBe(2);
    expect(agent.stderr()).toContain("fleetdeck-agent: the panel refused this secret (401)");
    expect(h.events.connects).toHaveLength(0);
  });

  it("takes the panel and secret from the environment", { timeout: 20_000 }, async () => {
    const h = await hub();
    const agent = spawnAgent([], { FLEETDECK_PANEL: h.url, FLEETDECK_SECRET: "good-secret-2" });
    await waitFor("a connection from server 2", () => h.events.connects.find((c) => c.serverId === 2), 15_000, () =>
      agent.stderr(),
    );
    await waitFor("the welcome log line", () => agent.stderr().includes("connected to panel as server #2"));
    expect(await agent.stop()).toBe(0);
  });

  it("reconnects after the panel restarts", { timeout: 30_000 }, async () => {
    const first = await hub();
    const port = first.port;
    const agent = spawnAgent(["--panel", first.url, "--secret", "good-secret-1", "--interval", "1"]);
    await waitFor("the first state", () => first.events.states.length > 0, 20_000, () => agent.stderr());

    await first.close();
    hubs.splice(hubs.indexOf(first), 1);
    await waitFor("a reconnect log line", () => /reconnecting in/.test(agent.stderr()), 10_000, () => agent.stderr());

    const second = await hub(port);
    await waitFor("a state on the restarted panel", () => second.events.states.length > 0, 20_000, () => agent.stderr());
    expect(second.events.hosts.length).toBeGreaterThan(0);
    expect(second.events.connects[0].serverId).toBe(1);
    expect(agent.child.exitCode).toBeNull();
    expect(await agent.stop()).toBe(0);
  });
});
