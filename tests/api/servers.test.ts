/**
 * The servers of the panel's own UI API (/api/ui/servers*), over real HTTP against the real
 * panel, with the real agent process reporting real metrics of this machine.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServerDetail, ServerRow } from "../../lib/dialects/ui/views";
import { ADMIN, ROOT, agentCommand, login, startPanel, type RunningPanel } from "../helpers/panel";

let panel: RunningPanel;
let adminCookie: string;
let userCookie: string;
const agents = new Set<ChildProcess>();

interface Answer<T = Record<string, unknown>> {
  status: number;
  json: T;
}

async function api<T = Record<string, unknown>>(
  p: string,
  init: { method?: string; cookie?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer<T>> {
  const res = await fetch(`${panel.url}${p}`, {
    method: init.method ?? "GET",
    headers: {
      "content-type": "application/json",
      "x-requested-with": "XMLHttpRequest",
      ...(init.cookie === undefined ? { cookie: adminCookie } : init.cookie ? { cookie: init.cookie } : {}),
      ...init.headers,
    },
    body: init.body === undefined ? undefined : typeof init.body === "string" ? init.body : JSON.stringify(init.body),
  });
  const text = await res.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON: keep the text, the assertion will show it */
  }
  return { status: res.status, json: json as T };
}

interface Enrollment {
  id: number;
  name: string;
  secret: string;
  panelUrl: string;
  command: string;
}

async function createServer(body: Record<string, unknown>): Promise<Enrollment> {
  const r = await api<Enrollment>("/api/ui/servers", { method: "POST", body });
  expect(r.status, JSON.stringify(r.json)).toBe(201);
  return r.json;
}

const detail = (id: number) => api<ServerDetail>(`/api/ui/servers/${id}`);

/** Polls until `check` returns a value (not undefined); fails with `what` after `timeoutMs`. */
async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}\n${panel.logs().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The real agent CLI, as an admin would run it (the secret through the environment). */
function startAgent(secret: string): { proc: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const proc = spawn(process.execPath, [...agentCommand(), "--panel", panel.url, "--interval", "1"], {
    cwd: ROOT,
    env: { ...process.env, FLEETDECK_SECRET: secret },
    stdio: ["ignore", "pipe", "pipe"],
  });
  agents.add(proc);
  let out = "";
  proc.stdout!.on("data", (d) => (out += d));
  proc.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((resolve) =>
    proc.once("exit", (code) => {
      agents.delete(proc);
      resolve(code);
    }),
  );
  return { proc, output: () => out, exited };
}

async function exitCodeOf(agent: ReturnType<typeof startAgent>, timeoutMs = 30_000): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the agent did not exit:\n${agent.output()}`)), timeoutMs);
  });
  try {
    return await Promise.race([agent.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

beforeAll(async () => {
  panel = await startPanel();
  const admin = await login(panel.url, ADMIN.username, ADMIN.password);
  adminCookie = admin.cookie!;
  expect(adminCookie).toBeTruthy();
  const created = await api("/api/ui/users", { method: "POST", body: { username: "viewer", password: "viewer-password" } });
  expect(created.status).toBe(201);
  // A viewer may list machines (Tactical RMM's can_list_agents): the access policy of every door.
  const id = (created.json as { id: number }).id;
  expect((await api(`/api/ui/users/${id}`, { method: "PATCH", body: { canListAgents: true } })).status).toBe(200);
  const viewer = await login(panel.url, "viewer", "viewer-password");
  userCookie = viewer.cookie!;
  expect(userCookie).toBeTruthy();
});

afterAll(async () => {
  for (const proc of agents) proc.kill("SIGKILL");
  await panel?.stop();
});

describe("adding a server", () => {
  it("shows the secret once, with the agent command for this panel", async () => {
    const e = await createServer({ name: "web-1", tag: "prod", note: "rack 3", displayIndex: 5 });
    expect(e.secret).toMatch(/^fda_[A-Za-z0-9_-]{43}$/);
    expect(e.panelUrl).toBe(panel.url);
    expect(e.command).toBe(`npm run agent -- --panel ${panel.url} --secret ${e.secret}`);

    const row = (await detail(e.id)).json;
    expect(row).toMatchObject({ id: e.id, name: "web-1", tag: "prod", note: "rack 3", displayIndex: 5, hideForGuest: false });
    // Never reported: no made-up zeros, offline, no host.
    expect(row).toMatchObject({ online: false, lastActive: null, cpu: null, memUsed: null, uptime: null, host: null, temperatures: [] });
    expect(JSON.stringify(row)).not.toContain(e.secret);
    const list = await api<ServerRow[]>("/api/ui/servers");
    expect(JSON.stringify(list.json)).not.toContain(e.secret);
  });

  it("builds the command from the address the admin used behind a TLS proxy", async () => {
    const r = await api<Enrollment>("/api/ui/servers", {
      method: "POST",
      body: { name: "behind-proxy" },
      headers: { "x-forwarded-host": "panel.example.com", "x-forwarded-proto": "https" },
    });
    expect(r.status).toBe(201);
    expect(r.json.command).toBe(`npm run agent -- --panel https://panel.example.com --secret ${r.json.secret}`);
    // A host that could inject into the pasted shell command is not used.
    const evil = await api<Enrollment>("/api/ui/servers", { method: "POST", body: { name: "evil-host" }, headers: { "x-forwarded-host": "x;rm -rf ~" } });
    expect(evil.status).toBe(201);
    expect(evil.json.command).not.toContain(";");
    expect(evil.json.command).toMatch(/^npm run agent -- --panel https?:\/\/[A-Za-z0-9.:-]+ --secret fda_/);
  });

  it("has no history yet: both ranges answer []", async () => {
    const e = await createServer({ name: "fresh" });
    for (const range of ["hour", "day"]) {
      const r = await api(`/api/ui/servers/${e.id}/history?range=${range}`);
      expect(r.status).toBe(200);
      expect(r.json).toEqual([]);
    }
    expect((await api(`/api/ui/servers/${e.id}/history`)).json).toEqual([]);
  });

  it("edits a server; the list follows the display order (higher first)", async () => {
    const a = await createServer({ name: "order-a", displayIndex: 1 });
    const b = await createServer({ name: "order-b", displayIndex: 2 });
    const patched = await api(`/api/ui/servers/${a.id}`, { method: "PATCH", body: { name: "order-a2", tag: "edge", displayIndex: 3, hideForGuest: true } });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({ id: a.id, name: "order-a2", tag: "edge", displayIndex: 3, hideForGuest: true });
    const ids = (await api<ServerRow[]>("/api/ui/servers")).json.map((s) => s.id);
    expect(ids.indexOf(a.id)).toBeLessThan(ids.indexOf(b.id));
  });
});

describe("the real agent", () => {
  it("reports real metrics, goes offline when stopped", async () => {
    const e = await createServer({ name: "agent-host", tag: "live" });
    const agent = startAgent(e.secret);

    const first = await waitFor("the agent's first reports", async () => {
      const d = (await detail(e.id)).json;
      return d.online && d.host && d.memTotal && d.uptime ? d : undefined;
    });
    expect(first.connected).toBe(true);
    expect(first.status).toBe("online");
    expect(first.memTotal).toBeGreaterThan(0);
    expect(first.memUsed).toBeGreaterThan(0);
    expect(first.uptime).toBeGreaterThan(0);
    expect(first.processCount).toBeGreaterThan(0);
    expect(first.cpu).toBeGreaterThanOrEqual(0);
    expect(first.host!.cpu.length).toBeGreaterThan(0);
    expect(first.host!.memTotal).toBeGreaterThan(0);
    expect(first.host!.bootTime).toBeGreaterThan(0);
    expect(first.platform).toContain(process.platform);

    // Reports keep coming: the last-report time moves on.
    await waitFor("lastActive to advance", async () => {
      const d = (await detail(e.id)).json;
      return d.lastActive! > first.lastActive! ? d : undefined;
    });

    // The list shows the same live view.
    const row = (await api<ServerRow[]>("/api/ui/servers")).json.find((s) => s.id === e.id)!;
    expect(row).toMatchObject({ online: true, tag: "live" });
    expect(row.memTotal).toBeGreaterThan(0);
    expect(row.cpu).not.toBeNull();

    agent.proc.kill("SIGTERM");
    expect(await exitCodeOf(agent)).toBe(0);
    const gone = await waitFor("the server to go offline", async () => {
      const d = (await detail(e.id)).json;
      return d.online ? undefined : d;
    });
    expect(gone.status).toBe("offline");
    expect(gone.connected).toBe(false);
    // The last values stay visible after it went offline.
    expect(gone.memTotal).toBeGreaterThan(0);
  });

  it("a new secret cuts off the old one: its agent is refused and exits with code 2", async () => {
    const e = await createServer({ name: "rotate-me" });
    const old = startAgent(e.secret);
    await waitFor("the agent online", async () => ((await detail(e.id)).json.online ? true : undefined));

    const rotated = await api<Enrollment>(`/api/ui/servers/${e.id}/secret`, { method: "POST" });
    expect(rotated.status).toBe(200);
    expect(rotated.json.secret).toMatch(/^fda_/);
    expect(rotated.json.secret).not.toBe(e.secret);
    expect(rotated.json.command).toContain(rotated.json.secret);

    expect(await exitCodeOf(old)).toBe(2);
    expect(old.output()).toMatch(/refused/);

    // The new secret works.
    const renewed = startAgent(rotated.json.secret);
    const before = (await detail(e.id)).json.lastActive ?? 0;
    await waitFor("the agent with the new secret", async () => {
      const d = (await detail(e.id)).json;
      return d.connected && d.lastActive! > before ? true : undefined;
    });
    renewed.proc.kill("SIGTERM");
    await exitCodeOf(renewed);
  });

  it("deleting a server refuses its agent", async () => {
    const e = await createServer({ name: "delete-me" });
    const agent = startAgent(e.secret);
    await waitFor("the agent online", async () => ((await detail(e.id)).json.online ? true : undefined));

    const removed = await api(`/api/ui/servers/${e.id}`, { method: "DELETE" });
    expect(removed.status).toBe(200);
    expect(await exitCodeOf(agent)).toBe(2);
    expect((await detail(e.id)).status).toBe(404);
    expect((await api(`/api/ui/servers/${e.id}/history`)).status).toBe(404);
    expect((await api<ServerRow[]>("/api/ui/servers")).json.some((s) => s.id === e.id)).toBe(false);

    // Started afresh with the deleted server's secret, an agent is refused at once.
    const again = startAgent(e.secret);
    expect(await exitCodeOf(again)).toBe(2);
  });
});

describe("who may do what", () => {
  it("needs a session", async () => {
    expect((await api("/api/ui/servers", { cookie: "" })).status).toBe(401);
    expect((await api("/api/ui/servers", { cookie: "", method: "POST", body: { name: "x" } })).status).toBe(401);
  });

  it("lets a user look but not change anything", async () => {
    const e = await createServer({ name: "look-only", note: "admins only" });
    const list = await api<ServerRow[]>("/api/ui/servers", { cookie: userCookie });
    expect(list.status).toBe(200);
    const row = list.json.find((s) => s.id === e.id)!;
    expect(row.name).toBe("look-only");
    expect(row).not.toHaveProperty("note");
    const one = await api<ServerDetail>(`/api/ui/servers/${e.id}`, { cookie: userCookie });
    expect(one.status).toBe(200);
    expect(one.json).not.toHaveProperty("note");
    expect((await api(`/api/ui/servers/${e.id}/history`, { cookie: userCookie })).status).toBe(200);

    const refused = [
      await api("/api/ui/servers", { cookie: userCookie, method: "POST", body: { name: "nope" } }),
      await api(`/api/ui/servers/${e.id}`, { cookie: userCookie, method: "PATCH", body: { name: "nope" } }),
      await api(`/api/ui/servers/${e.id}`, { cookie: userCookie, method: "DELETE" }),
      await api(`/api/ui/servers/${e.id}/secret`, { cookie: userCookie, method: "POST" }),
    ];
    for (const r of refused) {
      expect(r.status).toBe(403);
      expect(r.json.error).toBeTruthy();
    }
    expect((await detail(e.id)).json.name).toBe("look-only");
  });

  it("refuses a cookie mutation without X-Requested-With (cross-site forms)", async () => {
    const r = await api("/api/ui/servers", { method: "POST", body: { name: "csrf" }, headers: { "x-requested-with": "" } });
    expect(r.status).toBe(403);
  });
});

describe("bad input gets a clear 400 or 404, never a 500", () => {
  it("refuses bad bodies when adding", async () => {
    const cases: [unknown, RegExp][] = [
      [{ name: "" }, /name/i],
      [{ name: "   " }, /name/i],
      [{ name: "x".repeat(101) }, /name/i],
      [{}, /name/i],
      ["{not json", /JSON/],
      [[1, 2], /object/i],
      [{ name: "ok", hideForGuest: "yes" }, /hideForGuest/],
      [{ name: "ok", displayIndex: 1.5 }, /displayIndex/],
      [{ name: "ok", displayIndex: 1e12 }, /displayIndex/],
      [{ name: "ok", tag: 5 }, /tag/],
    ];
    for (const [body, message] of cases) {
      const r = await api("/api/ui/servers", { method: "POST", body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(String(r.json.error), JSON.stringify(body)).toMatch(message);
    }
    const empty = await api("/api/ui/servers", { method: "POST" });
    expect(empty.status).toBe(400);
    const names = (await api<ServerRow[]>("/api/ui/servers")).json.map((s) => s.name);
    expect(names).not.toContain("ok");
  });

  it("refuses bad edits", async () => {
    const e = await createServer({ name: "edit-target" });
    for (const body of [{ name: "" }, { name: "y".repeat(101) }, "{bad", { displayIndex: "1" }, [1]]) {
      const r = await api(`/api/ui/servers/${e.id}`, { method: "PATCH", body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.error).toBeTruthy();
    }
    expect((await detail(e.id)).json.name).toBe("edit-target");
  });

  it("answers unknown and malformed ids with 404", async () => {
    for (const id of ["999999", "abc", "-1", "0", "1.5", "1e3", "%20", "9".repeat(40)]) {
      const answers = [
        await api(`/api/ui/servers/${id}`),
        await api(`/api/ui/servers/${id}`, { method: "PATCH", body: { name: "x" } }),
        await api(`/api/ui/servers/${id}`, { method: "DELETE" }),
        await api(`/api/ui/servers/${id}/secret`, { method: "POST" }),
        await api(`/api/ui/servers/${id}/history?range=hour`),
      ];
      for (const r of answers) {
        expect(r.status, `id ${id}`).toBe(404);
        expect(r.json.error).toBe("No such server");
      }
    }
  });

  it("refuses an unknown history range", async () => {
    const e = await createServer({ name: "range-target" });
    for (const range of ["week", "HOUR", "1"]) {
      const r = await api(`/api/ui/servers/${e.id}/history?range=${range}`);
      expect(r.status).toBe(400);
      expect(r.json.error).toMatch(/hour or day/);
    }
  });
});
