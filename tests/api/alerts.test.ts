/**
 * Monitors, alert rules, channels and notices against the real panel, with the real agent
 * reporting real metrics of this machine, and receivers the test runs on loopback (a webhook
 * endpoint, an SMTP server). Nothing is mocked.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import net from "node:net";
import type { AddressInfo } from "node:net";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, ROOT, agentCommand, login, startPanel, type RunningPanel } from "../helpers/panel";
import { until } from "../helpers/wait";
import { startSmtpReceiver, startWebhookReceiver, type WebhookReceiver } from "../helpers/receivers";
import { call, Panel, session, type Reply } from "./credentials";

let panel: RunningPanel;
let admin: Panel;
let userCookie: string;
const agents = new Set<ChildProcess>();
const closers: (() => Promise<void>)[] = [];

const ui = (p: RunningPanel, cookie: string) => (path: string, method = "GET", body?: unknown) => call(p.url, path, { method, headers: session(cookie), body });
let asAdmin: ReturnType<typeof ui>;
let asUser: ReturnType<typeof ui>;

function startAgent(url: string, secret: string): ChildProcess {
  const proc = spawn(process.execPath, [...agentCommand(), "--panel", url, "--interval", "1"], {
    cwd: ROOT,
    env: { ...process.env, FLEETDECK_SECRET: secret },
    stdio: "ignore",
  });
  agents.add(proc);
  proc.once("exit", () => agents.delete(proc));
  return proc;
}

async function addServer(call: ReturnType<typeof ui>, name: string): Promise<{ id: number; secret: string }> {
  const r = await call("/api/ui/servers", "POST", { name });
  expect(r.status, r.text).toBe(201);
  return r.json as { id: number; secret: string };
}

async function webhookChannel(call: ReturnType<typeof ui>, name: string, hook: WebhookReceiver, extra: Record<string, unknown> = {}): Promise<number> {
  const r = await call("/api/ui/alert-channels", "POST", { type: "webhook", name, config: { url: hook.url, ...extra } });
  expect(r.status, r.text).toBe(201);
  return (r.json as { id: number }).id;
}

interface HistoryItem {
  id: number;
  ruleId: number;
  serverId: number;
  detail: string;
  firedAt: string;
  recoveredAt: string | null;
  notifications: {
    id: number;
    channelId: number;
    channelName: string;
    kind: string;
    status: string;
    attempts: number;
    lastError: string;
    attemptLog: { at: string; result: string; error: string; httpStatus: number | null }[];
  }[];
}
const history = async (call: ReturnType<typeof ui>, ruleId: number): Promise<HistoryItem[]> =>
  ((await call("/api/ui/alerts?limit=200")).json as { items: HistoryItem[] }).items.filter((i) => i.ruleId === ruleId);

const fieldsOf = (r: Reply) => (r.json as { fields?: Record<string, string[]> }).fields ?? {};

beforeAll(async () => {
  panel = await startPanel();
  const cookie = (await login(panel.url, ADMIN.username, ADMIN.password)).cookie!;
  admin = new Panel(panel.url, cookie);
  asAdmin = ui(panel, cookie);
  const u = await admin.createUser("alerts-viewer", { perms: { canListAgents: true } });
  userCookie = (await login(panel.url, "alerts-viewer", u.password)).cookie!;
  asUser = ui(panel, userCookie);
});

afterAll(async () => {
  for (const proc of agents) proc.kill("SIGKILL");
  for (const close of closers) await close().catch(() => undefined);
  await panel?.stop();
});

describe("bad input", () => {
  it("invalid monitor targets, intervals and latency bounds get field errors", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ name: "t", type: 3, target: "no-port-here" }, "target"],
      [{ name: "t", type: 3, target: "example.com:70000" }, "target"],
      [{ name: "t", type: 1, target: "ftp://example.com/" }, "target"],
      [{ name: "t", type: 2, target: "-f" }, "target"],
      [{ name: "t", type: 2, target: "127.0.0.1", intervalSec: 5 }, "intervalSec"],
      [{ name: "t", type: 2, target: "127.0.0.1", maxLatency: -1 }, "maxLatency"],
      [{ name: "t", type: 2, target: "127.0.0.1", minLatency: 50, maxLatency: 10 }, "maxLatency"],
      [{ name: "t", type: 9, target: "127.0.0.1" }, "type"],
    ];
    for (const [body, field] of cases) {
      const r = await asAdmin("/api/ui/monitors", "POST", body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(Object.keys(fieldsOf(r)), JSON.stringify(body)).toContain(field);
    }
  });

  it("invalid rule thresholds, durations, kinds and channels get field errors", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ name: "r", kind: "metric", params: { metric: "cpu", above: 150 } }, "params.above"],
      [{ name: "r", kind: "metric", params: { metric: "cpu", above: -1 } }, "params.above"],
      [{ name: "r", kind: "metric", params: { metric: "colour", above: 1 } }, "params.metric"],
      [{ name: "r", kind: "metric", params: { metric: "cpu", above: 50, forSec: -5 } }, "params.forSec"],
      [{ name: "r", kind: "offline", params: { seconds: "soon" } }, "params.seconds"],
      [{ name: "r", kind: "sometimes" }, "kind"],
      [{ name: "r", kind: "offline", channelIds: [9999] }, "channelIds"],
      [{ name: "r", kind: "offline", repeatSec: 5 }, "repeatSec"],
      [{ name: "r", kind: "offline", scope: { type: "servers", ids: [] } }, "scope.ids"],
    ];
    for (const [body, field] of cases) {
      const r = await asAdmin("/api/ui/alert-rules", "POST", body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(Object.keys(fieldsOf(r)), JSON.stringify(body)).toContain(field);
    }
  });

  it("invalid channel targets get field errors", async () => {
    const bad = [
      [{ type: "webhook", name: "w", config: { url: "ftp://example.com" } }, "config.url"],
      [{ type: "webhook", name: "w", config: { url: "http://127.0.0.1/", headers: { "Bad Header": "x" } } }, "config.headers.Bad Header"],
      [{ type: "email", name: "m", config: { host: "127.0.0.1", from: "nobody", to: ["a@example.com"] } }, "config.from"],
      [{ type: "email", name: "m", config: { host: "127.0.0.1", from: "a@example.com", to: [] } }, "config.to"],
    ] as const;
    for (const [body, field] of bad) {
      const r = await asAdmin("/api/ui/alert-channels", "POST", body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(Object.keys(fieldsOf(r)).join("|"), JSON.stringify(body)).toContain(field.split(".").slice(0, 2).join("."));
    }
  });

  it("webhook and SMTP targets, rules and maintenance are for admins only", async () => {
    const attempts: [string, string, unknown][] = [
      ["/api/ui/alert-channels", "POST", { type: "webhook", name: "w", config: { url: "http://127.0.0.1:9/" } }],
      ["/api/ui/alert-channels", "POST", { type: "email", name: "m", config: { host: "127.0.0.1", from: "a@example.com", to: ["b@example.com"] } }],
      ["/api/ui/alert-channels", "GET", undefined],
      ["/api/ui/alert-rules", "POST", { name: "r", kind: "offline" }],
      ["/api/ui/monitors", "POST", { name: "m", type: 2, target: "127.0.0.1" }],
      ["/api/ui/maintenance", "PUT", { target: "server", id: 1, enabled: true }],
      ["/api/ui/maintenance/windows", "POST", { target: "server", id: 1, kind: "once", startsAt: new Date().toISOString(), endsAt: new Date(Date.now() + 60_000).toISOString() }],
    ];
    for (const [p, method, body] of attempts) {
      const r = await asUser(p, method, body);
      expect(r.status, `${method} ${p}`).toBe(403);
    }
    expect((await asUser("/api/ui/monitors")).status).toBe(200);
    expect((await asUser("/api/ui/alerts")).status).toBe(200);
  });
});

describe("rules over the real agent's reports", () => {
  it("a maintenance window active now holds a rule back; removed, the rule fires and recovers, with both notices at the webhook", async () => {
    const hook = await startWebhookReceiver();
    closers.push(hook.close);
    const server = await addServer(asAdmin, "alerting-host");
    startAgent(panel.url, server.secret);
    await until("the agent online", async () => ((await asAdmin(`/api/ui/servers/${server.id}`)).json as { online?: boolean }).online);

    // Scheduled maintenance, one-off, from an hour ago to an hour from now.
    const window = await asAdmin("/api/ui/maintenance/windows", "POST", {
      target: "server", id: server.id, kind: "once", startsAt: new Date(Date.now() - 3600_000).toISOString(), endsAt: new Date(Date.now() + 3600_000).toISOString(), note: "patching",
    });
    expect(window.status, window.text).toBe(201);
    expect(window.json).toMatchObject({ target: "server", targetId: server.id, kind: "once", active: true, ended: false, note: "patching" });
    const channelId = await webhookChannel(asAdmin, "ops hook", hook, { headers: { "X-Token": "s3cret" } });
    // The stored header value is never shown back.
    const listed = (await asAdmin("/api/ui/alert-channels")).json as { id: number; config: { headers: Record<string, string> } }[];
    expect(listed.find((c) => c.id === channelId)?.config.headers["X-Token"]).toBe("********");

    const created = await asAdmin("/api/ui/alert-rules", "POST", {
      name: "memory in use", kind: "metric", params: { metric: "memory", above: 0, forSec: 0 }, scope: { type: "servers", ids: [server.id] }, channelIds: [channelId],
    });
    expect(created.status, created.text).toBe(201);
    const ruleId = (created.json as { id: number }).id;

    // In maintenance: reports keep coming, nothing fires. At least three seconds and two new
    // reports (each one a chance to fire: the rule holds at once), however slow the machine.
    const lastActive = async () => ((await asAdmin(`/api/ui/servers/${server.id}`)).json as { lastActive: number | null }).lastActive ?? 0;
    const reportTimes = new Set([await lastActive()]);
    const since = Date.now();
    await until("two more reports in maintenance", async () => {
      reportTimes.add(await lastActive());
      return reportTimes.size >= 3 && Date.now() - since >= 3_000;
    }, 60_000);
    expect(await history(asAdmin, ruleId)).toEqual([]);
    expect(hook.hooks).toEqual([]);

    expect((await asAdmin(`/api/ui/maintenance/windows/${(window.json as { id: number }).id}`, "DELETE")).status).toBe(200);
    const fired = await until("the fire notice", () => hook.hooks.find((h) => h.body.kind === "fire"));
    expect(fired.headers["x-token"]).toBe("s3cret");
    expect(fired.body).toMatchObject({ kind: "fire", rule: { id: ruleId, name: "memory in use", kind: "metric" }, server: { id: server.id, name: "alerting-host" } });
    expect(String(fired.body.text)).toContain("FIRING");

    // Raise the threshold out of reach: the next report recovers it.
    expect((await asAdmin(`/api/ui/alert-rules/${ruleId}`, "PATCH", { params: { metric: "memory", above: 100, forSec: 0 } })).status).toBe(200);
    const recovered = await until("the recovery notice", () => hook.hooks.find((h) => h.body.kind === "recover"));
    expect(recovered.body).toMatchObject({ kind: "recover", rule: { id: ruleId }, server: { id: server.id } });
    expect(hook.hooks.filter((h) => h.body.kind === "fire")).toHaveLength(1);

    const events = await until("the event recorded with both notices sent", async () => {
      const ev = await history(asAdmin, ruleId);
      return ev.length === 1 && ev[0].recoveredAt && ev[0].notifications.every((n) => n.status === "sent") && ev[0].notifications.length === 2 ? ev : null;
    });
    expect(events[0].notifications.map((n) => n.kind)).toEqual(["fire", "recover"]);
    // A user who may list the machine sees the event (without the notices).
    const seen = await history(asUser, ruleId);
    expect(seen).toHaveLength(1);
    expect(seen[0].notifications).toEqual([]);

    // Rule and channel changes are in the audit log.
    const audit = (await asAdmin("/api/ui/audit?action=alert")).json as { entries: { action: string }[] };
    expect(audit.entries.map((e) => e.action)).toEqual(expect.arrayContaining(["alert.rule.create", "alert.rule.update", "alert.channel.create"]));
    await asAdmin(`/api/ui/alert-rules/${ruleId}`, "DELETE");
  }, 120_000);

  it("an offline rule fires when the agent is killed and recovers when it is back", async () => {
    const hook = await startWebhookReceiver();
    closers.push(hook.close);
    const server = await addServer(asAdmin, "flaky-host");
    let agent = startAgent(panel.url, server.secret);
    await until("the agent online", async () => ((await asAdmin(`/api/ui/servers/${server.id}`)).json as { online?: boolean }).online);
    const channelId = await webhookChannel(asAdmin, "offline hook", hook, { template: "slack" });
    const r = await asAdmin("/api/ui/alert-rules", "POST", { name: "host down", kind: "offline", params: { seconds: 0 }, scope: { type: "servers", ids: [server.id] }, channelIds: [channelId] });
    expect(r.status, r.text).toBe(201);

    agent.kill("SIGKILL");
    const fired = await until("the offline notice (Slack body)", () => hook.hooks.find((h) => String(h.body.text).includes("FIRING")), 60_000);
    expect(fired.body.text).toContain("host down on flaky-host");
    agent = startAgent(panel.url, server.secret);
    await until("the back-online notice", () => hook.hooks.find((h) => String(h.body.text).includes("RECOVERED")), 60_000);
    agent.kill("SIGKILL");
    await asAdmin(`/api/ui/alert-rules/${(r.json as { id: number }).id}`, "DELETE");
  }, 120_000);
});

describe("scheduled maintenance", () => {
  it("windows active now put a server, a site or a client in maintenance (UI, Tactical RMM's agents and clients); windows not active do not", async () => {
    const token = (await admin.createToken(admin.adminCookie, "trmm maintenance")).token;
    const trmm = async <T>(p: string) => (await call(panel.url, p, { headers: { "x-api-key": token } })).json as T;
    const mk = async (name: string, client?: string, site?: string) => {
      const r = await asAdmin("/api/ui/servers", "POST", { name, ...(client ? { client, site } : {}) });
      expect(r.status, r.text).toBe(201);
      return (r.json as { id: number }).id;
    };
    const north = await mk("win-north", "Window Co", "North");
    const south = await mk("win-south", "Window Co", "South");
    const elsewhere = await mk("win-elsewhere");
    type State = { servers: { id: number; inMaintenance: boolean; maintenanceMode: boolean }[]; clients: { id: number; name: string; inMaintenance: boolean }[]; sites: { id: number; name: string; client: string; inMaintenance: boolean }[] };
    const state = async () => (await asAdmin("/api/ui/maintenance")).json as State;
    const first = await state();
    const clientId = first.clients.find((c) => c.name === "Window Co")!.id;
    const northSite = first.sites.find((x) => x.client === "Window Co" && x.name === "North")!.id;
    /** Which of the three machines are in maintenance, as the UI and Tactical RMM's agents say. */
    const muted = async () => {
      const [s, agents] = await Promise.all([state(), trmm<{ id: number; maintenance_mode: boolean }[]>("/agents/")]);
      const ui = [north, south, elsewhere].map((id) => s.servers.find((x) => x.id === id)!.inMaintenance);
      expect(agents.filter((a) => [north, south, elsewhere].includes(a.id)).sort((x, y) => x.id - y.id).map((a) => a.maintenance_mode), "Tactical RMM's maintenance_mode agrees").toEqual(ui);
      return ui;
    };
    const add = async (body: Record<string, unknown>) => {
      const r = await asAdmin("/api/ui/maintenance/windows", "POST", body);
      expect(r.status, r.text).toBe(201);
      return r.json as { id: number; active: boolean };
    };
    const at = (ms: number) => new Date(Date.now() + ms).toISOString();
    const clock = (ms: number) => at(ms).slice(11, 16);
    const HOUR = 3600_000;
    const everyDay = [0, 1, 2, 3, 4, 5, 6];

    // Not active now: a one-off tomorrow, a weekly one starting in two hours (UTC).
    expect((await add({ target: "server", id: north, kind: "once", startsAt: at(24 * HOUR), endsAt: at(25 * HOUR) })).active).toBe(false);
    expect((await add({ target: "client", id: clientId, kind: "weekly", days: everyDay, startTime: clock(2 * HOUR), endTime: clock(3 * HOUR), timeZone: "UTC" })).active).toBe(false);
    expect(await muted()).toEqual([false, false, false]);

    // Active now: weekly for the site North, on the wall clock of UTC+9 (an hour ago to an hour ahead there).
    const site = await add({ target: "site", id: northSite, kind: "weekly", days: everyDay, startTime: clock(8 * HOUR), endTime: clock(10 * HOUR), timeZone: "Etc/GMT-9" });
    expect(site.active).toBe(true);
    expect(await muted()).toEqual([true, false, false]);
    // Tactical RMM derives a site's and client's maintenance_mode from their agents.
    const clients = await trmm<{ name: string; maintenance_mode: boolean; sites: { name: string }[] }[]>("/clients/");
    expect(clients.find((c) => c.name === "Window Co")?.maintenance_mode).toBe(true);
    const s1 = await state();
    expect(s1.sites.filter((x) => x.client === "Window Co").map((x) => [x.name, x.inMaintenance])).toEqual([["North", true], ["South", false]]);
    expect(s1.servers.find((x) => x.id === north)?.maintenanceMode, "the switch itself stays off").toBe(false);
    expect((await asAdmin(`/api/ui/maintenance/windows/${site.id}`, "DELETE")).status).toBe(200);
    expect(await muted()).toEqual([false, false, false]);

    // Active now for the whole client: both of its machines, not the one elsewhere.
    const whole = await add({ target: "client", id: clientId, kind: "once", startsAt: at(-HOUR), endsAt: at(HOUR) });
    expect(await muted()).toEqual([true, true, false]);
    await asAdmin(`/api/ui/maintenance/windows/${whole.id}`, "DELETE");
    // The switch is the same concept.
    await asAdmin("/api/ui/maintenance", "PUT", { target: "server", id: elsewhere, enabled: true });
    expect(await muted()).toEqual([false, false, true]);
    await asAdmin("/api/ui/maintenance", "PUT", { target: "server", id: elsewhere, enabled: false });

    const audit = ((await asAdmin("/api/ui/audit?action=maintenance")).json as { entries: { action: string; target: string; detail: string }[] }).entries;
    expect(audit.filter((e) => e.action === "maintenance.window.add").length).toBeGreaterThanOrEqual(4);
    expect(audit.find((e) => e.action === "maintenance.window.remove" && e.target === "Window Co/North")?.detail).toContain("weekly");
  });

  it("bad windows get field errors; unknown targets and windows are not found", async () => {
    const server = await addServer(asAdmin, "win-bad");
    const base = { target: "server", id: server.id };
    const weekly = { ...base, kind: "weekly", days: [1], startTime: "22:00", endTime: "02:00", timeZone: "UTC" };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...base, kind: "once", startsAt: "2030-01-02T10:00:00Z", endsAt: "2030-01-02T09:00:00Z" }, "endsAt"],
      [{ ...base, kind: "once", startsAt: "tomorrow", endsAt: "2030-01-02T09:00:00Z" }, "startsAt"],
      [{ ...weekly, days: [7] }, "days.0"],
      [{ ...weekly, days: [] }, "days"],
      [{ ...weekly, startTime: "25:00" }, "startTime"],
      [{ ...weekly, endTime: "22:00" }, "endTime"],
      [{ ...weekly, timeZone: "Mars/Olympus_Mons" }, "timeZone"],
      [{ ...base, kind: "monthly" }, "kind"],
      [{ ...weekly, target: "planet" }, "target"],
    ];
    for (const [body, field] of cases) {
      const r = await asAdmin("/api/ui/maintenance/windows", "POST", body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(Object.keys(fieldsOf(r)), JSON.stringify(body)).toContain(field);
    }
    expect((await asAdmin("/api/ui/maintenance/windows", "POST", { ...weekly, id: 99_999_999 })).status).toBe(404);
    expect((await asAdmin("/api/ui/maintenance/windows/99999999", "DELETE")).status).toBe(404);
    expect((await asAdmin("/api/ui/maintenance/windows/abc", "DELETE")).status).toBe(404);
  });
});

describe("the monitoring grant", () => {
  it("lets a user add, edit and delete monitors and rules over the machines they may list; channels stay admin-only", async () => {
    const mine = (await asAdmin("/api/ui/servers", "POST", { name: "mon-mine", client: "Mon Co", site: "Main" })).json as { id: number };
    const theirs = await addServer(asAdmin, "mon-theirs");
    const hook = await startWebhookReceiver();
    closers.push(hook.close);
    const channelId = await webhookChannel(asAdmin, "ops for monitoring users", hook, { headers: { Authorization: "Bearer secret" } });
    const u = await admin.createUser("alerts-monitoring", { perms: { canListAgents: true, canManageMonitoring: true } });
    await admin.patchUser(u.id, { allowedClients: "Mon Co" });
    const me = ui(panel, (await login(panel.url, "alerts-monitoring", u.password)).cookie!);
    expect(((await asAdmin("/api/ui/users")).json as { username: string; canManageMonitoring: boolean }[]).find((x) => x.username === "alerts-monitoring")?.canManageMonitoring).toBe(true);

    // Monitors: only on machines this user may list.
    const monitor = { name: "mon ping", type: 2, target: "127.0.0.1" };
    expect(Object.keys(fieldsOf(await me("/api/ui/monitors", "POST", { ...monitor, cover: 0 })))).toContain("cover");
    expect(Object.keys(fieldsOf(await me("/api/ui/monitors", "POST", { ...monitor, cover: 1, serverIds: [mine.id, theirs.id] })))).toContain("serverIds");
    const made = await me("/api/ui/monitors", "POST", { ...monitor, cover: 1, serverIds: [mine.id] });
    expect(made.status, made.text).toBe(201);
    const monitorId = (made.json as { id: number }).id;
    expect((await me(`/api/ui/monitors/${monitorId}`, "PATCH", { intervalSec: 60 })).status).toBe(200);
    expect((await me(`/api/ui/monitors/${monitorId}`, "PATCH", { serverIds: [theirs.id] })).status).toBe(400);
    const adminMonitor = (await asAdmin("/api/ui/monitors", "POST", { ...monitor, name: "everywhere" })).json as { id: number };
    const listed = (await me("/api/ui/monitors")).json as { id: number; manageable: boolean }[];
    expect(listed.find((m) => m.id === monitorId)?.manageable).toBe(true);
    expect(listed.find((m) => m.id === adminMonitor.id)?.manageable).toBe(false);
    expect((await me(`/api/ui/monitors/${adminMonitor.id}`, "PATCH", { intervalSec: 60 })).status).toBe(403);
    expect((await me(`/api/ui/monitors/${adminMonitor.id}`, "DELETE")).status).toBe(403);
    expect((await me(`/api/ui/monitors/${monitorId}`, "DELETE")).status).toBe(200);
    await asAdmin(`/api/ui/monitors/${adminMonitor.id}`, "DELETE");

    // Rules: scopes within the machines this user may list; an existing channel may be named.
    const rule = { name: "mon rule", kind: "offline", params: { seconds: 60 }, channelIds: [channelId] };
    expect(Object.keys(fieldsOf(await me("/api/ui/alert-rules", "POST", { ...rule, scope: { type: "all" } })))).toContain("scope.type");
    expect(Object.keys(fieldsOf(await me("/api/ui/alert-rules", "POST", { ...rule, scope: { type: "servers", ids: [theirs.id] } })))).toContain("scope.ids");
    expect(Object.keys(fieldsOf(await me("/api/ui/alert-rules", "POST", { ...rule, scope: { type: "client", client: "Default" } })))).toContain("scope.client");
    const byServer = await me("/api/ui/alert-rules", "POST", { ...rule, scope: { type: "servers", ids: [mine.id] } });
    expect(byServer.status, byServer.text).toBe(201);
    const byClient = await me("/api/ui/alert-rules", "POST", { ...rule, name: "mon client rule", scope: { type: "client", client: "Mon Co", site: "" } });
    expect(byClient.status, byClient.text).toBe(201);
    const adminRule = (await asAdmin("/api/ui/alert-rules", "POST", { ...rule, name: "fleet-wide" })).json as { id: number };
    const seen = (await me("/api/ui/alert-rules")).json as { rules: { id: number }[]; channels: Record<string, unknown>[] };
    expect(seen.rules.map((r) => r.id).sort()).toEqual([(byServer.json as { id: number }).id, (byClient.json as { id: number }).id].sort());
    // Channels by name only: never where they point or their headers.
    expect(seen.channels.find((c) => c.id === channelId)).toEqual({ id: channelId, name: "ops for monitoring users", type: "webhook", enabled: true });
    // A rule outside their reach does not exist for them.
    expect((await me(`/api/ui/alert-rules/${adminRule.id}`, "PATCH", { muted: true })).status).toBe(404);
    expect((await me(`/api/ui/alert-rules/${adminRule.id}`, "DELETE")).status).toBe(404);
    expect((await me(`/api/ui/alert-rules/${(byServer.json as { id: number }).id}`, "PATCH", { scope: { type: "all" } })).status).toBe(400);
    expect((await me(`/api/ui/alert-rules/${(byServer.json as { id: number }).id}`, "PATCH", { muted: true })).status).toBe(200);
    for (const r of [byServer, byClient]) expect((await me(`/api/ui/alert-rules/${(r.json as { id: number }).id}`, "DELETE")).status).toBe(200);
    await asAdmin(`/api/ui/alert-rules/${adminRule.id}`, "DELETE");

    // Channels, their tests and maintenance stay with admins.
    expect((await me("/api/ui/alert-channels")).status).toBe(403);
    expect((await me("/api/ui/alert-channels", "POST", { type: "webhook", name: "w", config: { url: hook.url } })).status).toBe(403);
    expect((await me(`/api/ui/alert-channels/${channelId}/test`, "POST")).status).toBe(403);
    expect((await me("/api/ui/maintenance", "PUT", { target: "server", id: mine.id, enabled: true })).status).toBe(403);
    expect(hook.hooks).toEqual([]);
    const audit = ((await asAdmin("/api/ui/audit?action=alert.rule")).json as { entries: { action: string; actorName: string }[] }).entries;
    expect(audit.filter((e) => e.actorName === "alerts-monitoring").map((e) => e.action)).toEqual(expect.arrayContaining(["alert.rule.create", "alert.rule.update", "alert.rule.delete"]));
  });
});

describe("monitors run by the real agent", () => {
  it("probes an HTTP and a TCP server the test starts and stops (and 127.0.0.1 by ICMP): down and up again, with notices", async () => {
    // The servers the agent probes, restartable on the same ports.
    const web = http.createServer((_req, res) => res.writeHead(200).end("ok"));
    const tcp = net.createServer((s) => s.end());
    const listen = (srv: net.Server, port = 0) => new Promise<number>((resolve) => srv.listen(port, "127.0.0.1", () => resolve((srv.address() as AddressInfo).port)));
    const close = (srv: http.Server | net.Server) => {
      if (srv instanceof http.Server) srv.closeAllConnections();
      return new Promise((resolve) => srv.close(resolve));
    };
    const webPort = await listen(web);
    const tcpPort = await listen(tcp);
    closers.push(async () => void (await Promise.all([close(web), close(tcp)])));
    let icmp = true;
    try {
      execFileSync("ping", ["-c", "1", "-W", "1", "127.0.0.1"], { stdio: "ignore" });
    } catch (e) {
      icmp = false;
      console.log(`ICMP monitor skipped: ping against 127.0.0.1 does not work here (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }

    const hook = await startWebhookReceiver();
    closers.push(hook.close);
    const server = await addServer(asAdmin, "prober");
    startAgent(panel.url, server.secret);
    await until("the agent online", async () => ((await asAdmin(`/api/ui/servers/${server.id}`)).json as { online?: boolean }).online);
    const channelId = await webhookChannel(asAdmin, "monitor hook", hook);
    const rule = await asAdmin("/api/ui/alert-rules", "POST", { name: "service down", kind: "monitor_down", params: { monitorId: null, failures: 1 }, scope: { type: "servers", ids: [server.id] }, channelIds: [channelId] });
    expect(rule.status, rule.text).toBe(201);

    const made: Record<string, number> = {};
    const mk = async (name: string, type: number, target: string) => {
      const r = await asAdmin("/api/ui/monitors", "POST", { name, type, target, intervalSec: 10, cover: 1, serverIds: [server.id] });
      expect(r.status, r.text).toBe(201);
      made[name] = (r.json as { id: number }).id;
    };
    await mk("web", 1, `http://127.0.0.1:${webPort}/health`);
    await mk("tcp", 3, `127.0.0.1:${tcpPort}`);
    if (icmp) await mk("ping", 2, "127.0.0.1");

    type Row = { id: number; status: { serverId: number; ok: boolean; delayMs: number; error: string }[] };
    const statusOf = async () => {
      const rows = (await asAdmin("/api/ui/monitors")).json as Row[];
      return Object.fromEntries(Object.entries(made).map(([name, id]) => [name, rows.find((r) => r.id === id)?.status.find((s) => s.serverId === server.id)]));
    };
    const up = await until("every monitor up", async () => {
      const s = await statusOf();
      return Object.values(s).every((x) => x?.ok) ? s : null;
    }, 60_000);
    expect(up.web!.delayMs).toBeGreaterThan(0);
    expect(up.tcp!.delayMs).toBeGreaterThan(0);

    await close(web);
    await close(tcp);
    const down = await until("HTTP and TCP down", async () => {
      const s = await statusOf();
      return s.web && !s.web.ok && s.tcp && !s.tcp.ok ? s : null;
    }, 60_000);
    expect(down.web!.error).toBe("ECONNREFUSED");
    if (icmp) expect(down.ping!.ok).toBe(true);
    const subjects = (kind: string) => hook.hooks.filter((h) => h.body.kind === kind).map((h) => h.body.subject).sort();
    await until("fire notices for both", () => subjects("fire").length >= 2);
    expect(subjects("fire")).toEqual([`monitor:${made.tcp}`, `monitor:${made.web}`].sort());

    await listen(web, webPort);
    await listen(tcp, tcpPort);
    await until("recovery notices for both", () => subjects("recover").length >= 2, 60_000);
    expect(subjects("recover")).toEqual([`monitor:${made.tcp}`, `monitor:${made.web}`].sort());
    for (const id of Object.values(made)) await asAdmin(`/api/ui/monitors/${id}`, "DELETE");
    await asAdmin(`/api/ui/alert-rules/${(rule.json as { id: number }).id}`, "DELETE");
  }, 180_000);
});

describe("delivery", () => {
  it("every attempt is recorded: 500 twice then 200 gives three attempts; a webhook that hangs is timed out and never stalls the panel", async () => {
    const flaky = await startWebhookReceiver("ok");
    flaky.failNext = 2;
    const hanging = await startWebhookReceiver("hang");
    closers.push(flaky.close, hanging.close);
    const server = await addServer(asAdmin, "noisy-host");
    startAgent(panel.url, server.secret);
    await until("the agent online", async () => ((await asAdmin(`/api/ui/servers/${server.id}`)).json as { online?: boolean }).online);
    const flakyId = await webhookChannel(asAdmin, "flaky hook", flaky);
    const hangId = await webhookChannel(asAdmin, "hanging hook", hanging);
    const r = await asAdmin("/api/ui/alert-rules", "POST", {
      name: "memory again", kind: "metric", params: { metric: "memory", above: 0, forSec: 0 }, scope: { type: "servers", ids: [server.id] }, channelIds: [flakyId, hangId],
    });
    expect(r.status, r.text).toBe(201);
    const ruleId = (r.json as { id: number }).id;

    await until("the hanging webhook called", () => hanging.hooks.length > 0);
    // While that request hangs, the panel answers and ingest goes on.
    for (let i = 0; i < 5; i++) expect((await asAdmin("/api/ui/servers")).status).toBe(200);
    const before = ((await asAdmin(`/api/ui/servers/${server.id}`)).json as { lastActive?: number | string }).lastActive;
    await until("a newer report while the webhook hangs", async () => ((await asAdmin(`/api/ui/servers/${server.id}`)).json as { lastActive?: number | string }).lastActive !== before);

    const notice = async (channelId: number) => (await history(asAdmin, ruleId))[0]?.notifications.find((n) => n.channelId === channelId);
    const timedOut = await until("the hanging attempt recorded as a timeout", async () => ((await notice(hangId))?.attemptLog.length ? notice(hangId) : null), 60_000);
    expect(timedOut!.attemptLog[0]).toMatchObject({ result: "timeout", httpStatus: null, error: "no answer within 10 s" });
    expect(timedOut!).toMatchObject({ status: "pending", lastError: "no answer within 10 s", channelName: "hanging hook" });

    // Retried with back-off (5 s, then 10 s): two 500s, then delivered.
    const sent = await until("the flaky webhook delivered on the third attempt", async () => ((await notice(flakyId))?.status === "sent" ? notice(flakyId) : null), 60_000);
    expect(sent!.attempts).toBe(3);
    expect(sent!.attemptLog.map((a) => [a.result, a.httpStatus, a.error])).toEqual([
      ["failed", 500, "HTTP 500"],
      ["failed", 500, "HTTP 500"],
      ["sent", 204, ""],
    ]);
    const times = sent!.attemptLog.map((a) => Date.parse(a.at));
    expect(times[1]).toBeGreaterThan(times[0]);
    expect(times[2]).toBeGreaterThan(times[1]);
    expect(flaky.hooks).toHaveLength(3);
    expect(flaky.hooks.every((h) => h.body.kind === "fire")).toBe(true);
    // The outbox as admins see it carries the same attempts.
    const outbox = (await asAdmin("/api/ui/notifications?limit=20")).json as HistoryItem["notifications"];
    expect(outbox.find((n) => n.id === sent!.id)?.attemptLog).toHaveLength(3);
    await asAdmin(`/api/ui/alert-rules/${ruleId}`, "DELETE");
  }, 120_000);

  it("e-mail over SMTP: the send-test button delivers a mail to the test's SMTP server", async () => {
    const smtp = await startSmtpReceiver();
    closers.push(smtp.close);
    const r = await asAdmin("/api/ui/alert-channels", "POST", {
      type: "email", name: "ops mail", config: { host: "127.0.0.1", port: smtp.port, security: "none", from: "fleetdeck@example.com", to: ["ops@example.com"], password: "" },
    });
    expect(r.status, r.text).toBe(201);
    const id = (r.json as { id: number }).id;
    const test = await asAdmin(`/api/ui/alert-channels/${id}/test`, "POST");
    expect(test.json).toEqual({ ok: true, error: "" });
    expect(smtp.mails).toHaveLength(1);
    expect(smtp.mails[0].to).toEqual(["ops@example.com"]);
    expect(smtp.mails[0].from).toBe("fleetdeck@example.com");
    expect(smtp.mails[0].raw).toContain("Test notice");
    // Recorded like any notice: one attempt, sent (mail has no HTTP status).
    const outbox = (await asAdmin("/api/ui/notifications?limit=5")).json as HistoryItem["notifications"];
    expect(outbox.find((n) => n.channelId === id && n.kind === "test")?.attemptLog).toEqual([expect.objectContaining({ result: "sent", httpStatus: null, error: "" })]);

    // A test that cannot arrive says why.
    await smtp.close();
    const down = await asAdmin(`/api/ui/alert-channels/${id}/test`, "POST");
    expect(down.json).toMatchObject({ ok: false });
    expect((down.json as { error: string }).error).not.toBe("");
  });
});

describe("the outbox", () => {
  it("a notice due when the panel is killed between firing and sending is delivered after the restart", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "fleetdeck-outbox-"));
    const hook = await startWebhookReceiver("hang");
    closers.push(hook.close);
    let first: RunningPanel | null = await startPanel({ DATA_DIR: dataDir });
    const cookie = (await login(first.url, ADMIN.username, ADMIN.password)).cookie!;
    const a = ui(first, cookie);
    const server = await addServer(a, "doomed-panel-host");
    const agent = startAgent(first.url, server.secret);
    await until("the agent online", async () => ((await a(`/api/ui/servers/${server.id}`)).json as { online?: boolean }).online);
    const channelId = await webhookChannel(a, "hook", hook);
    const r = await a("/api/ui/alert-rules", "POST", { name: "survives", kind: "metric", params: { metric: "memory", above: 0, forSec: 0 }, scope: { type: "servers", ids: [server.id] }, channelIds: [channelId] });
    const ruleId = (r.json as { id: number }).id;

    // The notice is being sent (the receiver holds the request) when the panel dies.
    await until("the webhook called", () => hook.hooks.length > 0);
    first.proc.kill("SIGKILL");
    await new Promise((resolve) => first!.proc.once("exit", resolve));
    first = null;
    agent.kill("SIGKILL");
    hook.mode = "ok";
    const seen = hook.hooks.length;

    const second = await startPanel({ DATA_DIR: dataDir });
    closers.push(async () => {
      await second.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });
    const b = ui(second, (await login(second.url, ADMIN.username, ADMIN.password)).cookie!);
    await until("the notice delivered after the restart", () => hook.hooks.length > seen);
    const ev = await until("the notice recorded as sent", async () => {
      const items = await history(b, ruleId);
      return items.length === 1 && items[0].notifications[0]?.status === "sent" ? items : null;
    });
    // One event: the restarted panel knew it was already firing.
    expect(ev).toHaveLength(1);
    expect(hook.hooks.at(-1)!.body).toMatchObject({ kind: "fire", rule: { id: ruleId } });
  }, 180_000);
});

describe("Nezha v0 GET /api/v1/monitor/{id}", () => {
  it("answers 400, 404, [] and the last day of ICMP/TCP minutes in Nezha's shape", async () => {
    const token = (await admin.createToken(admin.adminCookie, "nezha monitors")).token;
    const nezha = (p: string, t = token) => call(panel.url, p, { headers: { authorization: t } });

    expect(await nezha("/api/v1/monitor/abc")).toMatchObject({ status: 400, json: { code: 400 } });
    expect(await nezha("/api/v1/monitor/999999")).toMatchObject({ status: 404, json: { code: 404 } });
    const server = await addServer(asAdmin, "pinged-host");
    expect((await nezha(`/api/v1/monitor/${server.id}`)).json).toEqual({ code: 0, message: "success", result: [] });

    const mk = async (body: Record<string, unknown>) => {
      const r = await asAdmin("/api/ui/monitors", "POST", { cover: 1, serverIds: [server.id], ...body });
      expect(r.status, r.text).toBe(201);
      return (r.json as { id: number }).id;
    };
    const tcp = await mk({ name: "tcp-db", type: 3, target: "127.0.0.1:5432" });
    const icmp = await mk({ name: "icmp-gw", type: 2, target: "127.0.0.1" });
    const httpMon = await mk({ name: "web", type: 1, target: "http://127.0.0.1/" });

    // Rows put in through the domain, into the panel's own database file.
    process.env.DATABASE_URL = `file:${path.join(panel.dataDir, "fleetdeck.db")}`;
    const { storeResultRows } = await import("../../lib/fleet/monitors");
    const now = Date.now();
    const minute = (ms: number) => new Date(ms);
    const row = (monitorId: number, at: number, avgDelay: number) => ({ monitorId, serverId: server.id, at: minute(at), resolution: 60 as const, avgDelay, up: 1, down: 0, certDaysLeft: null });
    const t1 = Math.floor((now - 2 * 3600_000) / 60_000) * 60_000;
    const t2 = t1 + 60_000;
    await storeResultRows([
      row(icmp, t2, 2.5), row(tcp, t2, 1.25), row(icmp, t1, 3), row(tcp, t1, 1.5),
      row(httpMon, t1, 40), // HTTP monitors have no per-server rows in Nezha
      row(icmp, now - 25 * 3600_000, 9), // older than a day
      { ...row(icmp, t1 - 3600_000, 0), up: 0, down: 2 },
    ]);
    const r = await nezha(`/api/v1/monitor/${server.id}`);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      code: 0,
      message: "success",
      result: [
        { monitor_id: tcp, server_id: server.id, monitor_name: "tcp-db", server_name: "pinged-host", created_at: [t1, t2], avg_delay: [1.5, 1.25] },
        { monitor_id: icmp, server_id: server.id, monitor_name: "icmp-gw", server_name: "pinged-host", created_at: [t1 - 3600_000, t1, t2], avg_delay: [0, 3, 2.5] },
      ].sort((x, y) => x.monitor_id - y.monitor_id),
    });

    // The UI's charts: latency and loss per monitor.
    const series = (await asAdmin(`/api/ui/servers/${server.id}/monitors`)).json as { monitorId: number; points: { avgDelay: number; loss: number }[] }[];
    expect(series.find((s) => s.monitorId === icmp)!.points.map((p) => p.loss)).toEqual([100, 0, 0]);

    // After a day, minutes become hours (averaged over the answers), kept 30 days.
    const { downsampleResults } = await import("../../lib/fleet/monitors");
    const old = now - 25 * 3600_000;
    await storeResultRows([{ ...row(icmp, old, 11), up: 1, down: 1 }]); // the same hour as the 9 ms minute above
    await downsampleResults(now);
    const month = (await asAdmin(`/api/ui/servers/${server.id}/monitors?range=month`)).json as { monitorId: number; points: { at: number; avgDelay: number; loss: number }[] }[];
    const hourly = month.find((s) => s.monitorId === icmp)!.points.find((p) => p.at === Math.floor(old / 3600_000) * 3600_000);
    expect(hourly).toEqual({ at: Math.floor(old / 3600_000) * 3600_000, avgDelay: 10, loss: 33.3 });

    // A user who may not list the machine gets the unknown server's answer; a cookie works too.
    const bare = await admin.createUser("nezha-bare");
    const bareCookie = (await login(panel.url, "nezha-bare", bare.password)).cookie!;
    expect(await call(panel.url, `/api/v1/monitor/${server.id}`, { headers: { cookie: bareCookie } })).toMatchObject({ status: 404, json: { code: 404 } });
    expect((await call(panel.url, `/api/v1/monitor/${server.id}`, { headers: { cookie: userCookie } })).status).toBe(200);
    expect((await call(panel.url, `/api/v1/monitor/${server.id}`)).status).toBe(403);
  });
});
