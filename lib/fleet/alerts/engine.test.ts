import { describe, expect, it } from "vitest";
import type { LiveState } from "../../../agent/protocol";
import type { LiveEntry } from "../live";
import { AlertEngine, type Job } from "./engine";
import type { RuleDef } from "./rules";

function state(over: Partial<LiveState> = {}): LiveState {
  return {
    cpu: 10, memUsed: 100, memTotal: 1000, swapUsed: 0, diskUsed: 50, netInTransfer: 0, netOutTransfer: 0, netInSpeed: 0,
    netOutSpeed: 0, uptime: 1, load1: 0.5, load5: 1, load15: 1, tcpConnCount: 3, udpConnCount: 1, processCount: 9,
    temperatures: [], process: { cpuMicros: 0, memory: 0 }, ...over,
  };
}

function entry(id: number, over: Partial<LiveEntry["meta"]> = {}, lastActive: number | null = null): LiveEntry {
  return {
    meta: {
      id, name: `s${id}`, tag: "", note: "", hideForGuest: false, displayIndex: 0, agentId: `a${id}`, isLocal: false, client: "Default", site: "Default",
      monitoringType: "server", description: "", remarks: "", createdAt: new Date(0), ...over,
    },
    host: { diskTotal: 100 } as LiveEntry["host"], state: null, lastActive, intervalMs: 2_000, lastIp: "", connected: true, instances: [], agent: null, version: 0,
  };
}

const rule = (over: Partial<RuleDef>): RuleDef => ({
  id: 1, name: "r", kind: "metric", params: { metric: "cpu", above: 90, forSec: 60 }, scope: { type: "all" }, channelIds: [1], repeatSec: 0, muted: false, enabled: true, ...over,
});

function engine(rules: RuleDef[], maintenance?: Parameters<AlertEngine["useRules"]>[1]) {
  const jobs: Job["type"][] = [];
  const e = new AlertEngine(async (job) => void jobs.push(job.type));
  e.useRules(rules, maintenance);
  return { e, jobs, settle: () => e.drain() };
}

describe("the alert evaluator", () => {
  it("fires only after the condition held for the rule's duration, once, and recovers once", async () => {
    const { e, jobs, settle } = engine([rule({})]);
    const s = entry(1);
    const t0 = 1_000_000;
    e.onState(s, state({ cpu: 95 }), t0);
    e.onState(s, state({ cpu: 96 }), t0 + 30_000);
    await settle();
    expect(jobs).toEqual([]);
    e.onState(s, state({ cpu: 97 }), t0 + 60_000);
    e.onState(s, state({ cpu: 99 }), t0 + 62_000);
    await settle();
    expect(jobs).toEqual(["fire"]);
    e.onState(s, state({ cpu: 20 }), t0 + 64_000);
    e.onState(s, state({ cpu: 20 }), t0 + 66_000);
    await settle();
    expect(jobs).toEqual(["fire", "recover"]);
  });

  it("a dip below the threshold restarts the duration", async () => {
    const { e, jobs, settle } = engine([rule({})]);
    const s = entry(1);
    e.onState(s, state({ cpu: 95 }), 0);
    e.onState(s, state({ cpu: 50 }), 40_000);
    e.onState(s, state({ cpu: 95 }), 50_000);
    e.onState(s, state({ cpu: 95 }), 100_000);
    await settle();
    expect(jobs).toEqual([]);
    e.onState(s, state({ cpu: 95 }), 110_000);
    await settle();
    expect(jobs).toEqual(["fire"]);
  });

  it("scopes: a tag, a client/site, a list", async () => {
    const { e, jobs, settle } = engine([
      rule({ id: 1, params: { metric: "memory", above: 5, forSec: 0 }, scope: { type: "tag", tag: "db" } }),
      rule({ id: 2, params: { metric: "memory", above: 5, forSec: 0 }, scope: { type: "client", client: "Acme", site: "HQ" } }),
      rule({ id: 3, params: { metric: "memory", above: 5, forSec: 0 }, scope: { type: "servers", ids: [7] } }),
    ]);
    e.onState(entry(1, { tag: "web" }), state(), 0);
    e.onState(entry(2, { client: "Acme", site: "Branch" }), state(), 0);
    await settle();
    expect(jobs).toEqual([]);
    e.onState(entry(3, { tag: "db" }), state(), 0);
    e.onState(entry(4, { client: "Acme", site: "HQ" }), state(), 0);
    e.onState(entry(7), state(), 0);
    await settle();
    expect(jobs).toEqual(["fire", "fire", "fire"]);
  });

  it("maintenance (machine, site or client) holds new alerts back", async () => {
    const r = rule({ params: { metric: "cpu", above: 90, forSec: 0 } });
    const { e, jobs, settle } = engine([r], { servers: [1], clients: ["Acme"], sites: [["Beta", "Lab"]] });
    e.onState(entry(1), state({ cpu: 99 }), 0);
    e.onState(entry(2, { client: "Acme", site: "X" }), state({ cpu: 99 }), 0);
    e.onState(entry(3, { client: "Beta", site: "Lab" }), state({ cpu: 99 }), 0);
    await settle();
    expect(jobs).toEqual([]);
    e.useRules([r]); // maintenance over
    e.onState(entry(1), state({ cpu: 99 }), 1_000);
    await settle();
    expect(jobs).toEqual(["fire"]);
  });

  it("repeats at the rule's interval while firing, never when muted", async () => {
    const { e, jobs, settle } = engine([
      rule({ id: 1, params: { metric: "cpu", above: 90, forSec: 0 }, repeatSec: 60 }),
      rule({ id: 2, params: { metric: "cpu", above: 90, forSec: 0 }, repeatSec: 60, muted: true }),
    ]);
    const s = entry(1);
    e.onState(s, state({ cpu: 99 }), 0);
    e.tick(30_000, []);
    e.tick(60_000, []);
    e.tick(90_000, []);
    e.tick(120_000, []);
    await settle();
    expect(jobs).toEqual(["fire", "fire", "repeat", "repeat"]);
  });

  it("offline for N seconds beyond the usual offline detection, then back online", async () => {
    const { e, jobs, settle } = engine([rule({ kind: "offline", params: { seconds: 30 } })]);
    const s = entry(1, {}, 0);
    const offlineAt = 7_000; // three missed 2 s reports + 1 s
    e.tick(offlineAt + 29_000, [s]);
    await settle();
    expect(jobs).toEqual([]);
    e.tick(offlineAt + 31_000, [s]);
    await settle();
    expect(jobs).toEqual(["fire"]);
    s.lastActive = offlineAt + 40_000;
    e.tick(offlineAt + 41_000, [s]);
    await settle();
    expect(jobs).toEqual(["fire", "recover"]);
  });
});
