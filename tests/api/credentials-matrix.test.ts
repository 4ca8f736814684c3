import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApiRouter } from "../../lib/dialects/index";
import type { Method } from "../../lib/http/router";
import { ADMIN, login, startPanel, type RunningPanel } from "../helpers/panel";
import { CSRF_MESSAGE } from "../../lib/dialects/guard";
import { call, Panel, session, waitUntilPast, type Reply } from "./credentials";
import { EXPECTED_ACCESS, type Access } from "./expected-access";

/**
 * Every API route (the three dialects and the panel UI's own API) × every kind of credential.
 * The routes come from the router's own tables, so a route another engineer adds is in this
 * matrix without anyone touching this file; who may call each one comes from a separate,
 * hand-written list (expected-access.ts), so a route that forgets its admin or permission check
 * fails here. Failures must use the route's dialect's envelope and status (DESIGN.md); a
 * credential that is good enough must never get an authentication error (what the route then
 * answers is its own tests' business).
 */

type Dialect = "nezha" | "mcsm" | "trmm" | "ui";
type Case =
  | "none"
  | "garbage"
  | "deleted"
  | "expired"
  | "disabledOwner"
  | "userToken"
  | "bareUserToken"
  | "adminToken"
  | "cookie"
  | "cookieWithoutXhr";

interface Probe {
  dialect: Dialect;
  method: Method;
  pattern: string;
  path: string;
  access: Access;
  /** What the route's own docs say (checked against the hand-written list). */
  documentedAdmin: boolean;
  index: number;
}

const probes: Probe[] = [];
const unlisted: string[] = [];
for (const d of buildApiRouter().dialects) {
  for (const route of d.routes) {
    for (const method of Object.keys(route.methods) as Method[]) {
      const key = `${method} ${route.pattern}`;
      const access = EXPECTED_ACCESS[key];
      if (!access) {
        unlisted.push(key);
        continue;
      }
      // Path parameters get a value that names nothing: auth is decided before the lookup.
      let path = route.pattern.replace(/:[A-Za-z]+/g, "matrix-probe");
      if (d.name === "trmm") path += "/";
      probes.push({ dialect: d.name as Dialect, method, pattern: route.pattern, path, access, documentedAdmin: route.docs?.[method]?.admin === true, index: probes.length });
    }
  }
}

const UI = { signIn: "Sign in first", admin: "This needs an administrator", forbidden: "You do not have permission to perform this action." };

const MCSM = {
  noKey: "Insufficient Permissions",
  badKey: "Incorrect key",
  csrf: "Unable to find the request header: x-requested-with: xmlhttprequest",
};
const TRMM = {
  missing: "Authentication credentials were not provided.",
  invalid: "Invalid token.",
  expired: "The token has expired.",
  inactive: "User inactive or deleted.",
  forbidden: "You do not have permission to perform this action.",
};

let running: RunningPanel;
const secrets = {} as Record<"garbage" | "deleted" | "expired" | "disabledOwner" | "userToken" | "bareUserToken" | "adminToken", string>;
let adminCookie: string;

beforeAll(async () => {
  running = await startPanel();
  adminCookie = (await login(running.url, ADMIN.username, ADMIN.password)).cookie!;
  const panel = new Panel(running.url, adminCookie);
  secrets.adminToken = (await panel.createToken(adminCookie, "matrix admin")).token;
  // An admin's key, so that only its expiry can be the reason for a refusal. Made first and with
  // room to spare (a loaded machine may take seconds to answer the request that makes it): the
  // rest of this setup runs while it ages.
  const expiration = new Date(Date.now() + 6_000).toISOString();
  secrets.expired = (await panel.createKey(secrets.adminToken, { name: "matrix expired", user: 1, expiration })).key;
  // Something shaped like a token that the panel never issued (so the lookup really runs).
  secrets.garbage = "fdk_" + "A".repeat(20) + "matrix-garbage-token-x";

  // A user with every grant (Tactical RMM's, and monitoring): on routes that are not admin-only, their token must pass.
  const u = await panel.createUser("matrix-user", {
    perms: { canListAgents: true, canSendCmd: true, canManageWinupdates: true, canListClients: true, canManageClients: true, canListSites: true, canManageSites: true, canManageMonitoring: true },
  });
  const userCookie = (await login(running.url, "matrix-user", u.password)).cookie!;
  secrets.userToken = (await panel.createToken(userCookie, "matrix user")).token;
  // A user with no grant at all: refused wherever a grant is needed.
  const bare = await panel.createUser("matrix-bare");
  const bareCookie = (await login(running.url, "matrix-bare", bare.password)).cookie!;
  secrets.bareUserToken = (await panel.createToken(bareCookie, "matrix bare")).token;

  // Deleted after being used once, so that the panel has it cached.
  const doomed = await panel.createToken(adminCookie, "matrix deleted");
  expect((await call(running.url, "/api/v1/server/list", { headers: { authorization: doomed.token } })).status).toBe(200);
  await panel.deleteToken(adminCookie, doomed.id);
  secrets.deleted = doomed.token;

  const d = await panel.createUser("matrix-disabled", { role: "admin" });
  const dCookie = (await login(running.url, "matrix-disabled", d.password)).cookie!;
  secrets.disabledOwner = (await panel.createToken(dCookie, "matrix disabled")).token;
  await panel.patchUser(d.id, { disabled: true });

  await waitUntilPast(expiration);
});
afterAll(() => running?.stop());

/** How a script of each dialect sends a token; alternated over the routes so every carrier is used. */
function carry(p: Probe, token: string): { headers: Record<string, string>; query: string } {
  const alt = p.index % 2 === 1;
  switch (p.dialect) {
    case "nezha":
      return { headers: { authorization: alt ? `Bearer ${token}` : token }, query: "" };
    case "mcsm":
      return alt ? { headers: { "x-request-api-key": token }, query: "" } : { headers: {}, query: `apikey=${encodeURIComponent(token)}` };
    case "trmm":
      return { headers: { "x-api-key": token }, query: "" };
    case "ui":
      return { headers: alt ? { "x-api-key": token } : { authorization: `Bearer ${token}` }, query: "" };
  }
}

function request(p: Probe, c: Case): Promise<Reply> {
  let headers: Record<string, string> = {};
  let query = "";
  if (c === "cookie") headers = session(adminCookie);
  else if (c === "cookieWithoutXhr") headers = { cookie: adminCookie };
  else if (c !== "none") ({ headers, query } = carry(p, secrets[c]));
  // MCSManager clients send a JSON content type even on a GET without a body.
  if (p.dialect === "mcsm") headers["content-type"] = "application/json";
  return call(running.url, p.path + (query ? `?${query}` : ""), { method: p.method, headers });
}

function isAuthError(p: Probe, r: Reply): boolean {
  const body = r.json as Record<string, unknown> | undefined;
  switch (p.dialect) {
    case "nezha":
      return r.status === 403 && body?.code === 403;
    case "mcsm":
      return r.status === 403 && Object.values(MCSM).includes(body?.data as string);
    case "trmm":
      return r.status === 401 || (r.status === 403 && body?.detail === TRMM.forbidden);
    case "ui":
      return r.status === 401 || (r.status === 403 && (body?.error === UI.admin || body?.error === UI.forbidden || body?.error === CSRF_MESSAGE));
  }
}

const GRANTS = new Set<Access>(["canListAgents", "canSendCmd", "canManageWinupdates", "canListClients", "canManageClients", "canListSites", "canManageSites", "canManageMonitoring"]);

/** Whether a credential is good enough for a route, by the hand-written list alone. */
function allowed(p: Probe, c: Case): boolean {
  if (p.access === "public") return true;
  if (c === "adminToken" || c === "cookie") return true;
  if (c === "cookieWithoutXhr") return p.dialect !== "mcsm" && p.method === "GET";
  if (c === "userToken") return p.access !== "admin";
  if (c === "bareUserToken") return p.access === "user";
  return false;
}

/** The refusal each dialect answers for each case (undefined: the credential must get through). */
function expected(p: Probe, c: Case): { status: number; body: unknown } | undefined {
  if (allowed(p, c)) return undefined;
  const userRefused = c === "userToken" || c === "bareUserToken";
  switch (p.dialect) {
    case "nezha": {
      if (c === "cookieWithoutXhr") return { status: 403, body: { code: 403, message: CSRF_MESSAGE } };
      const message = c === "expired" ? expect.stringMatching(/expired/) : expect.stringMatching(/\S/);
      return { status: 403, body: { code: 403, message } };
    }
    case "mcsm": {
      const data = c === "none" ? MCSM.noKey : c === "cookieWithoutXhr" ? MCSM.csrf : MCSM.badKey;
      return { status: 403, body: { status: 403, data, time: expect.any(Number) } };
    }
    case "trmm": {
      if (userRefused) return { status: 403, body: { detail: TRMM.forbidden } };
      if (c === "cookieWithoutXhr") return { status: 403, body: { detail: CSRF_MESSAGE } };
      const detail = { none: TRMM.missing, expired: TRMM.expired, disabledOwner: TRMM.inactive }[c as string] ?? TRMM.invalid;
      return { status: 401, body: { detail } };
    }
    case "ui": {
      if (userRefused) return { status: 403, body: { error: GRANTS.has(p.access) ? UI.forbidden : UI.admin } };
      if (c === "cookieWithoutXhr") return { status: 403, body: { error: CSRF_MESSAGE } };
      return { status: 401, body: { error: UI.signIn } };
    }
  }
}

const CASES: Case[] = ["none", "garbage", "deleted", "expired", "disabledOwner", "userToken", "bareUserToken", "adminToken", "cookie", "cookieWithoutXhr"];

it("reads routes of every dialect from the router, each with an expected access written apart", () => {
  const dialects = new Set(probes.map((p) => p.dialect));
  expect([...dialects].sort()).toEqual(["mcsm", "nezha", "trmm", "ui"]);
  expect(unlisted, "routes without an entry in expected-access.ts").toEqual([]);
  const routeKeys = new Set(probes.map((p) => `${p.method} ${p.pattern}`));
  expect(Object.keys(EXPECTED_ACCESS).filter((k) => !routeKeys.has(k)), "entries in expected-access.ts that name no route").toEqual([]);
});

it("documents admin-only routes as such (the OpenAPI document and the docs agree with the list)", () => {
  const wrong = probes.filter((p) => p.access !== "public" && p.documentedAdmin !== (p.access === "admin")).map((p) => `${p.method} ${p.pattern}`);
  expect(wrong).toEqual([]);
});

describe.each(probes.map((p) => [`${p.method} ${p.path} (${p.access})`, p] as const))("%s", (_name, p) => {
  it.each(CASES)("%s", async (c) => {
    const r = await request(p, c);
    expect(r.status, `${c}: never a 500 (${r.text.slice(0, 200)})`).toBeLessThan(500);
    expect(r.json, `${c}: always the dialect's JSON (${r.text.slice(0, 200)})`).not.toBeUndefined();
    const want = expected(p, c);
    if (want) {
      expect({ status: r.status, body: r.json }).toEqual(want);
    } else {
      expect(isAuthError(p, r), `${c} must get through, got ${r.status} ${r.text.slice(0, 200)}`).toBe(false);
    }
  });
});
