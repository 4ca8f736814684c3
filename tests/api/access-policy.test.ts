import { until } from "../helpers/wait";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, login, startPanel, type RunningPanel } from "../helpers/panel";
import { call, Panel } from "./credentials";

/**
 * One access policy, four doors: a restricted user sees exactly the same machines through
 * Nezha's API, Tactical RMM's, and the panel UI's (servers and agents), and reaches exactly the
 * instances assigned to them through MCSManager's API and the UI, nothing else of their daemon.
 * Black-box over real HTTP against the real panel, with its real local agent running instances.
 */

let running: RunningPanel;
let panel: Panel;
let adminToken: string;
let localDaemon: { id: number; uuid: string };
const servers: Record<"acme1" | "acme2" | "hq" | "other", { id: number; agentId: string }> = {} as never;
const tokens = {} as Record<"limited" | "siteOnly" | "nolist" | "assignee", string>;
let assigned: string;
let notAssigned: string;

const nezha = (token: string, p: string) => call(running.url, p, { headers: { authorization: token } });
const trmm = (token: string, p: string, init: { method?: string; body?: unknown } = {}) => call(running.url, p, { ...init, headers: { "x-api-key": token } });
const mcsm = (token: string, p: string, init: { method?: string; body?: unknown } = {}) =>
  call(running.url, `${p}${p.includes("?") ? "&" : "?"}apikey=${encodeURIComponent(token)}`, { ...init, headers: { "content-type": "application/json" } });
const ui = (token: string, p: string, init: { method?: string; body?: unknown } = {}) => call(running.url, p, { ...init, headers: { authorization: `Bearer ${token}` } });


async function userToken(name: string, patch: Record<string, unknown>): Promise<string> {
  const u = await panel.createUser(name);
  await panel.patchUser(u.id, patch);
  const cookie = (await login(running.url, name, u.password)).cookie!;
  return (await panel.createToken(cookie, `${name} token`)).token;
}

beforeAll(async () => {
  running = await startPanel({ FLEETDECK_LOCAL_AGENT: "1", FLEETDECK_LOCAL_AGENT_INSTANCES: "1", FLEETDECK_AGENT_INTERVAL: "1" });
  const cookie = (await login(running.url, ADMIN.username, ADMIN.password)).cookie!;
  panel = new Panel(running.url, cookie);
  adminToken = (await panel.createToken(cookie, "admin")).token;

  const add = async (name: string, client: string, site: string) => {
    const r = await panel.asAdmin("/api/ui/servers", { method: "POST", body: { name, client, site } });
    expect(r.status, r.text).toBe(201);
    const id = (r.json as { id: number }).id;
    const agent = (await trmm(adminToken, `/agents/?detail=false`)).json as { id: number; agent_id: string }[];
    return { id, agentId: agent.find((a) => a.id === id)!.agent_id };
  };
  servers.acme1 = await add("acme-1", "Acme", "Plant");
  servers.acme2 = await add("acme-2", "Acme", "Office");
  servers.hq = await add("globex-hq", "Globex", "HQ");
  servers.other = await add("initech", "Initech", "Main");

  localDaemon = await until("the local agent's daemon", async () => {
    const rows = (await panel.asAdmin("/api/ui/daemons")).json as { id: number; uuid: string; online: boolean; name: string }[];
    const local = rows.find((d) => d.online);
    return local ? { id: local.id, uuid: local.uuid } : undefined;
  });
  const make = async (nickname: string) => {
    const r = await mcsm(adminToken, `/api/instance?daemonId=${localDaemon.uuid}`, { method: "POST", body: { nickname, startCommand: "cat" } });
    expect(r.status, r.text).toBe(200);
    return (r.json as { data: { instanceUuid: string } }).data.instanceUuid;
  };
  assigned = await make("theirs");
  notAssigned = await make("not-theirs");

  tokens.limited = await userToken("limited", { canListAgents: true, allowedClients: "Acme" });
  tokens.siteOnly = await userToken("site-only", { canListAgents: true, allowedSites: "HQ" });
  tokens.nolist = await userToken("nolist", { canSendCmd: true, allowedClients: "Acme" });
  tokens.assignee = await userToken("assignee", { instances: [assigned] });
}, 120_000);
afterAll(() => running?.stop());

/** The server ids a token sees through each door that lists machines. */
async function seenThroughEveryDoor(token: string) {
  const nezhaList = (await nezha(token, "/api/v1/server/list")).json as { result: { id: number }[] };
  const nezhaDetails = (await nezha(token, "/api/v1/server/details")).json as { result: { id: number }[] };
  const uiServers = (await ui(token, "/api/ui/servers")).json as { id: number }[];
  const trmmAgents = await trmm(token, "/agents/?detail=false");
  const uiAgents = await ui(token, "/api/ui/agents");
  const ids = (xs: { id: number }[]) => xs.map((x) => x.id).sort((a, b) => a - b);
  return {
    nezhaList: ids(nezhaList.result),
    nezhaDetails: ids(nezhaDetails.result),
    ui: ids(uiServers),
    trmm: trmmAgents.status === 200 ? ids(trmmAgents.json as { id: number }[]) : trmmAgents.status,
    uiAgents: uiAgents.status === 200 ? ids((uiAgents.json as { agents: { id: number }[] }).agents) : uiAgents.status,
  };
}

describe("the same machines through every door", () => {
  it("limits a client-restricted user to that client's machines everywhere", async () => {
    const want = [servers.acme1.id, servers.acme2.id].sort((a, b) => a - b);
    expect(await seenThroughEveryDoor(tokens.limited)).toEqual({ nezhaList: want, nezhaDetails: want, ui: want, trmm: want, uiAgents: want });
  });

  it("limits a site-restricted user to that site's machines everywhere", async () => {
    const want = [servers.hq.id];
    expect(await seenThroughEveryDoor(tokens.siteOnly)).toEqual({ nezhaList: want, nezhaDetails: want, ui: want, trmm: want, uiAgents: want });
  });

  it("shows no machine at all to a user without can_list_agents (Tactical RMM refuses, the others list nothing)", async () => {
    expect(await seenThroughEveryDoor(tokens.nolist)).toEqual({ nezhaList: [], nezhaDetails: [], ui: [], trmm: 403, uiAgents: 403 });
  });

  it("refuses a machine outside the limits when it is named directly, and skips it in id lists", async () => {
    const other = servers.other;
    const details = (await nezha(tokens.limited, `/api/v1/server/details?id=${other.id},${servers.acme1.id}`)).json as { result: { id: number }[] };
    expect(details.result.map((s) => s.id)).toEqual([servers.acme1.id]);
    expect((await trmm(tokens.limited, `/agents/${other.agentId}/`)).status).toBe(403);
    expect((await ui(tokens.limited, `/api/ui/servers/${other.id}`)).status).toBe(403);
    expect((await ui(tokens.limited, `/api/ui/servers/${other.id}/history`)).status).toBe(403);
    expect((await ui(tokens.limited, `/api/ui/agents/${other.agentId}`)).status).toBe(403);
    expect((await trmm(tokens.limited, `/agents/${servers.acme1.agentId}/`)).status).toBe(200);
    // A command to a machine outside the limits is refused before anything is recorded.
    const cmd = await trmm(tokens.nolist, `/agents/${other.agentId}/cmd/`, { method: "POST", body: { shell: "/bin/sh", cmd: "true", timeout: 5 } });
    expect(cmd.status).toBe(403);
  });

  it("keeps admin-only routes admin-only for every restricted user", async () => {
    for (const token of Object.values(tokens)) {
      expect((await mcsm(token, "/api/service/remote_services_system")).status).toBe(403);
      expect((await ui(token, "/api/ui/daemons")).status).toBe(403);
      expect((await ui(token, `/api/ui/daemons/${localDaemon.id}`)).status).toBe(403);
      expect((await nezha(token, "/api/v1/server/register")).status).not.toBe(200);
    }
  });
});

describe("instances the MCSManager way", () => {
  const ref = (uuid: string) => `daemonId=${localDaemon.uuid}&uuid=${uuid}`;

  it("lets a user see and control an assigned instance through MCSManager's routes", async () => {
    const got = await mcsm(tokens.assignee, `/api/instance?${ref(assigned)}`);
    expect(got.status, got.text).toBe(200);
    expect((got.json as { data: { config: { nickname: string } } }).data.config.nickname).toBe("theirs");
    const open = await mcsm(tokens.assignee, `/api/protected_instance/open?${ref(assigned)}`);
    expect(open.status, open.text).toBe(200);
    await until("the assigned instance running", async () => {
      const d = (await mcsm(tokens.assignee, `/api/instance?${ref(assigned)}`)).json as { data: { status: number } };
      return d.data.status === 3 ? true : undefined;
    });
    expect((await mcsm(tokens.assignee, `/api/protected_instance/command?${ref(assigned)}&command=hello-from-assignee`)).status).toBe(200);
    const out = await until("the echoed line", async () => {
      const r = (await mcsm(tokens.assignee, `/api/protected_instance/outputlog?${ref(assigned)}`)).json as { data: string };
      return r.data.includes("hello-from-assignee") ? r.data : undefined;
    });
    expect(out).toContain("hello-from-assignee");
    expect((await mcsm(tokens.assignee, `/api/protected_instance/kill?${ref(assigned)}`)).status).toBe(200);
  });

  it("refuses the rest of that daemon's instances, existing or not, and their definitions", async () => {
    for (const path of ["/api/instance", "/api/protected_instance/open", "/api/protected_instance/stop", "/api/protected_instance/outputlog"]) {
      const r = await mcsm(tokens.assignee, `${path}?${ref(notAssigned)}`);
      expect(r.status, `${path}: ${r.text}`).toBe(403);
      expect((await mcsm(tokens.assignee, `${path}?${ref("does-not-exist")}`)).status).toBe(403);
    }
    const create = await mcsm(tokens.assignee, `/api/instance?daemonId=${localDaemon.uuid}`, { method: "POST", body: { nickname: "x", startCommand: "true" } });
    expect(create.status).toBe(403);
    const edit = await mcsm(tokens.assignee, `/api/instance?${ref(assigned)}`, { method: "PUT", body: { startCommand: "rm -rf /" } });
    expect(edit.status).toBe(403);
  });

  it("gives the same answer through the UI: only the assigned instance is listed and usable", async () => {
    const mine = (await ui(tokens.assignee, "/api/ui/instances")).json as { instance: { uuid: string } }[];
    expect(mine.map((m) => m.instance.uuid)).toEqual([assigned]);
    const base = `/api/ui/daemons/${localDaemon.id}/instances`;
    expect((await ui(tokens.assignee, `${base}/${assigned}/output`)).status).toBe(200);
    expect((await ui(tokens.assignee, `${base}/${notAssigned}/output`)).status).toBe(403);
    expect((await ui(tokens.assignee, `${base}/${notAssigned}/action`, { method: "POST", body: { action: "start" } })).status).toBe(403);
    // Admins see every instance.
    const all = (await ui(adminToken, "/api/ui/instances")).json as { instance: { uuid: string } }[];
    expect(all.map((m) => m.instance.uuid).sort()).toEqual([assigned, notAssigned].sort());
  });

  it("audits who acted on the instance, from where, on which server and instance", async () => {
    const page = (await panel.asAdmin("/api/ui/audit?action=instance")).json as { entries: { action: string; actorName: string; detail: string; ip: string; target: string }[] };
    const input = page.entries.find((e) => e.action === "instance.input" && e.actorName === "assignee");
    expect(input, JSON.stringify(page.entries.slice(0, 5))).toBeTruthy();
    expect(input!.detail).toContain(assigned);
    expect(input!.detail).toContain("hello-from-assignee");
    expect(input!.ip).toBeTruthy();
    expect(page.entries.some((e) => e.action === "instance.start" && e.actorName === "assignee")).toBe(true);
    expect(page.entries.some((e) => e.action === "instance.create" && e.actorName === "admin")).toBe(true);
  });

  it("lets an admin assign instances on the users page's API, and refuses unknown ones", async () => {
    const users = (await panel.asAdmin("/api/ui/users")).json as { id: number; username: string; instances: { uuid: string }[] }[];
    const assignee = users.find((u) => u.username === "assignee")!;
    expect(assignee.instances.map((i) => i.uuid)).toEqual([assigned]);
    const bad = await panel.asAdmin(`/api/ui/users/${assignee.id}`, { method: "PATCH", body: { instances: ["nope"] } });
    expect(bad.status).toBe(400);
  });
});



