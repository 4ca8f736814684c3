import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, login, startPanel, type RunningPanel } from "../helpers/panel";
import { call, Panel, session, TOKEN_FORMAT, waitUntilPast, type MadeToken } from "./credentials";

/**
 * API tokens and admin-issued keys as DESIGN.md describes them: one token, three carriers, the
 * owner's rights and no more, shown once, refused from the request after it is deleted.
 */

let running: RunningPanel;
let panel: Panel;
let adminToken: MadeToken;
let user: { id: number; cookie: string; token: MadeToken };

interface TokenRow {
  id: number;
  prefix: string;
  note: string;
  owner: { id: number; username: string };
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
}

beforeAll(async () => {
  running = await startPanel();
  const admin = await login(running.url, ADMIN.username, ADMIN.password);
  panel = new Panel(running.url, admin.cookie!);
  adminToken = await panel.createToken(panel.adminCookie, "admin script");
  const made = await panel.createUser("tess", { perms: { canListAgents: true } });
  const cookie = (await login(running.url, "tess", made.password)).cookie!;
  user = { id: made.id, cookie, token: await panel.createToken(cookie, "tess laptop") };
});
afterAll(() => running?.stop());

const nezhaList = (headers: Record<string, string>, query = "") => call(running.url, `/api/v1/server/list${query}`, { headers });

describe("a token", () => {
  it("is 256 random bits in [A-Za-z0-9_-] behind a recognisable prefix, and differs every time", async () => {
    const a = await panel.createToken(panel.adminCookie, "a");
    const b = await panel.createToken(panel.adminCookie, "b");
    expect(a.token).toMatch(TOKEN_FORMAT);
    expect(a.token).not.toBe(b.token);
    expect(a.prefix).toBe(a.token.slice(0, a.prefix.length));
    expect(a.prefix).toMatch(/^fdk_.{6}$/);
  });

  it("works in every carrier of the three dialects", async () => {
    const t = adminToken.token;
    const carriers: [string, Record<string, string>, string][] = [
      ["Authorization (bare, Nezha)", { authorization: t }, ""],
      ["Authorization: Bearer", { authorization: `Bearer ${t}` }, ""],
      ["X-API-KEY (Tactical RMM)", { "x-api-key": t }, ""],
      ["X-Request-Api-Key (MCSManager)", { "x-request-api-key": t }, ""],
      ["?apikey= (MCSManager)", {}, `?apikey=${t}`],
    ];
    for (const [name, headers, query] of carriers) {
      const r = await nezhaList(headers, query);
      expect(r.status, name).toBe(200);
      expect(r.json, name).toMatchObject({ code: 0, message: "success" });
    }
    const trmm = await call(running.url, "/agents/?detail=false", { headers: { "x-api-key": t } });
    expect(trmm.status).toBe(200);
    expect(Array.isArray(trmm.json)).toBe(true);
    const mcsm = await call(running.url, `/api/service/remote_services_system?apikey=${t}`);
    expect(mcsm.status).toBe(200);
    expect(mcsm.json).toMatchObject({ status: 200 });
  });

  it("is listed with note, prefix and dates, but its secret never appears again", async () => {
    await nezhaList({ authorization: user.token.token });
    const r = await call(running.url, "/api/ui/tokens", { headers: session(user.cookie) });
    expect(r.status).toBe(200);
    expect(r.text).not.toContain(user.token.token);
    const rows = r.json as TokenRow[];
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: user.token.id, note: "tess laptop", prefix: user.token.prefix, owner: { id: user.id, username: "tess" }, expiresAt: null });
    expect(Date.parse(rows[0].createdAt)).not.toBeNaN();
    // Last use is batched in memory; the listing shows it anyway.
    expect(rows[0].lastUsedAt).not.toBeNull();
  });

  it("lists every user's tokens, with their owner, to an admin and only one's own to a user", async () => {
    const all = (await panel.asAdmin("/api/ui/tokens")).json as TokenRow[];
    expect(all.map((t) => t.owner.username)).toEqual(expect.arrayContaining(["admin", "tess"]));
    const mine = (await call(running.url, "/api/ui/tokens", { headers: { authorization: user.token.token } })).json as TokenRow[];
    expect(mine.every((t) => t.owner.username === "tess")).toBe(true);
  });

  it("carries its owner's role and no more", async () => {
    const refused = await call(running.url, "/api/v1/server/register", { method: "POST", headers: { authorization: user.token.token }, body: { Name: "nope" } });
    expect(refused.status).toBe(403);
    expect(refused.json).toMatchObject({ code: 403 });
    const keys = await call(running.url, "/accounts/apikeys/", { headers: { "x-api-key": user.token.token } });
    expect(keys.status).toBe(403);
    expect(keys.json).toEqual({ detail: "You do not have permission to perform this action." });
    const users = await call(running.url, "/api/ui/users", { headers: { authorization: user.token.token } });
    expect(users.status).toBe(403);
  });
});

describe("adding a token", () => {
  const post = (body: unknown, headers: Record<string, string> = session(panel.adminCookie)) => call(running.url, "/api/ui/tokens", { method: "POST", headers, body });

  it("answers bad input with a clear 400, never a 500", async () => {
    const cases: [string, unknown, RegExp][] = [
      ["broken JSON", "{not json", /not valid JSON/],
      ["a note over 100 characters", { note: "n".repeat(101) }, /at most 100/],
      ["a note that is not a string", { note: 42 }, /Note/],
      ["an expiry in the past", { note: "x", expiresAt: "2001-01-01T00:00:00Z" }, /in the future/],
      ["an expiry that is not a date", { note: "x", expiresAt: "next tuesday" }, /ISO 8601/],
    ];
    for (const [name, body, message] of cases) {
      const r = await post(body);
      expect(r.status, name).toBe(400);
      expect((r.json as { error: string }).error, name).toMatch(message);
    }
  });

  it("accepts an empty note and an expiry in the future", async () => {
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    const r = await post({ expiresAt });
    expect(r.status).toBe(201);
    const row = ((await panel.asAdmin("/api/ui/tokens")).json as TokenRow[]).find((t) => t.id === (r.json as MadeToken).id);
    expect(row).toMatchObject({ note: "", expiresAt });
  });

  it("refuses a cookie request without X-Requested-With (a cross-site form)", async () => {
    const r = await post({ note: "csrf" }, { cookie: panel.adminCookie });
    expect(r.status).toBe(403);
  });

  it("needs a signed-in user", async () => {
    const r = await post({ note: "anon" }, {});
    expect(r.status).toBe(401);
  });
});

describe("deleting a token", () => {
  it("refuses it at its very next request, through both doors of the panel", async () => {
    const t = await panel.createToken(user.cookie, "soon gone");
    // Use it first, so that both the hash lookup and the owner are cached.
    expect((await nezhaList({ authorization: t.token })).status).toBe(200);
    expect((await call(running.url, "/api/ui/tokens", { headers: { authorization: t.token } })).status).toBe(200);

    await panel.deleteToken(user.cookie, t.id);

    const fast = await nezhaList({ authorization: t.token });
    expect(fast.status).toBe(403);
    expect(fast.json).toEqual({ code: 403, message: "Unauthorized: invalid token" });
    const next = await call(running.url, "/api/ui/tokens", { headers: { authorization: t.token } });
    expect(next.status).toBe(401);
  });

  it("through Tactical RMM's API (the fast door) refuses it at once in the UI API (Next's door)", async () => {
    const key = await panel.createKey(adminToken.token, { name: "door test", user: user.id });
    expect((await call(running.url, "/api/ui/tokens", { headers: { "x-api-key": key.key } })).status).toBe(200);
    const del = await call(running.url, `/accounts/apikeys/${key.id}/`, { method: "DELETE", headers: { "x-api-key": adminToken.token } });
    expect(del.status).toBe(200);
    expect((await call(running.url, "/api/ui/tokens", { headers: { "x-api-key": key.key } })).status).toBe(401);
    const trmm = await call(running.url, "/agents/", { headers: { "x-api-key": key.key } });
    expect(trmm.status).toBe(401);
    expect(trmm.json).toEqual({ detail: "Invalid token." });
  });

  it("of someone else is 'not found' to a non-admin, and the token keeps working", async () => {
    const r = await call(running.url, `/api/ui/tokens/${adminToken.id}`, { method: "DELETE", headers: session(user.cookie) });
    expect(r.status).toBe(404);
    expect(r.json).toEqual({ error: "No such token" });
    expect((await nezhaList({ authorization: adminToken.token })).status).toBe(200);
  });

  it("answers unknown and malformed ids with 404", async () => {
    for (const id of ["999999", "abc", "-1", "1.5"]) {
      const r = await panel.asAdmin(`/api/ui/tokens/${id}`, { method: "DELETE" });
      expect(r.status, id).toBe(404);
    }
  });

  it("is allowed to an admin for anyone's token", async () => {
    const t = await panel.createToken(user.cookie, "admin removes");
    expect((await panel.asAdmin(`/api/ui/tokens/${t.id}`, { method: "DELETE" })).status).toBe(200);
    expect((await nezhaList({ authorization: t.token })).status).toBe(403);
  });
});

describe("the owner", () => {
  it("disabled: their tokens stop at once, and work again when re-enabled", async () => {
    const u = await panel.createUser("dora");
    const cookie = (await login(running.url, "dora", u.password)).cookie!;
    const t = await panel.createToken(cookie, "dora");
    expect((await nezhaList({ authorization: t.token })).status).toBe(200);
    await panel.patchUser(u.id, { disabled: true });
    expect(await nezhaList({ authorization: t.token })).toMatchObject({ status: 403, json: { code: 403 } });
    const trmm = await call(running.url, "/agents/", { headers: { "x-api-key": t.token } });
    expect(trmm.status).toBe(401);
    await panel.patchUser(u.id, { disabled: false });
    expect((await nezhaList({ authorization: t.token })).status).toBe(200);
  });

  it("deleted: their tokens stop at once", async () => {
    const u = await panel.createUser("gone");
    const cookie = (await login(running.url, "gone", u.password)).cookie!;
    const t = await panel.createToken(cookie, "gone");
    expect((await nezhaList({ authorization: t.token })).status).toBe(200);
    expect((await panel.asAdmin(`/api/ui/users/${u.id}`, { method: "DELETE" })).status).toBe(200);
    expect((await nezhaList({ authorization: t.token })).status).toBe(403);
  });
});

describe("Tactical RMM's API keys (/accounts/apikeys/)", () => {
  const keys = (path = "/accounts/apikeys/", init: { method?: string; body?: unknown; token?: string } = {}) =>
    call(running.url, path, { method: init.method, body: init.body, headers: { "x-api-key": init.token ?? adminToken.token } });

  it("creates a key acting as a chosen user, answering its secret once", async () => {
    const expiration = new Date(Date.now() + 7 * 86_400_000).toISOString();
    const r = await keys("/accounts/apikeys/", { method: "POST", body: { name: "rmm sync", user: user.id, expiration } });
    expect(r.status).toBe(200);
    const created = r.json as Record<string, unknown>;
    expect(created).toMatchObject({ name: "rmm sync", user: user.id, username: "tess", expiration, created_by: "admin" });
    expect(created.key).toMatch(TOKEN_FORMAT);
    expect(Date.parse(String(created.created_time))).not.toBeNaN();

    const list = await keys();
    expect(list.status).toBe(200);
    expect(list.text).not.toContain(String(created.key));
    const row = (list.json as Record<string, unknown>[]).find((k) => k.id === created.id);
    expect(row).toMatchObject({ name: "rmm sync", user: user.id, prefix: String(created.key).slice(0, 10) });
    expect(row).not.toHaveProperty("key");

    // The key has exactly tess's rights: she may list agents, but not manage keys.
    const key = String(created.key);
    expect((await call(running.url, "/agents/?detail=false", { headers: { "x-api-key": key } })).status).toBe(200);
    expect((await keys("/accounts/apikeys/", { token: key })).status).toBe(403);
  });

  it("is served without the trailing slash too", async () => {
    expect((await keys("/accounts/apikeys")).status).toBe(200);
  });

  it("answers bad bodies with DRF-style field errors", async () => {
    const cases: [string, unknown, string][] = [
      ["expiration in the past", { name: "x", user: user.id, expiration: "2001-01-01T00:00:00Z" }, "expiration"],
      ["expiration not a date", { name: "x", user: user.id, expiration: "soon" }, "expiration"],
      ["unknown user", { name: "x", user: 99999 }, "user"],
      ["user not an id", { name: "x", user: "tess" }, "user"],
      ["no name", { user: user.id }, "name"],
      ["name too long", { name: "n".repeat(101), user: user.id }, "name"],
    ];
    for (const [label, body, field] of cases) {
      const r = await keys("/accounts/apikeys/", { method: "POST", body });
      expect(r.status, label).toBe(400);
      expect(r.json, label).toHaveProperty(field);
      expect(Array.isArray((r.json as Record<string, unknown>)[field]), label).toBe(true);
    }
    const broken = await keys("/accounts/apikeys/", { method: "POST", body: "{oops" });
    expect(broken.status).toBe(400);
    expect(broken.json).toHaveProperty("detail");
  });

  it("renames a key, moves its expiry, and ignores a secret sent back", async () => {
    const made = await panel.createKey(adminToken.token, { name: "to edit", user: user.id });
    const expiration = new Date(Date.now() + 3600_000).toISOString();
    const r = await keys(`/accounts/apikeys/${made.id}/`, { method: "PUT", body: { name: "edited", expiration, key: "fdk_attacker-chosen" } });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ id: made.id, name: "edited", expiration });
    expect((await call(running.url, "/agents/", { headers: { "x-api-key": made.key } })).status).toBe(200);
    expect((await call(running.url, "/agents/", { headers: { "x-api-key": "fdk_attacker-chosen" } })).status).toBe(401);

    const past = await keys(`/accounts/apikeys/${made.id}/`, { method: "PUT", body: { expiration: "2001-01-01" } });
    expect(past.status).toBe(400);
    expect(past.json).toHaveProperty("expiration");
  });

  it("moves a key to another user: it has that user's rights from its next request", async () => {
    const made = await panel.createKey(adminToken.token, { name: "mover", user: user.id });
    expect((await keys("/accounts/apikeys/", { token: made.key })).status).toBe(403);
    const admins = await keys(`/accounts/apikeys/${made.id}/`, { method: "PUT", body: { user: 1 } });
    expect(admins.status).toBe(200);
    expect((await keys("/accounts/apikeys/", { token: made.key })).status).toBe(200);
  });

  it("answers unknown keys with Tactical RMM's 404", async () => {
    for (const [method, path] of [["PUT", "/accounts/apikeys/99999/"], ["DELETE", "/accounts/apikeys/99999/"], ["DELETE", "/accounts/apikeys/nope/"]]) {
      const r = await keys(path, { method, body: method === "PUT" ? { name: "x" } : undefined });
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(r.json).toEqual({ detail: "No APIKey matches the given query." });
    }
  });

  it("deletes a key: refused from its next request", async () => {
    const made = await panel.createKey(adminToken.token, { name: "to delete", user: user.id });
    expect((await call(running.url, "/agents/", { headers: { "x-api-key": made.key } })).status).toBe(200);
    const r = await keys(`/accounts/apikeys/${made.id}/`, { method: "DELETE" });
    expect(r.status).toBe(200);
    expect(r.json).toBe("The API Key was deleted");
    expect(await call(running.url, "/agents/", { headers: { "x-api-key": made.key } })).toMatchObject({ status: 401, json: { detail: "Invalid token." } });
  });

  it("refuses an expired key with each dialect's error", async () => {
    // Room for a loaded machine to answer the request that makes it before it expires.
    const expiration = new Date(Date.now() + 5_000).toISOString();
    const made = await panel.createKey(adminToken.token, { name: "short-lived", user: 1, expiration });
    await waitUntilPast(expiration);
    expect(await call(running.url, "/agents/", { headers: { "x-api-key": made.key } })).toMatchObject({ status: 401, json: { detail: "The token has expired." } });
    expect(await nezhaList({ authorization: made.key })).toMatchObject({ status: 403, json: { code: 403, message: "Unauthorized: the token has expired" } });
    const mcsm = await call(running.url, `/api/service/remote_services_system?apikey=${made.key}`);
    expect(mcsm).toMatchObject({ status: 403, json: { status: 403, data: "Incorrect key" } });
  });

  it("are managed by admins in the UI API too", async () => {
    const r = await panel.asAdmin("/api/ui/keys", { method: "POST", body: { name: "ui key", userId: user.id } });
    expect(r.status).toBe(201);
    const { key, token } = r.json as { key: { id: number }; token: string };
    expect(token).toMatch(TOKEN_FORMAT);
    const list = await panel.asAdmin("/api/ui/keys");
    expect(list.text).not.toContain(token);
    expect((list.json as { id: number }[]).map((k) => k.id)).toContain(key.id);
    expect((await call(running.url, "/api/ui/keys", { headers: session(user.cookie) })).status).toBe(403);
    const patched = await panel.asAdmin(`/api/ui/keys/${key.id}`, { method: "PATCH", body: { name: "renamed" } });
    expect(patched.json).toMatchObject({ id: key.id, note: "renamed" });
    expect((await panel.asAdmin(`/api/ui/keys/${key.id}`, { method: "DELETE" })).status).toBe(200);
    expect((await panel.asAdmin(`/api/ui/keys/${key.id}`, { method: "DELETE" })).status).toBe(404);
    // A personal token is not a key, and a key is not a personal token.
    expect((await panel.asAdmin(`/api/ui/keys/${adminToken.id}`, { method: "DELETE" })).status).toBe(404);
  });
});

describe("the audit log", () => {
  interface Entry {
    action: string;
    actorName: string;
    target: string;
    detail: string;
    ip: string;
  }
  const entries = async (query = "") => {
    const r = await panel.asAdmin(`/api/ui/audit${query}`);
    expect(r.status, r.text).toBe(200);
    return r;
  };

  it("records who created and deleted which token for whom, and never a secret", async () => {
    const t = await panel.createToken(user.cookie, "audited");
    await panel.asAdmin(`/api/ui/tokens/${t.id}`, { method: "DELETE" });
    const r = await entries("?action=token");
    expect(r.text).not.toContain(t.token);
    expect(r.text).not.toContain(adminToken.token);
    const list = (r.json as { entries: Entry[] }).entries;
    expect(list.every((e) => e.action.startsWith("token."))).toBe(true);
    // Newest first.
    expect(list[0]).toMatchObject({ action: "token.delete", actorName: "admin", target: "tess" });
    expect(list[0].detail).toContain(t.prefix);
    expect(list[1]).toMatchObject({ action: "token.create", actorName: "tess", target: "tess" });
  });

  it("records authentication failures with the address and the carrier, never the credential", async () => {
    const garbage = "fdk_this-is-not-a-real-token-but-looks-like-one";
    await call(running.url, "/agents/", { headers: { "x-api-key": garbage } });
    const r = await entries("?action=auth.fail");
    expect(r.text).not.toContain(garbage);
    const list = (r.json as { entries: Entry[] }).entries;
    const fail = list.find((e) => e.detail === "carrier=x-api-key reason=invalid");
    expect(fail).toMatchObject({ action: "auth.fail", ip: expect.stringMatching(/127\.0\.0\.1/) });
  });

  it("pages newest first", async () => {
    const first = (await entries("?limit=2")).json as { entries: { id: number }[]; nextBefore: number };
    expect(first.entries).toHaveLength(2);
    expect(first.entries[0].id).toBeGreaterThan(first.entries[1].id);
    expect(first.nextBefore).toBe(first.entries[1].id);
    const second = (await entries(`?limit=2&before=${first.nextBefore}`)).json as { entries: { id: number }[] };
    expect(second.entries[0].id).toBeLessThan(first.entries[1].id);
  });

  it("is for admins, and answers bad parameters with 400", async () => {
    expect((await call(running.url, "/api/ui/audit", { headers: session(user.cookie) })).status).toBe(403);
    expect((await entries()).status).toBe(200);
    for (const q of ["?limit=0", "?limit=abc", "?limit=5000", "?before=x", "?action=DROP%20TABLE"]) {
      expect((await panel.asAdmin(`/api/ui/audit${q}`)).status, q).toBe(400);
    }
  });
});
