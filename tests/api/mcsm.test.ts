import { until } from "../helpers/wait";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import crypto from "node:crypto";
import { createRequire } from "node:module";
import path from "node:path";
import { ADMIN, login, startPanel, type RunningPanel } from "../helpers/panel";

/**
 * MCSManager's API, black-box over real HTTP against the real panel with its real local agent
 * (the daemon of the panel's own host): shapes from the seed (../shared/seeds/mcsmanager-api.md),
 * the error cases of DESIGN.md, and an instance's whole life driven through the API.
 */

let panel: RunningPanel;
let adminCookie: string;
let adminKey: string;
let userKey: string;
let localDaemon: string;
let offlineDaemon: string;

interface Envelope {
  status: number;
  data: unknown;
  time: number;
}
interface Answer {
  http: number;
  body: Envelope;
  text: string;
}

async function call(p: string, init: { method?: string; key?: string | null; headers?: Record<string, string>; body?: unknown } = {}): Promise<Answer> {
  const key = init.key === undefined ? adminKey : init.key;
  const url = new URL(p, panel.url);
  if (key) url.searchParams.set("apikey", key);
  const res = await fetch(url, {
    method: init.method ?? "GET",
    headers: { "content-type": "application/json; charset=utf-8", ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  let body: Envelope;
  try {
    body = JSON.parse(text) as Envelope;
  } catch {
    throw new Error(`${p}: not JSON (HTTP ${res.status}): ${text.slice(0, 200)}`);
  }
  // Every answer, errors included, is the envelope, and the HTTP status equals `status`.
  expect(Object.keys(body).sort(), `${p} envelope`).toEqual(["data", "status", "time"]);
  expect(body.status).toBe(res.status);
  expect(Number.isInteger(body.time)).toBe(true);
  return { http: res.status, body, text };
}

const q = (params: Record<string, string>) => new URLSearchParams(params).toString();


/** Inserts an API token for a user straight into the panel's database (only its hash is stored). */
function insertToken(userId: number): string {
  const require = createRequire(import.meta.url);
  const Database = require("better-sqlite3") as new (file: string) => { prepare(sql: string): { run(...args: unknown[]): unknown }; close(): void };
  const db = new Database(path.join(panel.dataDir, "fleetdeck.db"));
  const secret = "fdk_" + crypto.randomBytes(32).toString("base64url");
  db.prepare(`INSERT INTO "ApiToken" (hash, prefix, note, kind, userId) VALUES (?, ?, 'mcsm test', 'token', ?)`).run(
    crypto.createHash("sha256").update(secret).digest("hex"),
    secret.slice(0, 10),
    userId,
  );
  db.close();
  return secret;
}

async function ui(p: string, method: string, body?: unknown) {
  const res = await fetch(`${panel.url}${p}`, {
    method,
    headers: { "content-type": "application/json", "x-requested-with": "XMLHttpRequest", cookie: adminCookie },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

type Daemon = Record<string, unknown> & { uuid: string; available: boolean; instance: { running: number; total: number } };
const daemons = async () => (await call("/api/service/remote_services_system")).body.data as Daemon[];

beforeAll(async () => {
  panel = await startPanel({ FLEETDECK_LOCAL_AGENT: "1", FLEETDECK_LOCAL_AGENT_INSTANCES: "1", FLEETDECK_AGENT_INTERVAL: "1" });
  const r = await login(panel.url, ADMIN.username, ADMIN.password);
  expect(r.cookie).toBeTruthy();
  adminCookie = r.cookie!;
  const user = await ui("/api/ui/users", "POST", { username: "plainuser", password: "plain-password-1", role: "user" });
  expect(user.status).toBe(201);
  adminKey = insertToken(1);
  userKey = insertToken(user.json.id as number);
  // A second daemon whose agent never connects: it must show as unavailable, never break answers.
  const created = await ui("/api/ui/servers", "POST", { name: "never-connected" });
  expect(created.status).toBe(201);
  const local = await until("the local daemon to report", async () => (await daemons()).find((d) => d.available && (d.system as { hostname: string }).hostname));
  localDaemon = local.uuid;
  // remote_services_system leaves offline daemons out (as MCSManager does): find it in the list.
  offlineDaemon = ((await call("/api/service/remote_services_list")).body.data as Daemon[]).find((d) => d.uuid !== localDaemon)!.uuid;
});
afterAll(() => panel?.stop());

// The seed's example entry (../shared/seeds/mcsmanager-api.md): every field, with its JSON type.
const SEED_ENTRY = {
  version: "3.9.0",
  process: { cpu: 5625000, memory: 132437320, cwd: "D:\\Workspace\\MCSM\\MCSManager-Daemon" },
  instance: { running: 1, total: 6 },
  system: {
    type: "Windows_NT", hostname: "MyComputer", platform: "win32", release: "11.0.22000", uptime: 410445,
    cwd: "D:\\Workspace\\MCSM\\MCSManager-Daemon", loadavg: [0, 0, 0], freemem: 5700775936,
    cpuUsage: 0.0490009222256379, memUsage: 0.6651475749266619, totalmem: 17024741376, processCpu: 0, processMem: 0,
  },
};
const FRACTIONS = new Set(["cpuUsage", "memUsage"]);

/** Same keys as the seed (at least), same JSON types, and integers wherever the seed has a whole-number field. */
function expectSeedShape(actual: unknown, seed: unknown, at: string): void {
  if (Array.isArray(seed)) {
    expect(Array.isArray(actual), at).toBe(true);
    expect((actual as unknown[]).length, at).toBe(seed.length);
    (actual as unknown[]).forEach((v) => expect(typeof v, at).toBe("number"));
    return;
  }
  if (seed !== null && typeof seed === "object") {
    expect(actual !== null && typeof actual === "object", at).toBe(true);
    for (const [k, v] of Object.entries(seed)) expectSeedShape((actual as Record<string, unknown>)[k], v, `${at}.${k}`);
    return;
  }
  expect(typeof actual, at).toBe(typeof seed);
  const key = at.split(".").pop()!;
  if (typeof seed === "number" && !FRACTIONS.has(key)) expect(Number.isInteger(actual), `${at} must be an integer, got ${String(actual)}`).toBe(true);
}

describe("remote_services_system", () => {
  it("answers every online daemon in the seed's shape, plus the fields mcsmapi requires", async () => {
    const list = await daemons();
    expect(list.map((d) => d.uuid)).toEqual([localDaemon]);
    const local = list.find((d) => d.uuid === localDaemon)!;
    expectSeedShape(local, SEED_ENTRY, "data[local]");
    expect(local).toMatchObject({ available: true, prefix: "", port: 0 });
    expect(typeof local.ip).toBe("string");
    expect(typeof local.remarks).toBe("string");
    const sys = local.system as typeof SEED_ENTRY.system;
    expect(sys.cpuUsage).toBeGreaterThanOrEqual(0);
    expect(sys.cpuUsage).toBeLessThanOrEqual(1);
    expect(sys.memUsage).toBeGreaterThan(0);
    expect(sys.memUsage).toBeLessThan(1);
    expect(sys.totalmem).toBeGreaterThan(sys.freemem);
    expect(sys.platform).toBe(process.platform);
    expect(sys.cwd.length).toBeGreaterThan(0);
    const proc = local.process as typeof SEED_ENTRY.process;
    expect(proc.cpu).toBeGreaterThan(0); // µs of CPU time: a running agent has used some
    expect(proc.memory).toBeGreaterThan(1_000_000);
    expect(String(local.version).length).toBeGreaterThan(0);
  });

  it("leaves out a daemon that never connected, as MCSManager leaves out daemons it cannot ask", async () => {
    expect((await daemons()).find((d) => d.uuid === offlineDaemon)).toBeUndefined();
    const listed = ((await call("/api/service/remote_services_list")).body.data as Daemon[]).find((d) => d.uuid === offlineDaemon)!;
    expect(listed).toMatchObject({ available: false, remarks: "never-connected" });
    const withInstances = ((await call("/api/service/remote_services")).body.data as (Daemon & { instances: unknown[] })[]).find((d) => d.uuid === offlineDaemon)!;
    expect(withInstances).toMatchObject({ available: false, instances: [] });
  });

  it("takes the key from X-Request-Api-Key as well as ?apikey=, with or without X-Requested-With", async () => {
    const r = await call("/api/service/remote_services_system", { key: null, headers: { "x-request-api-key": adminKey } });
    expect(r.http).toBe(200);
    const x = await call("/api/service/remote_services_system", { headers: { "x-requested-with": "XMLHttpRequest" } });
    expect(x.http).toBe(200);
  });

  it("keeps a stable order between answers", async () => {
    const a = await call("/api/service/remote_services_system");
    const b = await call("/api/service/remote_services_system");
    expect((a.body.data as Daemon[]).map((d) => d.uuid)).toEqual((b.body.data as Daemon[]).map((d) => d.uuid));
  });
});

describe("authentication and errors (DESIGN.md)", () => {
  it("refuses a missing key with 403 Insufficient Permissions", async () => {
    const r = await call("/api/service/remote_services_system", { key: null });
    expect(r.http).toBe(403);
    expect(r.body.data).toBe("Insufficient Permissions");
  });

  it("refuses a wrong key and a non-admin key on an admin route with 403 Incorrect key", async () => {
    for (const key of ["fdk_wrong", "not-even-a-token", userKey]) {
      const r = await call("/api/service/remote_services_system", { key });
      expect(r.http).toBe(403);
      expect(r.body.data).toBe("Incorrect key");
    }
  });

  it("requires X-Requested-With for a cookie session, and accepts it with the header", async () => {
    const bare = await call("/api/service/remote_services_list", { key: null, headers: { cookie: adminCookie } });
    expect(bare.http).toBe(403);
    expect(bare.body.data).toBe("Unable to find the request header: x-requested-with: xmlhttprequest");
    const ok = await call("/api/service/remote_services_list", { key: null, headers: { cookie: adminCookie, "x-requested-with": "XMLHttpRequest" } });
    expect(ok.http).toBe(200);
  });

  it("answers an unknown path with a 404 envelope", async () => {
    for (const p of ["/api/service/no_such_route", "/api/protected_instance/nope", "/api/overview/nope"]) {
      const r = await call(p);
      expect(r.http, p).toBe(404);
    }
  });

  it("never answers a wrong method with a 500", async () => {
    for (const [method, p] of [["DELETE", "/api/service/remote_services_system"], ["POST", "/api/overview"], ["PATCH", "/api/instance"], ["PUT", "/api/protected_instance/outputlog"]]) {
      const r = await call(p, { method });
      expect(r.http, `${method} ${p}`).toBe(405);
    }
  });

  it("answers unknown daemons and instances with 404, missing parameters with 400", async () => {
    const unknownDaemon = await call(`/api/service/remote_service_instances?${q({ daemonId: "nope", page: "1", page_size: "10" })}`);
    expect(unknownDaemon.http).toBe(404);
    expect(String(unknownDaemon.body.data)).toMatch(/Daemon not found/);
    const unknownInstance = await call(`/api/instance?${q({ daemonId: localDaemon, uuid: "nope" })}`);
    expect(unknownInstance.http).toBe(404);
    expect((await call(`/api/protected_instance/open?${q({ daemonId: localDaemon, uuid: "nope" })}`)).http).toBe(404);
    const noDaemon = await call(`/api/instance?${q({ uuid: "x" })}`);
    expect(noDaemon.http).toBe(400);
    expect(String(noDaemon.body.data)).toMatch(/daemonId/);
    expect((await call(`/api/protected_instance/stop?${q({ daemonId: localDaemon })}`)).http).toBe(400);
    const badPage = await call(`/api/service/remote_service_instances?${q({ daemonId: localDaemon, page: "zero" })}`);
    expect(badPage.http).toBe(400);
    const badStatus = await call(`/api/service/remote_service_instances?${q({ daemonId: localDaemon, status: "7" })}`);
    expect(badStatus.http).toBe(400);
  });

  it("refuses bad instance bodies with 400, not 500", async () => {
    expect((await call(`/api/instance?${q({ daemonId: localDaemon })}`, { method: "POST", body: { nickname: "" } })).http).toBe(400);
    expect((await call(`/api/instance?${q({ daemonId: localDaemon })}`, { method: "POST", body: "not an object" })).http).toBe(400);
    const raw = await fetch(`${panel.url}/api/instance?${q({ daemonId: localDaemon, apikey: adminKey })}`, { method: "POST", body: "{broken", headers: { "content-type": "application/json" } });
    expect(raw.status).toBe(400);
  });

  it("gives a non-admin user no instance: 403", async () => {
    const r = await call(`/api/protected_instance/open?${q({ daemonId: localDaemon, uuid: "x" })}`, { key: userKey });
    expect(r.http).toBe(403);
    const create = await call(`/api/instance?${q({ daemonId: localDaemon })}`, { key: userKey, method: "POST", body: { nickname: "x", startCommand: "true" } });
    expect(create.http).toBe(403);
  });
});

describe("other daemon routes", () => {
  it("lists daemons with their connection fields", async () => {
    const list = (await call("/api/service/remote_services_list")).body.data as Record<string, unknown>[];
    expect(list.map((d) => d.uuid).sort()).toEqual([localDaemon, offlineDaemon].sort());
    for (const d of list) expect(Object.keys(d).sort()).toEqual(["available", "ip", "port", "prefix", "remarks", "uuid"]);
  });

  it("answers the overview with the panel's machine and its online daemons (counting every daemon)", async () => {
    const o = (await call("/api/overview")).body.data as Record<string, unknown> & { remote: Daemon[]; remoteCount: { available: number; total: number } };
    expect(o.remoteCount).toEqual({ available: 1, total: 2 });
    expect(o.remote.map((d) => d.uuid)).toEqual([localDaemon]);
    expect(typeof o.version).toBe("string");
    expect(Number.isInteger((o.system as { totalmem: number }).totalmem)).toBe(true);
  });
});

describe("an instance's life through the API, on the real local agent", () => {
  let uuid = "";
  const ref = () => q({ daemonId: localDaemon, uuid });
  const detail = async () => (await call(`/api/instance?${ref()}`)).body.data as { status: number; config: Record<string, unknown>; instanceUuid: string };

  it("creates an instance and finds it", async () => {
    const r = await call(`/api/instance?${q({ daemonId: localDaemon })}`, {
      method: "POST",
      // What mcsmapi sends: a whole InstanceConfig, most of which Fleetdeck ignores.
      body: { nickname: "echo-bot", startCommand: "sh -c 'while read l; do echo got:$l; done'", stopCommand: "^C", cwd: "", ie: "utf8", oe: "utf8", type: "universal", tag: [], endTime: null, eventTask: { autoStart: false, autoRestart: false, ignore: false } },
    });
    expect(r.http).toBe(200);
    const data = r.body.data as { instanceUuid: string; config: { nickname: string; stopCommand: string } };
    expect(data.config.nickname).toBe("echo-bot");
    expect(data.config.stopCommand).toBe("^C");
    uuid = data.instanceUuid;
    const d = await detail();
    expect(d.instanceUuid).toBe(uuid);
    expect(d.status).toBe(0);

    const page = (await call(`/api/service/remote_service_instances?${q({ remote_uuid: localDaemon, page: "1", page_size: "10", instance_name: "", status: "" })}`)).body.data as {
      maxPage: number; pageSize: number; data: { instanceUuid: string }[];
    };
    expect(page.pageSize).toBe(10);
    expect(page.maxPage).toBe(1);
    expect(page.data.map((i) => i.instanceUuid)).toEqual([uuid]);
    const none = (await call(`/api/service/remote_service_instances?${q({ daemonId: localDaemon, page: "1", page_size: "10", instance_name: "zzz" })}`)).body.data as { data: unknown[] };
    expect(none.data).toEqual([]);
    const byName = (await call(`/api/service/remote_service_instances?${q({ daemonId: localDaemon, instance_name: "ECHO" })}`)).body.data as { data: unknown[] };
    expect(byName.data.length).toBe(1);
    await until("total to count the new instance", async () => ((await daemons()).find((x) => x.uuid === localDaemon)!.instance.total === 1 ? true : undefined));
  });

  it("refuses to stop an instance that is not running, with a clear error", async () => {
    const r = await call(`/api/protected_instance/stop?${ref()}`);
    expect(r.http).toBe(400);
    expect(String(r.body.data)).toMatch(/not running/);
  });

  it("starts it, feeds it a command, reads the output back and stops it", async () => {
    const open = await call(`/api/protected_instance/open?${ref()}`);
    expect(open.http).toBe(200);
    expect(open.body.data).toEqual({ instanceUuid: uuid });
    await until("status running", async () => ((await detail()).status === 3 ? true : undefined));
    const again = await call(`/api/protected_instance/open?${ref()}`);
    expect(again.http).toBe(400);
    expect(String(again.body.data)).toMatch(/already running/);

    const running = (await call(`/api/service/remote_service_instances?${q({ daemonId: localDaemon, status: "3" })}`)).body.data as { data: unknown[] };
    expect(running.data.length).toBe(1);
    await until("running count 1", async () => ((await daemons()).find((x) => x.uuid === localDaemon)!.instance.running === 1 ? true : undefined));

    const cmd = await call(`/api/protected_instance/command?${q({ daemonId: localDaemon, uuid, command: "hello fleet" })}`, { method: "POST" });
    expect(cmd.http).toBe(200);
    const viaGet = await call(`/api/protected_instance/command?${q({ daemonId: localDaemon, uuid, command: "second" })}`);
    expect(viaGet.http).toBe(200);
    const log = await until("the echoed lines", async () => {
      const out = String((await call(`/api/protected_instance/outputlog?${ref()}`)).body.data);
      return out.includes("got:hello fleet") && out.includes("got:second") ? out : undefined;
    });
    const tail = (await call(`/api/protected_instance/outputlog?${ref()}&size=7`)).body.data as string;
    expect(tail).toBe(log.slice(-7));
    expect((await call(`/api/protected_instance/outputlog?${ref()}&size=lots`)).http).toBe(400);

    const stop = await call(`/api/protected_instance/stop?${ref()}`);
    expect(stop.http).toBe(200);
    await until("status stopped", async () => ((await detail()).status === 0 ? true : undefined));
    const cmdStopped = await call(`/api/protected_instance/command?${q({ daemonId: localDaemon, uuid, command: "x" })}`);
    expect(cmdStopped.http).toBe(400);
  });

  it("restarts and kills", async () => {
    expect((await call(`/api/protected_instance/restart?${ref()}`)).http).toBe(200);
    await until("running after restart", async () => ((await detail()).status === 3 ? true : undefined));
    expect((await call(`/api/protected_instance/kill?${ref()}`)).http).toBe(200);
    await until("stopped after kill", async () => ((await detail()).status === 0 ? true : undefined));
  });

  it("updates the definition", async () => {
    const r = await call(`/api/instance?${ref()}`, { method: "PUT", body: { nickname: "renamed", eventTask: { autoRestart: true } } });
    expect(r.http).toBe(200);
    expect(r.body.data).toEqual({ instanceUuid: uuid });
    const d = await detail();
    expect(d.config.nickname).toBe("renamed");
    expect((d.config.eventTask as { autoRestart: boolean }).autoRestart).toBe(true);
  });

  it("answers a start that fails at once with a clear 400", async () => {
    const r = await call(`/api/instance?${q({ daemonId: localDaemon })}`, { method: "POST", body: { nickname: "bad-cwd", startCommand: "true", cwd: "/no/such/dir/anywhere" } });
    const bad = (r.body.data as { instanceUuid: string }).instanceUuid;
    const open = await call(`/api/protected_instance/open?${q({ daemonId: localDaemon, uuid: bad })}`);
    expect(open.http).toBe(400);
    expect(String(open.body.data)).toMatch(/failed to start/);
    expect((await call(`/api/instance?${q({ daemonId: localDaemon })}`, { method: "DELETE", body: { uuids: [bad], deleteFile: false } })).http).toBe(200);
  });

  it("answers at once and clearly when the daemon is offline (never after waiting for a time-out)", async () => {
    const r = await call(`/api/instance?${q({ daemonId: offlineDaemon })}`, { method: "POST", body: { nickname: "far", startCommand: "true" } });
    expect(r.http).toBe(200);
    const far = (r.body.data as { instanceUuid: string }).instanceUuid;
    const open = await call(`/api/protected_instance/open?${q({ daemonId: offlineDaemon, uuid: far })}`);
    expect(open.http).toBe(503);
    expect(String(open.body.data)).toMatch(/offline/);
    // The time-out path has its own wording: an offline daemon must not get there.
    expect(String(open.body.data)).not.toMatch(/did not answer/);
    // The instance belongs to the other daemon: asking for it under the local one is a 404.
    expect((await call(`/api/instance?${q({ daemonId: localDaemon, uuid: far })}`)).http).toBe(404);
  });

  it("deletes the instance", async () => {
    const r = await call(`/api/instance?${q({ daemonId: localDaemon })}`, { method: "DELETE", body: { uuids: [uuid], deleteFile: false } });
    expect(r.http).toBe(200);
    expect(r.body.data).toEqual([uuid]);
    expect((await call(`/api/instance?${ref()}`)).http).toBe(404);
  });
});

describe("the UI API for daemons", () => {
  it("edits remarks, which the MCSManager routes then show", async () => {
    const list = await ui("/api/ui/daemons", "GET");
    expect(list.status).toBe(200);
    const rows = list.json as unknown as { id: number; uuid: string }[];
    const local = rows.find((d) => d.uuid === localDaemon)!;
    const patched = await ui(`/api/ui/daemons/${local.id}`, "PATCH", { remarks: "rack 7" });
    expect(patched.status).toBe(200);
    const d = (await daemons()).find((x) => x.uuid === localDaemon)!;
    expect(d.remarks).toBe("rack 7");
    expect((await ui(`/api/ui/daemons/${local.id}`, "PATCH", { remarks: 5 })).status).toBe(400);
    expect((await ui(`/api/ui/daemons/999999`, "PATCH", { remarks: "x" })).status).toBe(404);
  });

  it("drives an instance through Next's door too, with the agent's refusals as clear 400s", async () => {
    const rows = (await ui("/api/ui/daemons", "GET")).json as unknown as { id: number; uuid: string }[];
    const id = rows.find((d) => d.uuid === localDaemon)!.id;
    const created = await ui(`/api/ui/daemons/${id}/instances`, "POST", { name: "ui-cat", startCommand: "cat" });
    expect(created.status).toBe(201);
    const base = `/api/ui/daemons/${id}/instances/${created.json.uuid as string}`;
    // The agent's error crosses from server.ts's hub into Next's bundle: still a 400, never a 500.
    const stop = await ui(`${base}/action`, "POST", { action: "stop" });
    expect(stop.status).toBe(400);
    expect(stop.json.error).toMatch(/not running/);
    expect((await ui(`${base}/action`, "POST", { action: "explode" })).status).toBe(400);
    expect((await ui(`${base}/action`, "POST", { action: "start" })).status).toBe(200);
    expect((await ui(`${base}/command`, "POST", { command: "meow" })).status).toBe(200);
    await until("cat's echo", async () => (String((await ui(`${base}/output`, "GET")).json.output).includes("meow") ? true : undefined));
    const detail = (await ui(`/api/ui/daemons/${id}`, "GET")).json as { instances: { name: string; status: string }[] };
    expect(detail.instances.find((i) => i.name === "ui-cat")?.status).toBe("running");
    expect((await ui(`${base}/action`, "POST", { action: "kill" })).status).toBe(200);
    expect((await ui(base, "DELETE")).status).toBe(200);
    expect((await ui(`${base}/output`, "GET")).status).toBe(404);
  });
});
