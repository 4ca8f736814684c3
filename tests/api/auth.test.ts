import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encode } from "next-auth/jwt";
import fs from "node:fs";
import path from "node:path";
import { ADMIN, login, startPanel, type RunningPanel } from "../helpers/panel";

let panel: RunningPanel;
let adminCookie: string;
const xhr = { "content-type": "application/json", "x-requested-with": "XMLHttpRequest" };

async function api(p: string, init: { method?: string; cookie?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const res = await fetch(`${panel.url}${p}`, {
    method: init.method ?? "GET",
    headers: { ...xhr, ...(init.cookie ? { cookie: init.cookie } : {}), ...init.headers },
    body: init.body === undefined ? undefined : typeof init.body === "string" ? init.body : JSON.stringify(init.body),
  });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json: json as Record<string, unknown> };
}

beforeAll(async () => {
  panel = await startPanel();
  const r = await login(panel.url, ADMIN.username, ADMIN.password);
  expect(r.cookie).toBeTruthy();
  adminCookie = r.cookie!;
});
afterAll(() => panel?.stop());

describe("first run and configuration", () => {
  it("persists a generated session secret in the data directory", () => {
    const secret = fs.readFileSync(path.join(panel.dataDir, "session-secret"), "utf8").trim();
    expect(secret.length).toBeGreaterThanOrEqual(32);
  });

  it("closes /setup once an administrator exists", async () => {
    const r = await api("/api/ui/setup", { method: "POST", body: { username: "second", password: "second-password" } });
    expect(r.status).toBe(409);
    expect(r.json.error).toMatch(/already done/);
  });

  it("answers bad setup bodies with 400, not 500", async () => {
    expect((await api("/api/ui/setup", { method: "POST", body: "{not json" })).status).toBe(400);
    expect((await api("/api/ui/setup", { method: "POST", body: { username: 5 } })).status).toBe(400);
  });
});

describe("sign-in", () => {
  it("gives the same answer for a wrong password and an unknown user", async () => {
    const a = await login(panel.url, ADMIN.username, "wrong-password");
    const b = await login(panel.url, "no-such-user", "wrong-password");
    expect(a.cookie).toBeNull();
    expect(a.error).toBe("CredentialsSignin");
    expect(b.error).toBe("CredentialsSignin");
  });

  it("refuses oversized credentials without a 500", async () => {
    const r = await login(panel.url, "x".repeat(5000), "y".repeat(5000));
    expect(r.cookie).toBeNull();
    expect(r.error).toBe("CredentialsSignin");
  });

  it("ignores a forged or expired session cookie", async () => {
    const forged = await api("/api/ui/profile/totp", { cookie: "next-auth.session-token=forged.cookie.value" });
    expect(forged.status).toBe(401);
    const secret = fs.readFileSync(path.join(panel.dataDir, "session-secret"), "utf8").trim();
    const expired = await encode({ token: { sub: "1", sv: 0 }, secret, maxAge: -60 });
    const r = await api("/api/ui/profile/totp", { cookie: `next-auth.session-token=${expired}` });
    expect(r.status).toBe(401);
    // Well signed but naming no server-side session (sid): it could never be signed out, so it is refused.
    const noSession = await encode({ token: { sub: "1", sv: 0 }, secret, maxAge: 60 });
    expect((await api("/api/ui/profile/totp", { cookie: `next-auth.session-token=${noSession}` })).status).toBe(401);
    const unknownSession = await encode({ token: { sub: "1", sv: 0, sid: "no-such-session" }, secret, maxAge: 60 });
    expect((await api("/api/ui/profile/totp", { cookie: `next-auth.session-token=${unknownSession}` })).status).toBe(401);
    expect((await api("/api/ui/profile/totp", { cookie: adminCookie })).status).toBe(200);
  });

  it("sends an anonymous visitor to /login with the page to come back to", async () => {
    const res = await fetch(`${panel.url}/dashboard/agents?x=1`, { redirect: "manual" });
    expect(res.status).toBeGreaterThanOrEqual(300);
    expect(res.status).toBeLessThan(400);
    expect(res.headers.get("location")).toContain("/login?callbackUrl=%2Fdashboard%2Fagents%3Fx%3D1");
  });
});

describe("users", () => {
  it("lets an admin create, disable and delete users; a disabled user's session stops at once", async () => {
    const created = await api("/api/ui/users", { method: "POST", cookie: adminCookie, body: { username: "alice", password: "alice-password" } });
    expect(created.status).toBe(201);
    const alice = await login(panel.url, "alice", "alice-password");
    expect(alice.cookie).toBeTruthy();
    expect((await api("/api/ui/profile/totp", { cookie: alice.cookie! })).status).toBe(200);
    // A user is not an admin.
    expect((await api("/api/ui/users", { cookie: alice.cookie! })).status).toBe(403);

    const id = created.json.id as number;
    expect((await api(`/api/ui/users/${id}`, { method: "PATCH", cookie: adminCookie, body: { disabled: true } })).status).toBe(200);
    expect((await api("/api/ui/profile/totp", { cookie: alice.cookie! })).status).toBe(401);
    expect((await login(panel.url, "alice", "alice-password")).cookie).toBeNull();

    expect((await api(`/api/ui/users/${id}`, { method: "DELETE", cookie: adminCookie })).status).toBe(200);
    expect((await api(`/api/ui/users/${id}`, { method: "DELETE", cookie: adminCookie })).status).toBe(404);
  });

  it("rejects duplicate, empty and oversized usernames and short passwords with clear messages", async () => {
    await api("/api/ui/users", { method: "POST", cookie: adminCookie, body: { username: "bob", password: "bob-password" } });
    const dup = await api("/api/ui/users", { method: "POST", cookie: adminCookie, body: { username: "bob", password: "bob-password" } });
    expect(dup.status).toBe(409);
    expect(dup.json.error).toBe('User "bob" already exists');
    const empty = await api("/api/ui/users", { method: "POST", cookie: adminCookie, body: { username: "", password: "whatever-pw" } });
    expect(empty.status).toBe(400);
    expect(empty.json.error).toBe("Username is required");
    const long = await api("/api/ui/users", { method: "POST", cookie: adminCookie, body: { username: "u".repeat(65), password: "whatever-pw" } });
    expect(long.json.error).toBe("Username must be at most 64 characters");
    const short = await api("/api/ui/users", { method: "POST", cookie: adminCookie, body: { username: "carol", password: "short" } });
    expect(short.json.error).toBe("Password must be at least 8 characters");
    expect((await api("/api/ui/users/abc", { method: "PATCH", cookie: adminCookie, body: {} })).status).toBe(404);
  });

  it("keeps the last administrator", async () => {
    const users = (await api("/api/ui/users", { cookie: adminCookie })).json as unknown as { id: number; username: string }[];
    const me = users.find((u) => u.username === ADMIN.username)!;
    const r = await api(`/api/ui/users/${me.id}`, { method: "PATCH", cookie: adminCookie, body: { role: "user" } });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatch(/last active administrator/);
  });

  it("refuses cookie mutations without X-Requested-With (cross-site forms)", async () => {
    const r = await api("/api/ui/users", { method: "POST", cookie: adminCookie, body: { username: "csrf", password: "csrf-password" }, headers: { "x-requested-with": "" } });
    expect(r.status).toBe(403);
  });
});

describe("throttling", () => {
  it("makes a (username, address) pair wait after repeated failures, with a clear error, even for the right password", async () => {
    await api("/api/ui/users", { method: "POST", cookie: adminCookie, body: { username: "target", password: "target-password" } });
    // Earlier tests' failures from this address count too: the address may be locked out first.
    for (let i = 0; i < 10; i++) expect(["CredentialsSignin", "Throttled"]).toContain((await login(panel.url, "target", `wrong-${i}`)).error);
    const r = await login(panel.url, "target", "target-password");
    expect(r.cookie).toBeNull();
    expect(r.error).toBe("Throttled");
  });
});
