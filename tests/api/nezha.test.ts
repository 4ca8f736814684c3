import { until } from "../helpers/wait";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, login, startPanel, type RunningPanel } from "../helpers/panel";
import { spawnAgent, stopAllAgents } from "../agent/helpers";

let panel: RunningPanel;
let cookie: string;

async function nezha(path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const res = await fetch(`${panel.url}${path}`, {
    method: init.method ?? "GET",
    headers: { cookie, "content-type": "application/json", "x-requested-with": "XMLHttpRequest", ...init.headers },
    body: init.body === undefined ? undefined : typeof init.body === "string" ? init.body : JSON.stringify(init.body),
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get("content-type") ?? "", text, json: text.startsWith("{") ? JSON.parse(text) : null };
}

async function register(Name: string, Tag: string, extra: Record<string, unknown> = {}) {
  const r = await nezha("/api/v1/server/register", { method: "POST", body: { Name, Tag, ...extra } });
  expect(r.status).toBe(200);
  return r.json as { code: number; message: string; secret: string };
}

type Item = Record<string, unknown> & { id: number; host: Record<string, unknown>; status: Record<string, unknown> };
const ids = (r: { json: { result: Item[] } }) => r.json.result.map((s) => s.id);


beforeAll(async () => {
  panel = await startPanel({ FLEETDECK_LOCAL_AGENT: "1", FLEETDECK_AGENT_INTERVAL: "1" });
  cookie = (await login(panel.url, ADMIN.username, ADMIN.password)).cookie!;
  await register("Server1", "Tag1");
  await register("Server2", "Tag2", { HideForGuest: true });
});
afterAll(async () => {
  await stopAllAgents();
  await panel?.stop();
});

describe("GET /api/v1/server/list", () => {
  it("answers the documented envelope and fields, in a stable order", async () => {
    const r = await nezha("/api/v1/server/list?tag=");
    expect(r.status).toBe(200);
    expect(r.type).toContain("application/json");
    expect(r.json).toMatchObject({ code: 0, message: "success" });
    expect(ids(r)).toEqual([1, 2, 3]);
    const s2 = r.json.result[2];
    expect(Object.keys(s2).sort()).toEqual(["display_index", "hide_for_guest", "id", "ipv4", "ipv6", "last_active", "name", "tag", "valid_ip"]);
    expect(s2).toEqual({ id: 3, name: "Server2", tag: "Tag2", last_active: -62135596800, ipv4: "", ipv6: "", valid_ip: "", display_index: 0, hide_for_guest: true });
    expect((await nezha("/api/v1/server/list")).text).toBe(r.text);
  });

  it("filters by exact, case-sensitive tag; an unknown tag is an empty list", async () => {
    expect(ids(await nezha("/api/v1/server/list?tag=Tag1"))).toEqual([2]);
    expect((await nezha("/api/v1/server/list?tag=tag1")).json).toEqual({ code: 0, message: "success", result: [] });
    expect((await nezha("/api/v1/server/list?tag=nope")).json.result).toEqual([]);
  });
});

describe("GET /api/v1/server/details", () => {
  it("shows a server that never reported with zero-valued host and status objects", async () => {
    const r = await nezha("/api/v1/server/details?id=2");
    const s = r.json.result[0] as Item;
    expect(s.last_active).toBe(-62135596800);
    expect(s.host).toEqual({
      Platform: "", PlatformVersion: "", CPU: null, MemTotal: 0, DiskTotal: 0, SwapTotal: 0, Arch: "", Virtualization: "",
      BootTime: 0, CountryCode: "", Version: "", GPU: null,
    });
    expect(s.status).toMatchObject({
      CPU: 0, MemUsed: 0, SwapUsed: 0, DiskUsed: 0, NetInTransfer: 0, NetOutTransfer: 0, NetInSpeed: 0, NetOutSpeed: 0, Uptime: 0,
      Load1: 0, Load5: 0, Load15: 0, TcpConnCount: 0, UdpConnCount: 0, ProcessCount: 0,
    });
  });

  it("shows the real agent's host and live status, with last_active advancing", async () => {
    const first = await until("a report", async () => { const r = await nezha("/api/v1/server/details?id=1"); return ((r.json.result[0] as Item).last_active as number) > 0 && r; });
    const s = first.json.result[0] as Item;
    expect(s.host.MemTotal).toBeGreaterThan(0);
    expect(s.host.DiskTotal).toBeGreaterThan(0);
    expect((s.host.CPU as string[]).length).toBeGreaterThan(0);
    expect(s.host.Platform).toBe(process.platform);
    expect(s.host.BootTime).toBeGreaterThan(0);
    expect(s.status.MemUsed).toBeGreaterThan(0);
    expect(s.status.Uptime).toBeGreaterThan(0);
    expect(s.status.ProcessCount).toBeGreaterThan(0);
    expect(Number.isInteger(s.status.MemUsed)).toBe(true);
    expect(Math.abs((s.last_active as number) - Date.now() / 1000)).toBeLessThan(30);
    await until("last_active to advance", async () => { const r = await nezha("/api/v1/server/details?id=1"); return ((r.json.result[0] as Item).last_active as number) > (s.last_active as number) && r; });
  });

  it("lets id win over tag, keeps the order given, and skips unknown and unparseable ids", async () => {
    expect(ids(await nezha("/api/v1/server/details?id=3,1&tag=Tag1"))).toEqual([3, 1]);
    expect(ids(await nezha("/api/v1/server/details?id=3,abc,99,-1,,2,3"))).toEqual([3, 2]);
    expect(ids(await nezha("/api/v1/server/details?id=abc"))).toEqual([]);
    expect(ids(await nezha(`/api/v1/server/details?id=${",".repeat(10_000)}`))).toEqual([]);
    expect(ids(await nezha("/api/v1/server/details?id=99999999999999999999"))).toEqual([]);
    expect(ids(await nezha("/api/v1/server/details?tag=Tag2"))).toEqual([3]);
  });

  it("returns every server, hidden ones included, with no parameters", async () => {
    expect(ids(await nezha("/api/v1/server/details"))).toEqual([1, 2, 3]);
  });
});

describe("POST /api/v1/server/register", () => {
  it("answers the bare secret with ?simple=1, and the secret lets an agent in", async () => {
    const r = await nezha("/api/v1/server/register?simple=1", { method: "POST", body: { Name: "Scripted" } });
    expect(r.status).toBe(200);
    expect(r.type).toContain("text/plain");
    expect(r.text).toMatch(/^fda_[A-Za-z0-9_-]{43}$/);
    // The real agent, started with that secret, is let in and its server starts reporting.
    const list = (await nezha("/api/v1/server/list")).json.result as Item[];
    const id = list.find((x) => x.name === "Scripted")!.id;
    spawnAgent(["--panel", panel.url, "--secret", r.text, "--interval", "1"]);
    const seen = await until("the scripted server to report", async () => {
      const s = (await nezha(`/api/v1/server/details?id=${id}`)).json.result[0] as Item;
      return (s.last_active as number) > 0 && s;
    });
    expect(seen.host.Platform).toBeTruthy();
    await stopAllAgents();
  });

  it("refuses bad bodies with a Nezha error, never a 500", async () => {
    for (const body of ["{oops", { Name: "" }, { Name: 5 }, { Name: "x".repeat(101) }, { Name: "ok", HideForGuest: "yes" }]) {
      const r = await nezha("/api/v1/server/register", { method: "POST", body });
      expect(r.status).toBe(400);
      expect(r.json.code).toBe(400);
      expect(typeof r.json.message).toBe("string");
    }
  });

  it("answers unknown paths and wrong methods in the envelope", async () => {
    expect((await nezha("/api/v1/server/nope")).json).toEqual({ code: 404, message: "Not found: GET /api/v1/server/nope" });
    const r = await nezha("/api/v1/server/list", { method: "POST" });
    expect(r.status).toBe(405);
    expect(r.json.code).toBe(405);
  });
});

describe("credentials", () => {
  it("refuses missing and bad credentials with HTTP 403 and Nezha's body", async () => {
    const none = await fetch(`${panel.url}/api/v1/server/list`);
    expect(none.status).toBe(403);
    expect(await none.json()).toMatchObject({ code: 403 });
    const bad = await fetch(`${panel.url}/api/v1/server/list`, { headers: { authorization: "fdk_garbage" } });
    expect(bad.status).toBe(403);
  });
});
