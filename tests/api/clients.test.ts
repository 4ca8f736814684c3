/**
 * Tactical RMM's clients and sites (`/clients/`, `/clients/sites/`) against a real panel: the
 * document's first example (`curl …/clients/`), field names and order, string answers, the
 * refusals, moving machines, permissions and role filtering, and the UI's page API.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, login, startPanel, type RunningPanel } from "../helpers/panel";
import { call as rawCall, Panel, session, type CallInit } from "./credentials";

const run = promisify(execFile);

const CLIENT_KEYS = ["id", "name", "server_policy", "workstation_policy", "alert_template", "block_policy_inheritance", "sites", "custom_fields", "agent_count", "maintenance_mode", "failing_checks"];
const SITE_KEYS = ["id", "name", "server_policy", "workstation_policy", "alert_template", "client_name", "client", "custom_fields", "agent_count", "block_policy_inheritance", "maintenance_mode", "failing_checks"];
const FORBIDDEN = { detail: "You do not have permission to perform this action." };

interface Site {
  id: number;
  name: string;
  client: number;
  client_name: string;
  agent_count?: number;
}
interface Client {
  id: number;
  name: string;
  sites: Site[];
  agent_count?: number;
}

let running: RunningPanel;
let panel: Panel;
let key: string;
const as = (k: string) => (p: string, init: CallInit = {}) => rawCall(running.url, p, { ...init, headers: { "x-api-key": k, ...init.headers } });
let api: ReturnType<typeof as>;
const clients = async () => (await api("/clients/")).json as Client[];
const byName = async (name: string) => (await clients()).find((c) => c.name === name)!;
const agentsOf = async () => ((await api("/agents/?detail=false")).json as { hostname: string; client: string; site: string }[]).map((a) => [a.hostname, a.client, a.site]);

beforeAll(async () => {
  running = await startPanel();
  const cookie = (await login(running.url, ADMIN.username, ADMIN.password)).cookie!;
  panel = new Panel(running.url, cookie);
  key = (await panel.createToken(cookie, "clients")).token;
  api = as(key);
  for (const [name, client, site] of [["a1", "Acme", "Berlin"], ["a2", "Acme", "Paris"], ["b1", "Beta", "Main"]]) {
    expect((await panel.asAdmin("/api/ui/servers", { method: "POST", body: { name, client, site } })).status).toBe(201);
  }
});
afterAll(() => running?.stop());

describe("reading", () => {
  it("answers the document's curl example with every client, its sites and counts, in Tactical RMM's field order", async () => {
    const { stdout } = await run("curl", ["-s", "-f", `${running.url}/clients/`, "-H", `X-API-KEY: ${key}`]);
    const list = JSON.parse(stdout) as Client[];
    expect(list.map((c) => c.name)).toEqual(["Acme", "Beta", "Default"]);
    for (const c of list) {
      expect(Object.keys(c)).toEqual(CLIENT_KEYS);
      for (const s of c.sites) expect(Object.keys(s)).toEqual(SITE_KEYS);
    }
    const acme = list[0];
    expect(acme).toMatchObject({ server_policy: null, workstation_policy: null, alert_template: null, block_policy_inheritance: false, custom_fields: [], agent_count: 2, maintenance_mode: false, failing_checks: { error: false, warning: false } });
    expect(acme.sites.map((s) => [s.name, s.client_name, s.client, s.agent_count])).toEqual([["Berlin", "Acme", acme.id, 1], ["Paris", "Acme", acme.id, 1]]);
  });

  it("leaves the counts out of one client and of the sites routes, as Tactical RMM does", async () => {
    const acme = await byName("Acme");
    const one = (await api(`/clients/${acme.id}/`)).json as Record<string, unknown>;
    expect(Object.keys(one)).toEqual(CLIENT_KEYS.filter((k) => k !== "agent_count" && k !== "maintenance_mode"));
    const sites = (await api("/clients/sites/")).json as Record<string, unknown>[];
    expect(sites.length).toBe(4);
    for (const s of sites) expect(Object.keys(s)).toEqual(SITE_KEYS.filter((k) => k !== "agent_count" && k !== "maintenance_mode"));
    expect((await api(`/clients/sites/${acme.sites[0].id}`)).json).toMatchObject({ name: "Berlin", client_name: "Acme" });
  });

  it("answers 404 in Django's words for unknown ids", async () => {
    expect(await api("/clients/99999/")).toMatchObject({ status: 404, json: { detail: "No Client matches the given query." } });
    expect(await api("/clients/abc/")).toMatchObject({ status: 404, json: { detail: "No Client matches the given query." } });
    expect(await api("/clients/sites/99999/")).toMatchObject({ status: 404, json: { detail: "No Site matches the given query." } });
    expect(await api("/clients/99999/", { method: "PUT", body: { client: { name: "x" } } })).toMatchObject({ status: 404 });
    expect(await api("/clients/sites/99999/", { method: "DELETE" })).toMatchObject({ status: 404 });
  });
});

describe("writing", () => {
  it("adds a client with its first site, refuses duplicates and names with |, and malformed bodies", async () => {
    expect(await api("/clients/", { method: "POST", body: { client: { name: "Gamma" }, site: { name: "HQ" } } })).toMatchObject({ status: 200, json: "Gamma was added" });
    expect((await byName("Gamma")).sites.map((s) => s.name)).toEqual(["HQ"]);
    expect(await api("/clients/", { method: "POST", body: { client: { name: "Gamma" }, site: { name: "HQ" } } })).toMatchObject({ status: 400, json: { name: [expect.any(String)] } });
    expect(await api("/clients/", { method: "POST", body: { client: { name: "A|B" }, site: { name: "x" } } })).toMatchObject({ status: 400, json: { non_field_errors: ["Client name cannot contain the | character"] } });
    expect(await api("/clients/", { method: "POST", body: { client: { name: "Delta" }, site: { name: "a|b" } } })).toMatchObject({ status: 400, json: { non_field_errors: ["Site name cannot contain the | character"] } });
    expect((await clients()).map((c) => c.name)).not.toContain("Delta");
    expect(await api("/clients/", { method: "POST", body: { client: { name: "" }, site: { name: "x" } } })).toMatchObject({ status: 400, json: { name: ["This field may not be blank."] } });
    expect(await api("/clients/", { method: "POST", body: { client: { name: "X" } } })).toMatchObject({ status: 400, json: { site: ["This field is required."] } });
    expect(await api("/clients/", { method: "POST", body: [{ client: { name: "X" } }] })).toMatchObject({ status: 400, json: { non_field_errors: [expect.any(String)] } });
    const form = await api("/clients/", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "client=X" });
    expect(form).toMatchObject({ status: 400, json: { detail: expect.stringContaining("JSON") } });
  });

  it("renames a client (answering Tactical RMM's literal string) and its machines follow", async () => {
    const beta = await byName("Beta");
    expect(await api(`/clients/${beta.id}/`, { method: "PUT", body: { client: { name: "Beta2" } } })).toMatchObject({ status: 200, json: "{client} was updated" });
    expect(await agentsOf()).toContainEqual(["b1", "Beta2", "Main"]);
  });

  it("adds, renames and deletes sites, keeping at least one per client and moving machines", async () => {
    const acme = await byName("Acme");
    expect(await api("/clients/sites/", { method: "POST", body: { site: { client: acme.id, name: "Rome" } } })).toMatchObject({ status: 200, json: "Site Rome was added!" });
    expect(await api("/clients/sites/", { method: "POST", body: { site: { client: acme.id, name: "Rome" } } })).toMatchObject({ status: 400 });
    expect(await api("/clients/sites/", { method: "POST", body: { site: { client: 99999, name: "Nowhere" } } })).toMatchObject({ status: 400, json: { client: [expect.any(String)] } });
    expect(await api("/clients/sites/", { method: "POST", body: { site: {} } })).toMatchObject({ status: 400, json: { client: ["This field is required."], name: ["This field is required."] } });
    const rome = (await byName("Acme")).sites.find((s) => s.name === "Rome")!;
    expect(await api(`/clients/sites/${rome.id}/`, { method: "PUT", body: { site: { name: "Roma" } } })).toMatchObject({ status: 200, json: "Site was edited" });
    const berlin = acme.sites.find((s) => s.name === "Berlin")!;
    expect(await api(`/clients/sites/${berlin.id}/`, { method: "DELETE" })).toMatchObject({ status: 400, json: "There needs to be a site specified to move the agents to" });
    expect(await api(`/clients/sites/${berlin.id}/?move_to_site=${rome.id}`, { method: "DELETE" })).toMatchObject({ status: 200, json: "Berlin was deleted" });
    expect(await agentsOf()).toContainEqual(["a1", "Acme", "Roma"]);
    const gamma = await byName("Gamma");
    expect(await api(`/clients/sites/${gamma.sites[0].id}/`, { method: "DELETE" })).toMatchObject({ status: 400, json: "A client must have at least 1 site." });
  });

  it("deletes a client only with a site for its machines (move_to_site)", async () => {
    const beta = await byName("Beta2");
    const gamma = await byName("Gamma");
    expect(await api(`/clients/${beta.id}/`, { method: "DELETE" })).toMatchObject({
      status: 400,
      json: "Agents exist under this client. There needs to be a site specified to move existing agents to",
    });
    expect(await api(`/clients/${beta.id}/?move_to_site=${gamma.sites[0].id}`, { method: "DELETE" })).toMatchObject({ status: 200, json: "Beta2 was deleted" });
    expect(await agentsOf()).toContainEqual(["b1", "Gamma", "HQ"]);
    expect((await clients()).map((c) => c.name)).not.toContain("Beta2");
  });
});

describe("permissions and role filtering", () => {
  it("needs can_list_clients / can_manage_clients / can_list_sites / can_manage_sites", async () => {
    const bare = await panel.createUser("c-bare");
    const bareKey = (await panel.createToken((await login(running.url, "c-bare", bare.password)).cookie!, "bare")).token;
    expect(await as(bareKey)("/clients/")).toMatchObject({ status: 403, json: FORBIDDEN });
    expect(await as(bareKey)("/clients/sites/")).toMatchObject({ status: 403, json: FORBIDDEN });
    const reader = await panel.createUser("c-reader", { perms: { canListClients: true, canListSites: true } });
    const readerKey = (await panel.createToken((await login(running.url, "c-reader", reader.password)).cookie!, "reader")).token;
    expect((await as(readerKey)("/clients/")).status).toBe(200);
    expect(await as(readerKey)("/clients/", { method: "POST", body: { client: { name: "Nope" }, site: { name: "x" } } })).toMatchObject({ status: 403, json: FORBIDDEN });
  });

  it("shows a user limited to a client only that client, and one limited to a site only that site", async () => {
    const u = await panel.createUser("c-acme", { perms: { canListClients: true, canListSites: true, canManageSites: true } });
    await panel.patchUser(u.id, { allowedClients: "Acme" });
    const k = (await panel.createToken((await login(running.url, "c-acme", u.password)).cookie!, "acme")).token;
    expect(((await as(k)("/clients/")).json as Client[]).map((c) => c.name)).toEqual(["Acme"]);
    const gamma = await byName("Gamma");
    expect(await as(k)(`/clients/${gamma.id}/`)).toMatchObject({ status: 403, json: FORBIDDEN });
    expect(await as(k)("/clients/sites/", { method: "POST", body: { site: { client: gamma.id, name: "Sneaky" } } })).toMatchObject({ status: 403 });

    const s = await panel.createUser("c-hq", { perms: { canListClients: true, canListSites: true } });
    await panel.patchUser(s.id, { allowedSites: "HQ" });
    const sk = (await panel.createToken((await login(running.url, "c-hq", s.password)).cookie!, "hq")).token;
    const seen = (await as(sk)("/clients/")).json as Client[];
    expect(seen.map((c) => [c.name, c.sites.map((x) => x.name)])).toEqual([["Gamma", ["HQ"]]]);
    expect(((await as(sk)("/clients/sites/")).json as Site[]).map((x) => x.name)).toEqual(["HQ"]);
  });
});

describe("the panel's clients page API", () => {
  it("lists, adds and deletes clients and sites, and moves an agent to an existing site", async () => {
    const list = (await panel.asAdmin("/api/ui/clients")).json as { clients: { id: number; name: string; sites: { id: number; name: string }[] }[] };
    expect(list.clients.map((c) => c.name)).toContain("Acme");
    const made = await panel.asAdmin("/api/ui/clients", { method: "POST", body: { name: "Epsilon", siteName: "One" } });
    expect(made.status, made.text).toBe(201);
    const site = await panel.asAdmin("/api/ui/sites", { method: "POST", body: { clientId: (made.json as { id: number }).id, name: "Two" } });
    expect(site.status, site.text).toBe(201);
    const a1 = ((await api("/agents/?detail=false")).json as { agent_id: string; hostname: string }[]).find((a) => a.hostname === "a1")!;
    const moved = await panel.asAdmin(`/api/ui/agents/${a1.agent_id}`, { method: "PATCH", body: { siteId: (site.json as { id: number }).id } });
    expect(moved.status, moved.text).toBe(200);
    expect(await agentsOf()).toContainEqual(["a1", "Epsilon", "Two"]);
    expect((await panel.asAdmin(`/api/ui/agents/${a1.agent_id}`, { method: "PATCH", body: { siteId: 999999 } })).status).toBe(404);
    expect(await rawCall(running.url, `/api/ui/sites/${(site.json as { id: number }).id}`, { method: "DELETE", headers: session(panel.adminCookie) })).toMatchObject({ status: 400 });
  });
});
