/**
 * MCSManager's users, daemons and batch actions against a real panel and its real local agent,
 * sent exactly as the published clients send them: mcsmapi (Python, `requests` with form-encoded
 * bodies and the key in both the query and the body), the JS/TS SDK (axios: JSON bodies, the
 * batch list in the query of /api/protected_instance/multi_*), and MCSManager's own front end.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, login, startPanel, type RunningPanel } from "../helpers/panel";
import { until } from "../helpers/wait";
import { call as rawCall, Panel, type CallInit } from "./credentials";

let running: RunningPanel;
let panel: Panel;
let key: string;
let localDaemon: string;

type Env = { status: number; data: unknown; time: number };
const m = async (p: string, init: CallInit = {}) => {
  const r = await rawCall(running.url, `${p}${p.includes("?") ? "&" : "?"}apikey=${encodeURIComponent(key)}`, init);
  return { http: r.status, ...(r.json as Env) };
};
/** What `requests` sends for `data={...}`: form-encoded, with mcsmapi's copy of the key in the body. */
const form = (fields: Record<string, string | number>) => ({
  headers: { "content-type": "application/x-www-form-urlencoded" },
  body: new URLSearchParams({ ...Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, String(v)])), apikey: key }).toString(),
});

beforeAll(async () => {
  running = await startPanel({ FLEETDECK_LOCAL_AGENT: "1", FLEETDECK_LOCAL_AGENT_INSTANCES: "1", FLEETDECK_AGENT_INTERVAL: "1" });
  const cookie = (await login(running.url, ADMIN.username, ADMIN.password)).cookie!;
  panel = new Panel(running.url, cookie);
  key = (await panel.createToken(cookie, "mcsm admin")).token;
  localDaemon = await until("the local daemon", async () => ((await m("/api/service/remote_services_system")).data as { uuid: string }[])[0]?.uuid);
});
afterAll(() => running?.stop());

interface User {
  uuid: string;
  userName: string;
  permission: number;
  passWord: string;
  salt: string;
  secret: string;
  apiKey: string;
  instances: { instanceUuid: string; daemonId: string }[];
}

describe("users", () => {
  let bob: string;

  it("creates users from mcsmapi's form-encoded body and the SDK's JSON, mapping 10/1/0/-1", async () => {
    const py = await m("/api/auth", { method: "POST", ...form({ username: "bob", password: "bob-password-1", permission: 1 }) });
    expect(py).toMatchObject({ http: 200, data: { userName: "bob", permission: 1, uuid: expect.stringMatching(/^[0-9a-f]{32}$/) } });
    bob = (py.data as User).uuid;
    expect(await m("/api/auth", { method: "POST", body: { username: "root2", password: "root2-password", permission: 10 } })).toMatchObject({ http: 200, data: { permission: 10 } });
    expect(await m("/api/auth", { method: "POST", body: { username: "guest", password: "guest-password", permission: 0 } })).toMatchObject({ http: 200, data: { permission: 1 } });
    expect(await m("/api/auth", { method: "POST", body: { username: "banned", password: "banned-password", permission: -1 } })).toMatchObject({ http: 200, data: { permission: -1 } });
    expect(await m("/api/auth", { method: "POST", body: { username: "bob", password: "bob-password-1", permission: 1 } })).toMatchObject({ http: 409, status: 409 });
    expect(await m("/api/auth", { method: "POST", body: { username: "x", password: "short", permission: 1 } })).toMatchObject({ http: 400, status: 400 });
    expect(await m("/api/auth", { method: "POST", body: { username: "x1", password: "long-enough-1", permission: 5 } })).toMatchObject({ http: 400, data: expect.stringContaining("permission") });
    expect(await m("/api/auth", { method: "POST", body: { password: "long-enough-1", permission: 1 } })).toMatchObject({ http: 400, data: 'Validator failed: "username" is required!' });
    expect(await m("/api/auth", { method: "POST", body: [1, 2] })).toMatchObject({ http: 400, status: 400 });
  });

  it("searches with page/pageSize (the SDKs) or page_size, filters by name and role, and masks secrets", async () => {
    const r = await m("/api/auth/search?userName=&page=1&pageSize=2&role=");
    expect(r.http).toBe(200);
    const page = r.data as { page: number; pageSize: number; maxPage: number; total: number; data: User[] };
    expect(page).toMatchObject({ page: 1, pageSize: 2, total: 5, maxPage: 3 });
    expect(page.data).toHaveLength(2);
    const admin = page.data.find((u) => u.userName === ADMIN.username)!;
    expect(admin).toMatchObject({ permission: 10, passWord: "", salt: "", secret: "", apiKey: "__MCSM_SECRET_DATA__" });
    expect(Object.keys(admin).sort()).toEqual(["apiKey", "instances", "isInit", "loginTime", "open2FA", "passWord", "passWordType", "permission", "registerTime", "salt", "secret", "userName", "uuid"].sort());
    expect(((await m("/api/auth/search?page=1&page_size=50&userName=BO")).data as { data: User[] }).data.map((u) => u.userName)).toEqual(["bob"]);
    expect(((await m("/api/auth/search?page=1&page_size=50&role=-1")).data as { data: User[] }).data.map((u) => u.userName)).toEqual(["banned"]);
    expect(((await m("/api/auth/search?page=1&page_size=999")).data as { pageSize: number }).pageSize).toBe(50);
    expect(await m("/api/auth/search?role=admin")).toMatchObject({ http: 400 });
  });

  it("assigns instances with PUT {uuid, config}, and refuses what it cannot read", async () => {
    const inst = await m(`/api/instance?daemonId=${localDaemon}`, { method: "POST", body: { nickname: "for-bob", startCommand: "sleep 30" } });
    const instanceUuid = (inst.data as { instanceUuid: string }).instanceUuid;
    expect(await m("/api/auth", { method: "PUT", body: { uuid: bob, config: { instances: [{ instanceUuid, daemonId: localDaemon }] } } })).toMatchObject({ http: 200, data: true });
    const found = ((await m("/api/auth/search?page=1&page_size=50&userName=bob")).data as { data: User[] }).data[0];
    expect(found.instances).toEqual([{ instanceUuid, daemonId: localDaemon }]);
    expect(await m("/api/auth", { method: "PUT", body: { uuid: bob, config: { instances: [{ instanceUuid, daemonId: "other" }] } } })).toMatchObject({ http: 404 });
    expect(await m("/api/auth", { method: "PUT", body: { uuid: bob, config: { permission: -1 } } })).toMatchObject({ http: 200, data: true });
    expect(((await m("/api/auth/search?page=1&page_size=50&userName=bob")).data as { data: User[] }).data[0].permission).toBe(-1);
    expect(await m("/api/auth", { method: "PUT", body: { uuid: "0".repeat(32), config: {} } })).toMatchObject({ http: 404 });
    // mcsmapi form-encodes the nested config, which arrives as its keys only: refused, not misread.
    expect(await m("/api/auth", { method: "PUT", ...form({ uuid: bob, config: "permission" }) })).toMatchObject({ http: 400, data: expect.stringContaining("config") });
    expect(await m("/api/auth", { method: "PUT", body: { uuid: bob, config: { userName: "robert" } } })).toMatchObject({ http: 400 });
  });

  it("answers the caller at GET /api/auth/, and a cookie session needs X-Requested-With", async () => {
    expect(await m("/api/auth/")).toMatchObject({ http: 200, data: { userName: ADMIN.username, permission: 10 } });
    const cookie = panel.adminCookie;
    expect((await rawCall(running.url, "/api/auth/", { headers: { cookie } })).status).toBe(403);
    expect(await rawCall(running.url, "/api/auth/", { headers: { cookie, "x-requested-with": "XMLHttpRequest" } })).toMatchObject({ status: 200, json: { data: { userName: ADMIN.username } } });
    // next-auth lives at /api/nextauth/ now, beside MCSManager's /api/auth routes.
    expect((await rawCall(running.url, "/api/nextauth/csrf")).status).toBe(200);
  });

  it("deletes users from a JSON array of uuids; unknown uuids and non-arrays are refused", async () => {
    const users = ((await m("/api/auth/search?page=1&page_size=50")).data as { data: User[] }).data;
    const guest = users.find((u) => u.userName === "guest")!.uuid;
    expect(await m("/api/auth", { method: "DELETE", body: [guest, "f".repeat(32)] })).toMatchObject({ http: 404 });
    expect(await m("/api/auth", { method: "DELETE", body: { uuid: guest } })).toMatchObject({ http: 400 });
    expect(await m("/api/auth", { method: "DELETE", body: [guest] })).toMatchObject({ http: 200, data: true });
    expect(((await m("/api/auth/search?page=1&page_size=50")).data as { total: number }).total).toBe(users.length - 1);
  });
});

describe("daemons", () => {
  it("adds a daemon (a server whose agent will connect), edits its remarks, checks its link and deletes it", async () => {
    // mcsmapi's Daemon.add: DaemonConfig as a form body.
    const made = await m("/api/service/remote_service", { method: "POST", ...form({ ip: "10.0.0.9", port: 24444, prefix: "", remarks: "rack-9", available: "False", apiKey: "x" }) });
    expect(made).toMatchObject({ http: 200, data: expect.stringMatching(/^[A-Za-z]{40}$/) });
    const uuid = made.data as string;
    const listed = ((await m("/api/service/remote_services_list")).data as { uuid: string; available: boolean; remarks: string }[]).find((d) => d.uuid === uuid);
    expect(listed).toMatchObject({ available: false, remarks: "rack-9" });
    expect(((await m("/api/service/remote_services_system")).data as { uuid: string }[]).map((d) => d.uuid)).not.toContain(uuid);
    expect(await m(`/api/service/link_remote_service?uuid=${uuid}`)).toMatchObject({ http: 200, data: false });
    expect(await m(`/api/service/remote_service?uuid=${uuid}`, { method: "PUT", body: { remarks: "rack-10", ip: "x", port: 1 } })).toMatchObject({ http: 200, data: true });
    expect(((await m("/api/service/remote_services_list")).data as { uuid: string; remarks: string }[]).find((d) => d.uuid === uuid)!.remarks).toBe("rack-10");
    expect(await m(`/api/service/remote_service?uuid=${uuid}`, { method: "DELETE" })).toMatchObject({ http: 200, data: true });
    for (const method of ["PUT", "DELETE"]) expect(await m(`/api/service/remote_service?uuid=${uuid}`, { method, body: {} })).toMatchObject({ http: 404, status: 404 });
    expect(await m("/api/service/remote_service", { method: "DELETE" })).toMatchObject({ http: 400, data: 'Validator failed: "uuid" is required!' });
    expect(await m("/api/service/remote_service", { method: "POST", body: ["x"] })).toMatchObject({ http: 400 });
  });
});

describe("batch actions", () => {
  let a: string;
  let b: string;
  const state = async (uuid: string) => ((await m(`/api/instance?daemonId=${localDaemon}&uuid=${uuid}`)).data as { status: number }).status;

  beforeAll(async () => {
    for (const nick of ["batch-a", "batch-b"]) {
      const r = await m(`/api/instance?daemonId=${localDaemon}`, { method: "POST", body: { nickname: nick, startCommand: "sleep 60" } });
      if (nick === "batch-a") a = (r.data as { instanceUuid: string }).instanceUuid;
      else b = (r.data as { instanceUuid: string }).instanceUuid;
    }
  });

  it("starts with MCSManager's JSON array and answers true at once; kills with the JS SDK's query form", async () => {
    expect(await m("/api/instance/multi_open", { method: "POST", body: [{ instanceUuid: a, daemonId: localDaemon }, { instanceUuid: b, daemonId: localDaemon }] })).toMatchObject({ http: 200, data: true });
    await until("both instances to run", async () => (await state(a)) === 3 && (await state(b)) === 3);
    // axios serializes `params: [{daemonId, instanceUuid}]` as 0[daemonId]=…&0[instanceUuid]=…
    const q = new URLSearchParams({ "0[daemonId]": localDaemon, "0[instanceUuid]": a, "1[daemonId]": localDaemon, "1[instanceUuid]": b }).toString();
    expect(await m(`/api/protected_instance/multi_kill?${q}`, { method: "POST", body: {} })).toMatchObject({ http: 200, data: true });
    await until("both instances to stop", async () => (await state(a)) === 0 && (await state(b)) === 0);
  });

  it("accepts the JS SDK's multi_start and {uuid, daemonId} items, form-encoded too; audits each action", async () => {
    expect(await m("/api/protected_instance/multi_start", { method: "POST", body: [{ uuid: a, daemonId: localDaemon }] })).toMatchObject({ http: 200, data: true });
    await until("a to run", async () => (await state(a)) === 3);
    expect(await m("/api/instance/multi_stop", { method: "POST", ...form({ uuid: a, daemonId: localDaemon }) })).toMatchObject({ http: 200, data: true });
    await until("a to stop", async () => (await state(a)) === 0);
    const audit = (await panel.asAdmin("/api/ui/audit?action=instance")).json as { entries: { action: string; detail: string; target: string }[] };
    expect(audit.entries.filter((e) => /start/.test(e.action)).length).toBeGreaterThanOrEqual(3);
  });

  it("refuses unknown daemons or instances (nothing done) and malformed lists, in the envelope", async () => {
    expect(await m("/api/instance/multi_open", { method: "POST", body: [{ instanceUuid: a, daemonId: "nope" }] })).toMatchObject({ http: 404, status: 404 });
    expect(await m("/api/instance/multi_open", { method: "POST", body: [{ instanceUuid: "nope", daemonId: localDaemon }] })).toMatchObject({ http: 404 });
    expect(await m("/api/instance/multi_open", { method: "POST", body: [{ daemonId: localDaemon }] })).toMatchObject({ http: 400 });
    expect(await m("/api/instance/multi_open", { method: "POST" })).toMatchObject({ http: 400, status: 400 });
    expect(await m("/api/instance/multi_open", { method: "POST", body: "[not json" })).toMatchObject({ http: 400, status: 400 });
  });
});
