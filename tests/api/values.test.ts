/**
 * Issue 17 through the panel: a machine with a wrong clock stays online and its skew is shown
 * (state frames with a wrong `at` sent over the raw agent protocol), the protocol-3 fields reach
 * Tactical RMM's and the UI's answers, maintenance mode is a real setting, CountryCode is empty for
 * a loopback agent, and MCSManager's overview counts sign-ins from the panel's records.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { AGENT_WS_PATH, PROTOCOL_VERSION, type HostInfo, type LiveState } from "../../agent/protocol";
import { ADMIN, login, startPanel, type RunningPanel } from "../helpers/panel";
import { until } from "../helpers/wait";

let panel: RunningPanel;
let cookie: string;
let ws: WebSocket;
let timer: NodeJS.Timeout;
let serverId: number;
let agentId: string;
const HOUR = 3_600_000;

async function call(path: string, init: { method?: string; body?: unknown } = {}) {
  const res = await fetch(`${panel.url}${path}`, {
    method: init.method ?? "GET",
    headers: { cookie, "content-type": "application/json", "x-requested-with": "XMLHttpRequest" },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  let json: any = null; // eslint-disable-line @typescript-eslint/no-explicit-any
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json };
}

const host: HostInfo = {
  hostname: "skewed", platform: "linux", platformVersion: "debian 12", release: "6.1.0", cpu: ["Test CPU"], arch: "x64",
  virtualization: "", bootTime: Math.floor(Date.now() / 1000) - 1000, memTotal: 4e9, diskTotal: 1e11, swapTotal: 0,
  ipv4: "", ipv6: "", localIps: [], gpu: [], agentVersion: "test", cwd: "/",
};
const state = (): LiveState => ({
  cpu: 5, memUsed: 1e9, memTotal: 4e9, swapUsed: 0, diskUsed: 5e10, netInTransfer: 0, netOutTransfer: 0, netInSpeed: 0,
  netOutSpeed: 0, uptime: 1000, load1: 0, load5: 0, load15: 0, tcpConnCount: 0, udpConnCount: 0, processCount: 10,
  temperatures: [], process: { cpuMicros: 1000, memory: 5e7 }, users: ["alice", "bob"], needsReboot: true,
});

beforeAll(async () => {
  panel = await startPanel({ FLEETDECK_LOCAL_AGENT: "0" });
  // One failed and one successful sign-in, for the overview's counters.
  expect((await login(panel.url, ADMIN.username, "wrong-password")).cookie).toBeNull();
  cookie = (await login(panel.url, ADMIN.username, ADMIN.password)).cookie!;
  const reg = await call("/api/v1/server/register", { method: "POST", body: { Name: "skewed" } });
  expect(reg.status).toBe(200);
  const list = await call("/api/ui/servers");
  serverId = list.json.find((s: { name: string }) => s.name === "skewed").id;
  agentId = (await call(`/api/ui/servers/${serverId}`)).json.agentId ?? (await call("/agents/")).json[0].agent_id;

  // The agent, by hand: its clock an hour behind the panel's.
  ws = new WebSocket(`${panel.url.replace(/^http/, "ws")}${AGENT_WS_PATH}`, { headers: { authorization: `Bearer ${reg.json.secret}` } });
  await new Promise<void>((resolve, reject) => ws.once("open", () => resolve()).once("error", reject));
  ws.send(JSON.stringify({ type: "hello", protocol: PROTOCOL_VERSION, agentVersion: "test", capabilities: { commands: false, instances: false } }));
  ws.send(JSON.stringify({ type: "host", host }));
  let seq = 0;
  const report = () => ws.send(JSON.stringify({ type: "state", seq: ++seq, at: Date.now() - HOUR, state: state() }));
  report();
  timer = setInterval(report, 1_000);
}, 60_000);

afterAll(async () => {
  clearInterval(timer);
  ws?.close();
  await panel?.stop();
});

describe("a machine whose clock is an hour behind", () => {
  it("stays online, and its skew is shown in the UI and Tactical RMM's agent", async () => {
    const s = await until("the skewed server online", async () => {
      const r = await call(`/api/ui/servers/${serverId}`);
      return r.json.online === true && r.json.clockSkewMs !== null && r.json;
    }, 20_000);
    expect(s.status).toBe("online");
    expect(s.clockSkewMs).toBeLessThan(-HOUR + 10_000);
    expect(s.clockSkewMs).toBeGreaterThan(-HOUR - 10_000);
    const a = (await call(`/agents/${agentId}/`)).json;
    expect(a.status).toBe("online");
    expect(a.clock_skew_ms).toBeLessThan(-HOUR + 10_000);
    // last_seen is the panel's receive time, not the agent's clock.
    expect(Math.abs(Date.parse(a.last_seen) - Date.now())).toBeLessThan(30_000);
    // Nezha's last_active likewise; CountryCode is empty for a loopback address.
    const n = (await call(`/api/v1/server/details?id=${serverId}`)).json.result[0];
    expect(Math.abs(n.last_active * 1000 - Date.now())).toBeLessThan(30_000);
    expect(n.host.CountryCode).toBe("");
  });

  it("Tactical RMM shows the agent's logged-in users and reboot flag", async () => {
    const a = (await call(`/agents/${agentId}/`)).json;
    expect(a.logged_username).toBe("alice, bob");
    expect(a.logged_username_known).toBe(true);
    expect(a.needs_reboot).toBe(true);
    expect(a.needs_reboot_known).toBe(true);
  });
});

describe("maintenance mode", () => {
  it("is set through Tactical RMM's agent edit and the UI, and read back everywhere", async () => {
    expect((await call(`/agents/${agentId}/`)).json.maintenance_mode).toBe(false);
    const put = await call(`/agents/${agentId}/`, { method: "PUT", body: { maintenance_mode: true } });
    expect(put.status).toBe(200);
    expect((await call(`/agents/${agentId}/`)).json.maintenance_mode).toBe(true);
    expect((await call("/agents/")).json.find((x: { agent_id: string }) => x.agent_id === agentId).maintenance_mode).toBe(true);
    const patch = await call(`/api/ui/agents/${agentId}`, { method: "PATCH", body: { maintenanceMode: false } });
    expect(patch.status).toBe(200);
    expect((await call(`/agents/${agentId}/`)).json.maintenance_mode).toBe(false);
    const audit = (await call("/api/ui/audit?action=server")).json.entries.map((e: { action: string; detail: string }) => `${e.action}:${e.detail}`);
    expect(audit).toContain("server.update:maintenanceMode");
  });
});

describe("MCSManager's overview record", () => {
  it("counts the sign-ins and failed sign-ins of this run from the audit log", async () => {
    const r = await until("the counters", async () => {
      const o = await call("/api/overview");
      return o.json.data?.record?.logined >= 1 && o.json.data.record;
    }, 10_000);
    expect(r.logined).toBeGreaterThanOrEqual(1);
    expect(r.loginFailed).toBeGreaterThanOrEqual(1);
    expect(r.banips).toBe(0);
    const audit = (await call("/api/ui/audit?action=auth.login")).json.entries.map((e: { action: string }) => e.action);
    expect(audit).toContain("auth.login");
    expect(audit).toContain("auth.login.fail");
  });
});
