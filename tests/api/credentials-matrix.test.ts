import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApiRouter } from "../../lib/http/routes";
import type { Method } from "../../lib/http/router";
import { ADMIN, login, ROOT, startPanel, type RunningPanel } from "../helpers/panel";
import { CSRF_MESSAGE } from "../../lib/dialects/common";
import { call, Panel, session, waitUntilPast, type Reply } from "./credentials";

/**
 * Every documented API route × every kind of credential, read from the router's own table (and
 * every route of the panel UI's own API, read from its route files): a route
 * another engineer adds is in this matrix without anyone touching this file. Failures must use
 * the route's dialect's envelope and status (DESIGN.md); a credential that is good enough must
 * never get an authentication error (what the route then answers is its own tests' business).
 * Which routes need an admin is read from their OpenAPI docs (`admin: true`), so a route that
 * refuses users without saying so in its docs fails here.
 */

type Dialect = "nezha" | "mcsm" | "trmm" | "ui";
type Case = "none" | "garbage" | "deleted" | "expired" | "disabledOwner" | "userToken" | "adminToken" | "cookie" | "cookieWithoutXhr";

interface Probe {
  dialect: Dialect;
  method: Method;
  pattern: string;
  path: string;
  admin: boolean;
  index: number;
}

const probes: Probe[] = [];
for (const d of buildApiRouter().dialects) {
  for (const route of d.routes) {
    for (const method of Object.keys(route.methods) as Method[]) {
      // Path parameters get a value that names nothing: auth is decided before the lookup.
      let path = route.pattern.replace(/:[A-Za-z]+/g, "matrix-probe");
      if (d.name === "trmm") path += "/";
      probes.push({ dialect: d.name as Dialect, method, pattern: route.pattern, path, admin: route.docs?.[method]?.admin === true, index: probes.length });
    }
  }
}

/**
 * The panel UI's own API (/api/ui/*, Next route files): every `uiRoute` export, read from the
 * files themselves. A route is admin-only when its export passes `{ admin: true }`; a wrong
 * reading fails here rather than passing (a user's token would get "needs an administrator").
 */
const UI_ROOT = path.join(ROOT, "app/api/ui");
for (const file of fs.readdirSync(UI_ROOT, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith("route.ts")).sort()) {
  const dir = path.dirname(file) === "." ? "" : `/${path.dirname(file)}`;
  const pattern = `/api/ui${dir}`.replaceAll(path.sep, "/");
  const urlPath = pattern.replace(/\[[^\]]+\]/g, "matrix-probe");
  const parts = fs.readFileSync(path.join(UI_ROOT, file), "utf8").split(/export const (GET|POST|PUT|PATCH|DELETE) = /);
  for (let i = 1; i < parts.length; i += 2) {
    const [method, code] = [parts[i] as Method, parts[i + 1]];
    if (!code.startsWith("uiRoute(")) continue; // publicUiRoute: /setup, open to anonymous visitors
    probes.push({ dialect: "ui", method, pattern, path: urlPath, admin: /\{ admin: true \}/.test(code), index: probes.length });
  }
}

const UI = { signIn: "Sign in first", admin: "This needs an administrator" };

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
const secrets = {} as Record<"garbage" | "deleted" | "expired" | "disabledOwner" | "userToken" | "adminToken", string>;
let adminCookie: string;

beforeAll(async () => {
  running = await startPanel();
  adminCookie = (await login(running.url, ADMIN.username, ADMIN.password)).cookie!;
  const panel = new Panel(running.url, adminCookie);
  secrets.adminToken = (await panel.createToken(adminCookie, "matrix admin")).token;
  // Something shaped like a token that the panel never issued (so the lookup really runs).
  secrets.garbage = "fdk_" + "A".repeat(20) + "matrix-garbage-token-x";

  // A user with every Tactical RMM grant: on routes that are not admin-only, their token must pass.
  const u = await panel.createUser("matrix-user", { perms: { canListAgents: true, canSendCmd: true, canManageWinupdates: true } });
  const userCookie = (await login(running.url, "matrix-user", u.password)).cookie!;
  secrets.userToken = (await panel.createToken(userCookie, "matrix user")).token;

  // Deleted after being used once, so that the panel has it cached.
  const doomed = await panel.createToken(adminCookie, "matrix deleted");
  expect((await call(running.url, "/api/v1/server/list", { headers: { authorization: doomed.token } })).status).toBe(200);
  await panel.deleteToken(adminCookie, doomed.id);
  secrets.deleted = doomed.token;

  const d = await panel.createUser("matrix-disabled", { role: "admin" });
  const dCookie = (await login(running.url, "matrix-disabled", d.password)).cookie!;
  secrets.disabledOwner = (await panel.createToken(dCookie, "matrix disabled")).token;
  await panel.patchUser(d.id, { disabled: true });

  // An admin's key, so that only its expiry can be the reason for a refusal.
  const expiration = new Date(Date.now() + 1500).toISOString();
  secrets.expired = (await panel.createKey(secrets.adminToken, { name: "matrix expired", user: 1, expiration })).key;
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
      return r.status === 401 || (r.status === 403 && (body?.error === UI.admin || body?.error === CSRF_MESSAGE));
  }
}

/** The refusal each dialect answers for each case (undefined: the credential must get through). */
function expected(p: Probe, c: Case): { status: number; body: unknown } | undefined {
  const passes = c === "adminToken" || c === "cookie" || (c === "cookieWithoutXhr" && p.dialect !== "mcsm" && p.method === "GET") || (c === "userToken" && !p.admin);
  if (passes) return undefined;
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
      if (c === "userToken") return { status: 403, body: { detail: TRMM.forbidden } };
      if (c === "cookieWithoutXhr") return { status: 403, body: { detail: CSRF_MESSAGE } };
      const detail = { none: TRMM.missing, expired: TRMM.expired, disabledOwner: TRMM.inactive }[c as string] ?? TRMM.invalid;
      return { status: 401, body: { detail } };
    }
    case "ui": {
      if (c === "userToken") return { status: 403, body: { error: UI.admin } };
      if (c === "cookieWithoutXhr") return { status: 403, body: { error: CSRF_MESSAGE } };
      return { status: 401, body: { error: UI.signIn } };
    }
  }
}

const CASES: Case[] = ["none", "garbage", "deleted", "expired", "disabledOwner", "userToken", "adminToken", "cookie", "cookieWithoutXhr"];

it("reads routes of all three dialects from the router (the matrix is not empty)", () => {
  const dialects = new Set(probes.map((p) => p.dialect));
  expect([...dialects].sort()).toEqual(["mcsm", "nezha", "trmm", "ui"]);
  expect(probes.some((p) => p.pattern === "/api/ui/users" && p.method === "GET" && p.admin)).toBe(true);
  expect(probes.some((p) => p.pattern === "/api/ui/tokens" && p.method === "POST" && !p.admin)).toBe(true);
  expect(probes.some((p) => p.pattern === "/accounts/apikeys" && p.method === "POST" && p.admin)).toBe(true);
  expect(probes.some((p) => !p.admin)).toBe(true);
});

describe.each(probes.map((p) => [`${p.method} ${p.path}${p.admin ? " (admin)" : ""}`, p] as const))("%s", (_name, p) => {
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
