import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { authenticator } from "otplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, ROOT, cookiesOf, login, setupCodeOf, startPanel, type RunningPanel } from "../helpers/panel";
import { until } from "../helpers/wait";

/**
 * The safety of sign-in, sessions and tokens (issue 9, items 3–6, 8, 11), tried against a real
 * panel the way an attacker would. The panel trusts X-Forwarded-For from 127.0.0.1 (TRUST_PROXY),
 * so one test process can speak from many addresses.
 */

let panel: RunningPanel;
let adminCookie: string;
const xhr = { "content-type": "application/json", "x-requested-with": "XMLHttpRequest" };

interface Reply {
  status: number;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string;
  headers: Headers;
}

async function req(base: string, p: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<Reply> {
  const res = await fetch(base + p, {
    method: init.method ?? "GET",
    headers: { ...(init.body !== undefined ? { "content-type": "application/json" } : {}), ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    redirect: "manual",
  });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: res.status, json, text, headers: res.headers };
}
const api = (p: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}) => req(panel.url, p, init);
const asAdmin = (p: string, init: { method?: string; body?: unknown } = {}) => api(p, { ...init, headers: { ...xhr, cookie: adminCookie } });
const withToken = (token: string, p: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) =>
  api(p, { ...init, headers: { "x-api-key": token, ...init.headers } });

async function newToken(body: Record<string, unknown>, auth: Record<string, string> = { ...xhr, cookie: adminCookie }): Promise<Reply & { token: string; id: number }> {
  const r = await api("/api/ui/tokens", { method: "POST", body, headers: auth });
  return { ...r, token: r.json?.token, id: r.json?.id };
}

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: panel.dataDir, NEXT_TELEMETRY_DISABLED: "1" };
  for (const k of ["DATABASE_URL", "ADMIN_USERNAME", "ADMIN_PASSWORD", "NEXTAUTH_SECRET", "TRUST_PROXY"]) delete env[k];
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ["--import", "tsx", "scripts/cli.ts", ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    proc.stdout.on("data", (d) => (stdout += d));
    proc.stderr.on("data", (d) => (stderr += d));
    proc.on("error", reject);
    proc.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  panel = await startPanel({ TRUST_PROXY: "127.0.0.1/32, ::1" });
  const r = await login(panel.url, ADMIN.username, ADMIN.password);
  expect(r.cookie).toBeTruthy();
  adminCookie = r.cookie!;
});
afterAll(() => panel?.stop());

describe("first run", () => {
  let fresh: RunningPanel;
  beforeAll(async () => {
    fresh = await startPanel({}, { admin: false });
  });
  afterAll(() => fresh?.stop());

  it("prints a setup code in the log, asks for it on the setup page, and refuses setup without it", async () => {
    const code = setupCodeOf(fresh.logs());
    const page = await fetch(`${fresh.url}/setup`).then((r) => r.text());
    expect(page).toContain("Setup code");
    expect(page).toContain("log");
    const post = (body: unknown) => req(fresh.url, "/api/ui/setup", { method: "POST", body, headers: xhr });
    const none = await post({ username: "mallory", password: "mallory-password" });
    expect(none.status).toBe(403);
    expect(none.json.error).toMatch(/setup code/i);
    expect((await post({ username: "mallory", password: "mallory-password", setupCode: "AAAA-BBBB-CCCC-DDDD" })).status).toBe(403);
    expect((await post({ username: "mallory", password: "mallory-password", setupCode: code.slice(0, -1) })).status).toBe(403);

    // Racing requests with the right code: exactly one administrator.
    const race = await Promise.all(
      Array.from({ length: 6 }, (_, i) => post({ username: `owner${i}`, password: "owner-password", setupCode: code.toLowerCase() })),
    );
    expect(race.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
    const winner = race.find((r) => r.status === 201)!.json.username as string;
    expect((await login(fresh.url, winner, "owner-password")).cookie).toBeTruthy();
    const users = await req(fresh.url, "/api/ui/users", { headers: { cookie: (await login(fresh.url, winner, "owner-password")).cookie! } });
    expect(users.json.map((u: { username: string }) => u.username)).toEqual([winner]);
    // The code is spent with setup.
    expect((await post({ username: "late", password: "late-password", setupCode: code })).status).toBe(409);
  });

  it("prints no setup code when ADMIN_USERNAME made the administrator", () => {
    expect(() => setupCodeOf(panel.logs())).toThrow();
  });
});

describe("sessions", () => {
  it("ends the session on the server at sign-out: the cookie replayed afterwards is refused", async () => {
    const { cookie } = await login(panel.url, ADMIN.username, ADMIN.password);
    expect((await api("/api/ui/servers", { headers: { cookie: cookie! } })).status).toBe(200);
    const csrf = await fetch(`${panel.url}/api/nextauth/csrf`, { headers: { cookie: cookie! } });
    const { csrfToken } = (await csrf.json()) as { csrfToken: string };
    const out = await fetch(`${panel.url}/api/nextauth/signout`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie: `${cookie}; ${cookiesOf(csrf)}` },
      body: new URLSearchParams({ csrfToken, json: "true" }),
    });
    expect(out.status).toBeLessThan(400);
    // The stolen copy of the cookie, replayed: every door refuses it.
    expect((await api("/api/ui/servers", { headers: { cookie: cookie! } })).status).toBe(401);
    // Nezha words every authentication failure as its 403 envelope.
    expect((await api("/api/v1/server/list", { headers: { cookie: cookie! } })).json).toMatchObject({ code: 403, message: "Unauthorized: invalid token" });
    const page = await fetch(`${panel.url}/dashboard/servers`, { headers: { cookie: cookie! }, redirect: "manual" });
    expect(page.headers.get("location")).toContain("/login");
  });

  it("answers a malformed or oversized session cookie with 401, never 500", async () => {
    // 10,000 characters: past what the panel decrypts, below node's own header limit (431).
    for (const value of ["%E0%A4%A", "%", "%%%", "x".repeat(10_000), "a.b.c.d.e"]) {
      for (const p of ["/api/ui/servers", "/api/v1/server/list", "/agents/", "/api/service/remote_services_system"]) {
        const r = await api(p, { headers: { cookie: `next-auth.session-token=${value}`, "x-requested-with": "XMLHttpRequest" } });
        expect([401, 403], `${p} with ${value.slice(0, 20)}`).toContain(r.status);
      }
    }
  });

  it("keeps next-auth off /api/auth/: unknown paths there do not break signing in", async () => {
    const old = await api("/api/auth/csrf");
    expect(old.json?.csrfToken).toBeUndefined();
    await api("/api/auth/signin/whatever");
    await api("/api/auth/session");
    expect((await login(panel.url, ADMIN.username, ADMIN.password)).cookie).toBeTruthy();
  });

  it("follows a callbackUrl only to the panel itself", async () => {
    for (const evil of ["/\\evil.example", "//evil.example", "https://evil.example/x", "/\\/evil.example"]) {
      const res = await fetch(`${panel.url}/login?callbackUrl=${encodeURIComponent(evil)}`, { headers: { cookie: adminCookie }, redirect: "manual" });
      expect(res.status).toBeGreaterThanOrEqual(300);
      const location = res.headers.get("location")!;
      expect(new URL(location, panel.url).origin, evil).toBe(panel.url);
      expect(location.startsWith("//") || location.startsWith("/\\"), location).toBe(false);
    }
    const r = await login(panel.url, ADMIN.username, ADMIN.password, "", {});
    expect(new URL(r.url!).origin).not.toContain("evil");
  });
});

describe("tokens cannot breed or take over an account", () => {
  it("binds a token made with a token to it: no later expiry, no broader scope, revoked with it", async () => {
    const expires = new Date(Date.now() + 3600_000).toISOString();
    const parent = await newToken({ note: "parent", expiresAt: expires, apis: ["ui", "trmm"] });
    expect(parent.status).toBe(201);
    const byToken = { ...xhr, "x-api-key": parent.token };

    const later = await newToken({ note: "child", expiresAt: new Date(Date.now() + 7200_000).toISOString() }, byToken);
    expect(later.status).toBe(400);
    expect(later.json.error).toMatch(/outlive/);
    const broader = await newToken({ note: "child", apis: ["nezha"] }, byToken);
    expect(broader.status).toBe(400);

    const child = await newToken({ note: "child" }, byToken);
    expect(child.status).toBe(201);
    const listed = (await asAdmin("/api/ui/tokens")).json.find((t: { id: number }) => t.id === child.id);
    expect(listed).toMatchObject({ parentId: parent.id, scope: { readOnly: false, apis: ["trmm", "ui"], allowedCidrs: [] } });
    expect(new Date(listed.expiresAt).getTime()).toBe(new Date(expires).getTime());
    // Its parent's limits apply to it: no Nezha.
    expect((await withToken(child.token, "/api/v1/server/list")).status).toBe(403);

    // A Tactical RMM key made with the token is its child too.
    const key = await withToken(parent.token, "/accounts/apikeys/", { method: "POST", body: { name: "bred", user: 1 } });
    expect(key.status).toBe(200);
    expect(key.json).toMatchObject({ read_only: false, apis: ["trmm", "ui"], expiration: new Date(expires).toISOString() });
    const keyLater = await withToken(parent.token, "/accounts/apikeys/", { method: "POST", body: { name: "bred", user: 1, expiration: "2099-01-01" } });
    expect(keyLater.status).toBe(400);
    expect(keyLater.json.expiration?.[0]).toMatch(/outlive/);
    expect((await withToken(key.json.key, "/agents/")).status).toBe(200);

    // Revoking the parent revokes everything it made, at the next request.
    expect((await asAdmin(`/api/ui/tokens/${parent.id}`, { method: "DELETE" })).status).toBe(200);
    expect((await withToken(child.token, "/api/ui/servers")).status).toBe(401);
    expect((await withToken(key.json.key, "/agents/")).status).toBe(401);
    expect((await asAdmin("/api/ui/tokens")).json.some((t: { id: number }) => t.id === child.id)).toBe(false);
  });

  it("refuses a token that tries to change its owner's password or two-factor settings (403 in the envelope)", async () => {
    const t = await newToken({ note: "takeover" });
    const byToken = { ...xhr, "x-api-key": t.token };
    const pw = await api("/api/ui/profile/password", { method: "POST", body: { current: ADMIN.password, password: "taken-over-pw" }, headers: byToken });
    expect(pw.status).toBe(403);
    expect(pw.json.error).toMatch(/token cannot change/);
    const secret = authenticator.generateSecret();
    expect((await api("/api/ui/profile/totp", { method: "POST", body: { secret, code: authenticator.generate(secret) }, headers: byToken })).status).toBe(403);
    expect((await api("/api/ui/profile/totp", { method: "DELETE", body: { password: ADMIN.password }, headers: byToken })).status).toBe(403);
    const users = (await asAdmin("/api/ui/users")).json as { id: number; username: string }[];
    const me = users.find((u) => u.username === ADMIN.username)!;
    expect((await api(`/api/ui/users/${me.id}`, { method: "PATCH", body: { password: "taken-over-pw" }, headers: byToken })).status).toBe(403);
    expect((await login(panel.url, ADMIN.username, ADMIN.password)).cookie).toBeTruthy();
  });
});

describe("scoped tokens", () => {
  it("lets a read-only token read and refuses every route that acts, by meaning, in each API's envelope", async () => {
    const ro = await newToken({ note: "ro", readOnly: true });
    expect(ro.status).toBe(201);
    expect((await withToken(ro.token, "/api/v1/server/list")).status).toBe(200);
    expect((await withToken(ro.token, "/agents/")).status).toBe(200);
    expect((await withToken(ro.token, "/api/ui/servers")).status).toBe(200);
    const nezha = await api("/api/v1/server/register", { method: "POST", body: { Name: "x" }, headers: { authorization: ro.token } });
    expect(nezha.status).toBe(403);
    expect(nezha.json).toMatchObject({ code: 403 });
    // MCSManager's GET /api/protected_instance/open starts an instance: it acts.
    const open = await api(`/api/protected_instance/open?apikey=${ro.token}&uuid=x&daemonId=y`, { headers: { "x-requested-with": "XMLHttpRequest" } });
    expect(open.status).toBe(403);
    expect(open.json).toMatchObject({ status: 403 });
    const cmd = await withToken(ro.token, "/agents/nope/cmd/", { method: "POST", body: { shell: "/bin/bash", cmd: "id", timeout: 5 } });
    expect(cmd.status).toBe(403);
    expect(cmd.json.detail).toMatch(/read-only/);
    const mint = await api("/api/ui/tokens", { method: "POST", body: { note: "x" }, headers: { ...xhr, "x-api-key": ro.token } });
    expect(mint.status).toBe(403);
    expect(mint.json.error).toMatch(/read-only/);
  });

  it("limits a token to some APIs", async () => {
    const t = await newToken({ note: "nezha only", apis: "nezha" });
    expect((await withToken(t.token, "/api/v1/server/list")).status).toBe(200);
    const trmm = await withToken(t.token, "/agents/");
    expect(trmm.status).toBe(403);
    expect(trmm.json.detail).toMatch(/not allowed to use this API/);
    expect((await withToken(t.token, "/api/ui/servers")).status).toBe(403);
  });

  it("limits a token to source addresses (IPv4 and IPv6 CIDRs), refused as an authentication failure elsewhere", async () => {
    const bad = await newToken({ note: "bad", allowedCidrs: ["10.0.0.0/33"] });
    expect(bad.status).toBe(400);
    const t = await newToken({ note: "office", allowedCidrs: ["203.0.113.0/24", "2001:db8::/32"] });
    expect(t.status).toBe(201);
    const from = (ip: string) => withToken(t.token, "/agents/", { headers: { "x-forwarded-for": ip } });
    expect((await from("203.0.113.77")).status).toBe(200);
    expect((await from("2001:db8:1::5")).status).toBe(200);
    const outside = await from("198.51.100.1");
    expect(outside.status).toBe(401);
    expect(outside.json.detail).toBeTruthy();
    expect((await withToken(t.token, "/agents/")).status).toBe(401);
    expect((await from("2001:db9::1")).status).toBe(401);
    // The refusal is in the audit log like any refused credential: which token, from where.
    const logged = await until("the address refusal in the audit log", async () => {
      const r = await api("/api/ui/audit?action=auth.fail&limit=200", { headers: { cookie: adminCookie } });
      return (r.json.entries as { detail: string; ip: string }[]).find((e) => e.ip === "198.51.100.1" && e.detail.includes("token_address"));
    });
    expect(logged.detail).toContain("user=");
    expect(logged.detail).not.toContain(t.token);
  });

  it("takes and shows the scope on Tactical RMM's /accounts/apikeys/, and validates it", async () => {
    const made = await api("/accounts/apikeys/", {
      method: "POST",
      headers: { ...xhr, cookie: adminCookie },
      body: { name: "scoped key", user: 1, read_only: true, apis: ["trmm"], allowed_ips: ["127.0.0.1/32", "::1/128"] },
    });
    expect(made.status).toBe(200);
    expect(made.json).toMatchObject({ name: "scoped key", read_only: true, apis: ["trmm"], allowed_ips: ["127.0.0.1/32", "::1/128"] });
    const listed = (await api("/accounts/apikeys/", { headers: { cookie: adminCookie } })).json.find((k: { id: number }) => k.id === made.json.id);
    expect(listed).toMatchObject({ read_only: true, apis: ["trmm"] });
    expect((await withToken(made.json.key, "/agents/")).status).toBe(200);
    expect((await withToken(made.json.key, "/api/v1/server/list")).status).toBe(403);
    const bad = await api("/accounts/apikeys/", { method: "POST", headers: { ...xhr, cookie: adminCookie }, body: { name: "k", user: 1, apis: ["ftp"], allowed_ips: ["nope"] } });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.json).sort()).toEqual(["allowed_ips.0", "apis.0"]);
  });

  it("takes the same limits from the CLI", async () => {
    const r = await cli(["token", "add", "--user", ADMIN.username, "--note", "cli scoped", "--read-only", "--apis", "nezha,trmm", "--allow-ip", "127.0.0.1", "--allow-ip", "::1/128", "--expires", "2099-01-01"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("read-only; apis=nezha,trmm; from 127.0.0.1/32,::1/128");
    const token = r.stdout.trimEnd().split("\n").at(-1)!;
    expect((await withToken(token, "/agents/")).status).toBe(200);
    expect((await withToken(token, "/api/ui/servers")).status).toBe(403);
    expect((await api("/api/v1/server/register", { method: "POST", body: { Name: "x" }, headers: { authorization: token } })).status).toBe(403);
    const bad = await cli(["token", "add", "--user", ADMIN.username, "--apis", "gopher"]);
    expect(bad.code).toBe(1);
  });
});

describe("revocation is prompt", () => {
  it("refuses a token revoked from the CLI while the panel has it cached", async () => {
    const t = await newToken({ note: "to revoke from the CLI" });
    for (let i = 0; i < 3; i++) expect((await withToken(t.token, "/agents/")).status).toBe(200);
    const r = await cli(["token", "revoke", t.token]);
    expect(r.code, r.stderr).toBe(0);
    // Another process made the change: the panel learns it from the revocation epoch it polls.
    await until("the revoked token to be refused", async () => (await withToken(t.token, "/agents/")).status === 401, 10_000, { intervalMs: 100 });
  });

  it("refuses a user disabled from the CLI, cookie and token alike", async () => {
    await asAdmin("/api/ui/users", { method: "POST", body: { username: "dora", password: "dora-password", role: "admin" } });
    const { cookie } = await login(panel.url, "dora", "dora-password");
    const t = await newToken({ note: "dora's" }, { ...xhr, cookie: cookie! });
    expect((await withToken(t.token, "/agents/")).status).toBe(200);
    expect((await api("/api/ui/servers", { headers: { cookie: cookie! } })).status).toBe(200);
    expect((await cli(["user", "disable", "dora"])).code).toBe(0);
    await until("dora's token to be refused", async () => (await withToken(t.token, "/agents/")).status === 401, 10_000, { intervalMs: 100 });
    await until("dora's session to be refused", async () => (await api("/api/ui/servers", { headers: { cookie: cookie! } })).status === 401, 10_000, { intervalMs: 100 });
  });

  it("refuses an expired token", async () => {
    // Room for a loaded machine to make it and use it once before it expires.
    const t = await newToken({ note: "short", expiresAt: new Date(Date.now() + 8_000).toISOString() });
    expect((await withToken(t.token, "/agents/")).status).toBe(200);
    await until("the expired token to be refused", async () => (await withToken(t.token, "/agents/")).status === 401, 30_000, { intervalMs: 100 });
  });

  it("refuses a deleted token at the next request in the process that deleted it", async () => {
    const t = await newToken({ note: "deleted here" });
    expect((await withToken(t.token, "/api/ui/servers")).status).toBe(200);
    expect((await asAdmin(`/api/ui/tokens/${t.id}`, { method: "DELETE" })).status).toBe(200);
    expect((await withToken(t.token, "/api/ui/servers")).status).toBe(401);
  });
});

describe("sign-in throttling", () => {
  it("cannot be used by a stranger to lock the administrator out; the stranger is slowed down", async () => {
    const stranger = { "x-forwarded-for": "203.0.113.66" };
    const errors: (string | null)[] = [];
    for (let i = 0; i < 12; i++) errors.push((await login(panel.url, ADMIN.username, `guess-${i}`, "", stranger)).error);
    expect(errors.slice(0, 3)).toEqual(["CredentialsSignin", "CredentialsSignin", "CredentialsSignin"]);
    expect(errors).toContain("Throttled");
    // Even the right password is not checked for the stranger's pair now…
    expect((await login(panel.url, ADMIN.username, ADMIN.password, "", stranger)).error).toBe("Throttled");
    // …but the administrator, from their own address, signs in.
    expect((await login(panel.url, ADMIN.username, ADMIN.password, "", { "x-forwarded-for": "198.51.100.20" })).cookie).toBeTruthy();
    expect((await login(panel.url, ADMIN.username, ADMIN.password)).cookie).toBeTruthy();
  });

  it("caps the failures of one address over all usernames", async () => {
    const sprayer = { "x-forwarded-for": "192.0.2.99" };
    // 100 failures, ten at a time (every one counted, however they interleave), then the 101st.
    const errors: (string | null)[] = [];
    for (let i = 0; i < 100; i += 10) {
      const batch = Array.from({ length: 10 }, (_, j) => login(panel.url, `nobody-${i + j}`, "spray-password", "", sprayer));
      errors.push(...(await Promise.all(batch)).map((r) => r.error));
    }
    expect(new Set(errors)).toEqual(new Set(["CredentialsSignin"]));
    expect((await login(panel.url, "nobody-100", "spray-password", "", sprayer)).error).toBe("Throttled");
    expect((await login(panel.url, "someone-new", "spray-password", "", sprayer)).error).toBe("Throttled");
    expect((await login(panel.url, "someone-new", "spray-password", "", { "x-forwarded-for": "192.0.2.100" })).error).toBe("CredentialsSignin");
  }, 120_000);
});

describe("two-factor", () => {
  it("accepts each code once, and keeps the seed out of the database in clear", async () => {
    await asAdmin("/api/ui/users", { method: "POST", body: { username: "tess", password: "tess-password" } });
    const { cookie } = await login(panel.url, "tess", "tess-password");
    const tess = { ...xhr, cookie: cookie! };
    const state = await api("/api/ui/profile/totp", { headers: tess });
    const secret = state.json.secret as string;
    // Enable with the code of the previous step (the window allows it), so the current one is fresh.
    const prev = authenticator.clone({ epoch: Date.now() - 30_000 }).generate(secret);
    expect((await api("/api/ui/profile/totp", { method: "POST", body: { secret, code: prev }, headers: tess })).status).toBe(200);
    expect((await login(panel.url, "tess", "tess-password", prev)).error).toBe("OtpInvalid");
    const code = authenticator.generate(secret);
    const first = await login(panel.url, "tess", "tess-password", code);
    if (first.error === "OtpInvalid") {
      // The step turned between the two codes; the next one is fresh.
      await until("a new TOTP step", () => authenticator.generate(secret) !== code, 35_000);
      expect((await login(panel.url, "tess", "tess-password", authenticator.generate(secret))).cookie).toBeTruthy();
    } else {
      expect(first.cookie).toBeTruthy();
      expect((await login(panel.url, "tess", "tess-password", code)).error).toBe("OtpInvalid");
    }

    const db = fs.readFileSync(path.join(panel.dataDir, "fleetdeck.db"));
    const wal = fs.existsSync(path.join(panel.dataDir, "fleetdeck.db-wal")) ? fs.readFileSync(path.join(panel.dataDir, "fleetdeck.db-wal")) : Buffer.alloc(0);
    expect(db.includes(secret)).toBe(false);
    expect(wal.includes(secret)).toBe(false);
    const keyFile = path.join(panel.dataDir, "secret-key");
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
  });
});
