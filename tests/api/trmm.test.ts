/**
 * The Tactical RMM API, black-box: a real panel (server.ts over the production build), its real
 * local agent (started with --allow-commands) and a second real agent without it. Scripts from
 * Tactical RMM's documentation run against it unchanged apart from the address and the key.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { until } from "../helpers/wait";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, ROOT, agentCommand, login, startPanel, type RunningPanel } from "../helpers/panel";

const run = promisify(execFile);

const NO_AGENT = { detail: "No Agent matches the given query." };
const FORBIDDEN = { detail: "You do not have permission to perform this action." };
const UNABLE = { detail: "Unable to contact the agent" };
const COMMANDS_DISABLED = /Commands are disabled on this agent.*--allow-commands/;

interface Answer {
  status: number;
  body: unknown;
  text: string;
  headers: Headers;
}

type Credential = { key: string } | { cookie: string } | null;

async function call(panel: RunningPanel, p: string, opts: { method?: string; auth?: Credential; json?: unknown; raw?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.auth && "key" in opts.auth) headers["x-api-key"] = opts.auth.key;
  if (opts.auth && "cookie" in opts.auth) headers.cookie = opts.auth.cookie;
  if (opts.json !== undefined || opts.raw !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(panel.url + p, {
    method: opts.method ?? (opts.json !== undefined || opts.raw !== undefined ? "POST" : "GET"),
    headers,
    body: opts.raw ?? (opts.json !== undefined ? JSON.stringify(opts.json) : undefined),
    redirect: "manual",
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON: keep the text */
  }
  return { status: res.status, body, text, headers: res.headers };
}

async function signIn(panel: RunningPanel, username: string, password: string): Promise<string> {
  const { cookie, error } = await login(panel.url, username, password);
  if (!cookie) throw new Error(`cannot sign in as ${username}: ${error}`);
  return cookie;
}

/** A token for a user, issued the way a user gets one: POST /api/ui/tokens with their session. */
async function mintToken(panel: RunningPanel, username: string, password: string): Promise<string> {
  const cookie = await signIn(panel, username, password);
  const res = await fetch(`${panel.url}/api/ui/tokens`, {
    method: "POST",
    headers: { cookie, "content-type": "application/json", "x-requested-with": "XMLHttpRequest" },
    body: JSON.stringify({ note: "trmm test" }),
  });
  const text = await res.text();
  // The secret is shown once, in whichever field the route names it.
  const secret = /"(fdk_[A-Za-z0-9_-]+)"/.exec(text)?.[1];
  if (res.status !== 201 || !secret) throw new Error(`cannot issue a token for ${username}: ${res.status} ${text}`);
  return secret;
}


interface Brief {
  id: number;
  hostname: string;
  agent_id: string;
  client: string;
  site: string;
}
interface Row {
  agent_id: string;
  hostname: string;
  status: string;
  client_name: string;
  site_name: string;
  monitoring_type: string;
  last_seen: string | null;
  plat: string;
  goarch: string;
  version: string;
}
interface Detail extends Row {
  connected: boolean;
  name: string;
}
interface History {
  id: number;
  command: string;
  username: string;
  results: string | null;
  status: string;
  exit_code: number | null;
  shell: string;
  type: string;
}

/** Tactical RMM's documented Python example, verbatim; only API and the key are replaced. */
const SEED_PYTHON = `import requests

API = "http://api.example.com"
HEADERS = {
    "Content-Type": "application/json",
    "X-API-KEY": "DKNRPTHSAPCKT8A36MCAMNZREWWWFPWI",
}


def trigger_update_scan():
    agents = requests.get(f"{API}/agents/?detail=false", headers=HEADERS)
    for agent in agents.json():
        r = requests.post(f"{API}/winupdate/{agent['agent_id']}/scan/", headers=HEADERS)
        print(r.json())


if __name__ == "__main__":
    trigger_update_scan()
`;

const hasRequests = spawnSync("python3", ["-c", "import requests"]).status === 0;
/** The agent runs on this machine: whether it has PowerShell decides what the PowerShell example gets. */
const hasPwsh = spawnSync("sh", ["-c", "command -v pwsh || command -v powershell"]).status === 0;

describe("Tactical RMM API against a real panel and real agents", () => {
  let panel: RunningPanel;
  let admin: { key: string };
  let adminCookie: string;
  let local: Detail;
  let second: { proc: ChildProcess; agentId: string; exited: Promise<unknown> } | null = null;

  beforeAll(async () => {
    panel = await startPanel({ FLEETDECK_LOCAL_AGENT: "1", FLEETDECK_LOCAL_AGENT_COMMANDS: "1" });
    adminCookie = await signIn(panel, ADMIN.username, ADMIN.password);
    admin = { key: await mintToken(panel, ADMIN.username, ADMIN.password) };
    const brief = await until("the local agent to be listed", async () => {
      const r = await call(panel, "/agents/?detail=false", { auth: admin });
      return (r.body as Brief[])[0];
    });
    local = await until("the local agent to connect", async () => {
      const r = await call(panel, `/agents/${brief.agent_id}/`, { auth: admin });
      const d = r.body as Detail;
      return d.connected && d.status === "online" && d.hostname === os.hostname() && d;
    });
  });

  afterAll(async () => {
    if (second && second.proc.exitCode === null) {
      second.proc.kill("SIGTERM");
      await second.exited;
    }
    await panel?.stop();
  });

  const cmd = (agentId: string, json: unknown, auth: Credential = admin) => call(panel, `/agents/${agentId}/cmd/`, { auth, json });

  describe("authentication", () => {
    it("answers 401 without credentials and with a bad key, in DRF's words", async () => {
      expect(await call(panel, "/agents/")).toMatchObject({ status: 401, body: { detail: "Authentication credentials were not provided." } });
      expect(await call(panel, "/agents/", { auth: { key: "fdk_not-a-real-token" } })).toMatchObject({ status: 401, body: { detail: "Invalid token." } });
      expect(await cmd(local.agent_id, { shell: "sh", cmd: "echo x" }, null)).toMatchObject({ status: 401 });
    });
  });

  describe("agents", () => {
    it("lists agents with detail=false as [{id, hostname, agent_id, client, site}], with or without the slash, never redirecting", async () => {
      for (const p of ["/agents/?detail=false", "/agents?detail=false"]) {
        const r = await call(panel, p, { auth: admin });
        expect(r.status).toBe(200);
        const list = r.body as Brief[];
        expect(list.length).toBeGreaterThanOrEqual(1);
        for (const a of list) expect(Object.keys(a).sort()).toEqual(["agent_id", "client", "hostname", "id", "site"]);
        expect(list.find((a) => a.agent_id === local.agent_id)).toEqual({
          id: expect.any(Number),
          hostname: os.hostname(),
          agent_id: local.agent_id,
          client: "Default",
          site: "Default",
        });
      }
    });

    it("lists the table fields by default, from the agent's own report", async () => {
      const r = await call(panel, "/agents/", { auth: admin });
      expect(r.status).toBe(200);
      const row = (r.body as Row[]).find((a) => a.agent_id === local.agent_id)!;
      expect(row).toMatchObject({
        hostname: os.hostname(),
        site_name: "Default",
        client_name: "Default",
        monitoring_type: "server",
        status: "online",
        plat: process.platform === "win32" ? "windows" : process.platform,
        goarch: process.arch === "x64" ? "amd64" : process.arch,
      });
      for (const key of ["description", "boot_time", "operating_system", "public_ip", "cpu_model", "local_ips", "version"]) expect(row).toHaveProperty(key);
      expect(new Date(row.last_seen!).toISOString()).toBe(row.last_seen);
      expect(row.version).toMatch(/^\d+\.\d+\.\d+/);
    });

    it("answers one agent, and 404 with Tactical RMM's body for an unknown one", async () => {
      expect(await call(panel, `/agents/${local.agent_id}`, { auth: admin })).toMatchObject({ status: 200, body: { agent_id: local.agent_id, client: "Default" } });
      for (const p of ["/agents/NoSuchAgent/", "/agents/NoSuchAgent/cmd/", "/agents/NoSuchAgent/history/", "/winupdate/NoSuchAgent/", "/winupdate/NoSuchAgent/scan/"]) {
        const r = await call(panel, p, { auth: admin, ...(p.endsWith("cmd/") ? { json: { shell: "sh", cmd: "true" } } : p.endsWith("scan/") ? { method: "POST" } : {}) });
        expect({ p, status: r.status, body: r.body }).toEqual({ p, status: 404, body: NO_AGENT });
      }
    });

    it("refuses a bad filter with a field error", async () => {
      expect(await call(panel, "/agents/?monitoring_type=laptop", { auth: admin })).toMatchObject({ status: 400, body: { monitoring_type: [expect.any(String)] } });
      // An empty parameter is no filter.
      const all = await call(panel, "/agents/?monitoring_type=&client=&detail=false", { auth: admin });
      expect((all.body as Brief[]).map((a) => a.agent_id)).toContain(local.agent_id);
    });
  });

  describe("commands", () => {
    it("runs echo on the agent and answers its output as a JSON string", async () => {
      // Arithmetic expansion proves a real bash ran it (the panel never sees "42").
      const r = await cmd(local.agent_id, { shell: "/bin/bash", cmd: "echo fleetdeck-$((6*7))", timeout: 10 });
      expect(r).toMatchObject({ status: 200, body: "fleetdeck-42\n" });
      expect(r.headers.get("content-type")).toMatch(/application\/json/);
    });

    it("accepts `command` as an alias of `cmd`, a numeric string timeout, sh and a custom shell", async () => {
      expect(await cmd(local.agent_id, { shell: "sh", command: "echo alias", timeout: "5" })).toMatchObject({ status: 200, body: "alias\n" });
      expect(await cmd(local.agent_id, { shell: "custom", custom_shell: "/bin/sh", cmd: "echo custom", timeout: 5 })).toMatchObject({ status: 200, body: "custom\n" });
      expect(await cmd(local.agent_id, { shell: "bash", cmd: "echo err >&2; exit 3", timeout: 5, run_as_user: false })).toMatchObject({ status: 200, body: "err\n" });
    });

    it("kills a command at its timeout and says so", async () => {
      const r = await cmd(local.agent_id, { shell: "/bin/bash", cmd: "echo before; sleep 30; echo after", timeout: 2 });
      expect(r.status).toBe(200);
      const out = r.body as string;
      expect(out).toMatch(/^before\n/);
      expect(out).not.toContain("after");
      expect(out).toContain("did not finish within 2 s and was killed");
    });

    it("caps huge output and says so", async () => {
      const r = await cmd(local.agent_id, { shell: "sh", cmd: "head -c 300000 /dev/zero | tr '\\0' x", timeout: 20 });
      expect(r.status).toBe(200);
      const out = r.body as string;
      expect(out.startsWith("x".repeat(1000))).toBe(true);
      expect(out.length).toBeLessThan(70 * 1024);
      expect(out).toContain("longer than 64 KiB");
    });

    it("answers field errors for a bad body, every bad field at once", async () => {
      const id = local.agent_id;
      expect(await cmd(id, { cmd: "echo x", timeout: 5 })).toEqual(expect.objectContaining({ status: 400, body: { shell: ["This field is required."] } }));
      expect(await cmd(id, { shell: "zsh", cmd: "echo x" })).toMatchObject({ status: 400, body: { shell: [expect.stringContaining("valid choice")] } });
      for (const timeout of [0, 3601, 2.5, "abc", -1, true]) {
        const r = await cmd(id, { shell: "sh", cmd: "echo x", timeout });
        expect({ timeout, status: r.status, keys: Object.keys(r.body as object) }).toEqual({ timeout, status: 400, keys: ["timeout"] });
      }
      expect(await cmd(id, { shell: "sh", timeout: 5 })).toMatchObject({ status: 400, body: { cmd: ["This field is required."] } });
      expect(await cmd(id, { shell: "sh", cmd: "", timeout: 5 })).toMatchObject({ status: 400, body: { cmd: [expect.any(String)] } });
      expect(await cmd(id, { shell: "custom", cmd: "echo x" })).toMatchObject({ status: 400, body: { custom_shell: [expect.any(String)] } });
      expect(await cmd(id, { shell: "sh", cmd: "whoami", run_as_user: true })).toMatchObject({ status: 400, body: { run_as_user: [expect.any(String)] } });
      const many = await cmd(id, { shell: "zsh", timeout: 0 });
      expect(many.status).toBe(400);
      expect(Object.keys(many.body as object).sort()).toEqual(["cmd", "shell", "timeout"]);
      expect(await cmd(id, [1, 2])).toMatchObject({ status: 400 });
      const notJson = await call(panel, `/agents/${id}/cmd/`, { auth: admin, raw: "{shell: sh" });
      expect(notJson).toMatchObject({ status: 400, body: { detail: expect.stringContaining("JSON") } });
      expect(await call(panel, `/agents/${id}/cmd/`, { auth: admin, method: "POST" })).toMatchObject({ status: 400, body: { shell: ["This field is required."] } });
    });

    it("says clearly when the shell does not exist on the agent (PowerShell example, sent with curl)", async () => {
      // The body PowerShell's ConvertTo-Json makes of the documented hashtable.
      const body = '{\n    "shell":  "powershell",\n    "cmd":  "dir c:\\\\\\\\users",\n    "timeout":  30\n}';
      const { stdout } = await run("curl", ["-s", "-w", "\n%{http_code}", "-X", "POST", `${panel.url}/agents/${local.agent_id}/cmd/`, "-H", `X-API-KEY: ${admin.key}`, "-H", "Content-Type: application/json", "--data-binary", body]);
      const [json, status] = stdout.split(/\n(?=\d+$)/);
      if (hasPwsh) expect(status).toBe("200");
      else {
        expect(status).toBe("400");
        expect(JSON.parse(json)).toEqual({ detail: expect.stringMatching(/PowerShell.*not on this machine's PATH/) });
      }
    });

    it("lists the agent's agents with the PowerShell example's request (sent with curl)", async () => {
      const { stdout } = await run("curl", ["-s", "-f", `${panel.url}/agents/`, "-H", `X-API-KEY: ${admin.key}`, "-H", "Content-Type: application/json"]);
      const agents = JSON.parse(stdout) as Row[];
      expect(agents.map((a) => a.hostname)).toContain(os.hostname());
    });

    it("records every command, and lists them most recent first at /agents/{agent_id}/history/", async () => {
      const marker = `history-${crypto.randomBytes(4).toString("hex")}`;
      expect(await cmd(local.agent_id, { shell: "sh", cmd: `echo ${marker}; exit 7`, timeout: 5 })).toMatchObject({ status: 200, body: `${marker}\n` });
      const r = await call(panel, `/agents/${local.agent_id}/history/`, { auth: admin });
      expect(r.status).toBe(200);
      const history = r.body as History[];
      expect(history[0]).toMatchObject({ type: "cmd_run", command: `echo ${marker}; exit 7`, username: ADMIN.username, shell: "sh", status: "done", exit_code: 7, results: `${marker}\n` });
      const killed = history.find((h) => h.command === "echo before; sleep 30; echo after");
      expect(killed).toMatchObject({ status: "timeout", results: expect.stringContaining("before") });
      expect(history.find((h) => h.command === "echo fleetdeck-$((6*7))")).toMatchObject({ status: "done", exit_code: 0, results: "fleetdeck-42\n" });
      // The PowerShell example's command is recorded too, refused or not.
      expect(history.find((h) => h.shell === "powershell")).toMatchObject({ status: hasPwsh ? "done" : "failed" });
      const ids = history.map((h) => h.id);
      expect(ids).toEqual([...ids].sort((a, b) => b - a));
    });
  });

  describe("update scans", () => {
    const waitForScan = async (agentId: string) => {
      const status = await until(
        "the update scan to finish",
        async () => {
          const r = await call(panel, `/api/ui/agents/${agentId}/updates`, { auth: { cookie: adminCookie } });
          const scan = (r.body as { scan: { state: string; found: number | null; error: string | null } | null }).scan;
          return scan && scan.state !== "running" && scan;
        },
        150_000,
      );
      expect(status).toMatchObject({ state: "done", error: null });
      const list = await call(panel, `/winupdate/${agentId}/`, { auth: admin });
      expect(list.status).toBe(200);
      const updates = list.body as { name: string; new_version: string; manager: string }[];
      expect(updates.length).toBe(status.found);
      for (const u of updates) expect(u).toMatchObject({ name: expect.any(String), new_version: expect.any(String), manager: expect.any(String) });
    };

    it.runIf(hasRequests)(
      "runs Tactical RMM's Python example unchanged (address and key aside), then stores the scan's result",
      async () => {
        const script = SEED_PYTHON.replace('"http://api.example.com"', JSON.stringify(panel.url)).replace('"DKNRPTHSAPCKT8A36MCAMNZREWWWFPWI"', JSON.stringify(admin.key));
        const py = spawnSync("python3", ["-"], { input: script, encoding: "utf8", timeout: 60_000 });
        expect(py.status, py.stderr).toBe(0);
        expect(py.stdout).toContain(`A Windows update scan will be performed on ${os.hostname()}\n`);
        await waitForScan(local.agent_id);
      },
      180_000,
    );

    it.skipIf(hasRequests)(
      "runs the Python example's requests with curl (python3 has no `requests` here), then stores the scan's result",
      async () => {
        const { stdout } = await run("curl", ["-s", "-f", `${panel.url}/agents/?detail=false`, "-H", `X-API-KEY: ${admin.key}`, "-H", "Content-Type: application/json"]);
        for (const agent of JSON.parse(stdout) as Brief[]) {
          const r = await run("curl", ["-s", "-X", "POST", `${panel.url}/winupdate/${agent.agent_id}/scan/`, "-H", `X-API-KEY: ${admin.key}`, "-H", "Content-Type: application/json"]);
          expect(JSON.parse(r.stdout)).toBe(`A Windows update scan will be performed on ${agent.hostname}`);
        }
        await waitForScan(local.agent_id);
      },
      180_000,
    );
  });

  describe("a second agent without --allow-commands, in another client and site", () => {
    beforeAll(async () => {
      const reg = await fetch(`${panel.url}/api/v1/server/register`, {
        method: "POST",
        headers: { authorization: admin.key, "content-type": "application/json" },
        body: JSON.stringify({ Name: "second", Tag: "trmm-test" }),
      });
      const { secret } = (await reg.json()) as { secret: string };
      expect(secret).toMatch(/^fda_/);
      const proc = spawn(process.execPath, [...agentCommand(), "--panel", panel.url, "--interval", "1"], {
        cwd: ROOT,
        env: { ...process.env, FLEETDECK_SECRET: secret },
        stdio: ["ignore", "ignore", "ignore"],
      });
      const exited = new Promise((r) => proc.once("exit", r));
      const brief = await until("the second agent to be listed", async () => {
        const r = await call(panel, "/agents/?detail=false", { auth: admin });
        return (r.body as Brief[]).find((a) => a.agent_id !== local.agent_id);
      });
      second = { proc, agentId: brief.agent_id, exited };
      await until("the second agent to connect", async () => ((await call(panel, `/agents/${brief.agent_id}/`, { auth: admin })).body as Detail).connected);
      const patch = await call(panel, `/api/ui/agents/${brief.agent_id}`, {
        method: "PATCH",
        auth: { cookie: adminCookie },
        json: { client: "Acme", site: "Berlin", monitoringType: "workstation" },
        headers: { "x-requested-with": "XMLHttpRequest" },
      });
      expect(patch.status).toBe(200);
    });

    it("refuses commands clearly when the agent does not allow them, and records the attempt", async () => {
      const r = await cmd(second!.agentId, { shell: "sh", cmd: "echo no", timeout: 5 });
      expect(r.status).toBe(400);
      expect((r.body as { detail: string }).detail).toMatch(COMMANDS_DISABLED);
      const history = (await call(panel, `/agents/${second!.agentId}/history/`, { auth: admin })).body as History[];
      expect(history[0]).toMatchObject({ command: "echo no", status: "failed" });
    });

    it("filters by client, site and monitoring type", async () => {
      const ids = async (q: string) => ((await call(panel, `/agents/?detail=false&${q}`, { auth: admin })).body as Brief[]).map((a) => a.agent_id);
      expect(await ids("client=Acme")).toEqual([second!.agentId]);
      expect(await ids("site=Berlin")).toEqual([second!.agentId]);
      expect(await ids("monitoring_type=workstation")).toEqual([second!.agentId]);
      expect(await ids("monitoring_type=server")).toEqual([local.agent_id]);
      expect(await ids("client=Default&site=Default")).toEqual([local.agent_id]);
      expect(await ids("client=Nobody")).toEqual([]);
      const full = (await call(panel, "/agents/?client=Acme", { auth: admin })).body as Row[];
      expect(full).toEqual([expect.objectContaining({ client_name: "Acme", site_name: "Berlin", monitoring_type: "workstation" })]);
    });

    describe("permissions, per Tactical RMM's rules, for the user role", () => {
      const users: Record<string, { key: string }> = {};

      beforeAll(async () => {
        const defs: Record<string, Record<string, unknown>> = {
          nobody: {},
          viewer: { canListAgents: true },
          acmeViewer: { canListAgents: true, allowedClients: "Acme" },
          operator: { canListAgents: true, canSendCmd: true, canManageWinupdates: true },
          acmeOperator: { canListAgents: true, canSendCmd: true, canManageWinupdates: true, allowedClients: "Acme" },
          berlinSite: { canListAgents: true, allowedSites: "Berlin" },
        };
        for (const [username, perms] of Object.entries(defs)) {
          const password = `pw-${username}-12345`;
          const created = await call(panel, "/api/ui/users", { auth: { cookie: adminCookie }, json: { username, password, role: "user" }, headers: { "x-requested-with": "XMLHttpRequest" } });
          expect(created.status).toBe(201);
          const id = (created.body as { id: number }).id;
          if (Object.keys(perms).length) {
            const patched = await call(panel, `/api/ui/users/${id}`, { method: "PATCH", auth: { cookie: adminCookie }, json: perms, headers: { "x-requested-with": "XMLHttpRequest" } });
            expect(patched.status).toBe(200);
          }
          users[username] = { key: await mintToken(panel, username, password) };
        }
      });

      it("filters lists to the user's clients/sites and refuses actions with 403", async () => {
        const L = local.agent_id;
        const S = second!.agentId;
        const listed = async (u: string) => {
          const r = await call(panel, "/agents/?detail=false", { auth: users[u] });
          return r.status === 200 ? (r.body as Brief[]).map((a) => a.agent_id).sort() : r.status;
        };
        expect(await listed("nobody")).toBe(403);
        expect(await listed("viewer")).toEqual([L, S].sort());
        expect(await listed("acmeViewer")).toEqual([S]);
        expect(await listed("berlinSite")).toEqual([S]);
        expect(await listed("operator")).toEqual([L, S].sort());

        const echo = { json: { shell: "sh", cmd: "echo matrix", timeout: 5 } };
        const matrix: [string, string, string, { method?: string; json?: unknown }, number][] = [
          ["nobody", "GET", `/agents/${L}/`, {}, 403],
          ["nobody", "POST", `/agents/${L}/cmd/`, echo, 403],
          ["nobody", "GET", `/agents/${L}/history/`, {}, 403],
          ["nobody", "POST", `/winupdate/${L}/scan/`, { method: "POST" }, 403],
          ["nobody", "GET", `/winupdate/${L}/`, {}, 403],
          ["viewer", "GET", `/agents/${L}/`, {}, 200],
          ["viewer", "POST", `/agents/${L}/cmd/`, echo, 403],
          ["viewer", "GET", `/agents/${L}/history/`, {}, 403],
          ["viewer", "POST", `/winupdate/${L}/scan/`, { method: "POST" }, 403],
          ["viewer", "GET", `/winupdate/${L}/`, {}, 403],
          ["viewer", "GET", "/agents/NoSuchAgent/", {}, 404],
          ["acmeViewer", "GET", `/agents/${L}/`, {}, 403],
          ["acmeViewer", "GET", `/agents/${S}/`, {}, 200],
          ["berlinSite", "GET", `/agents/${L}/`, {}, 403],
          ["berlinSite", "GET", `/agents/${S}/`, {}, 200],
          ["operator", "POST", `/agents/${L}/cmd/`, echo, 200],
          ["operator", "GET", `/agents/${L}/history/`, {}, 200],
          ["operator", "GET", `/winupdate/${L}/`, {}, 200],
          ["acmeOperator", "POST", `/agents/${L}/cmd/`, echo, 403],
          ["acmeOperator", "GET", `/agents/${L}/history/`, {}, 403],
          ["acmeOperator", "POST", `/winupdate/${L}/scan/`, { method: "POST" }, 403],
          ["acmeOperator", "GET", `/winupdate/${L}/`, {}, 403],
          ["acmeOperator", "GET", `/agents/${S}/history/`, {}, 200],
          ["acmeOperator", "GET", `/winupdate/${S}/`, {}, 200],
        ];
        const got: { u: string; method: string; p: string; status: number }[] = [];
        for (const [u, method, p, opts] of matrix) {
          const r = await call(panel, p, { auth: users[u], method, ...opts });
          got.push({ u, method, p, status: r.status });
          if (r.status === 403) expect(r.body).toEqual(FORBIDDEN);
        }
        expect(got).toEqual(matrix.map(([u, method, p, , status]) => ({ u, method, p, status })));
        // Within their scope, a restricted operator reaches the agent (which refuses: no --allow-commands).
        const inScope = await cmd(S, { shell: "sh", cmd: "echo scoped", timeout: 5 }, users.acmeOperator);
        expect((inScope.body as { detail: string }).detail).toMatch(COMMANDS_DISABLED);
        // The operator's command ran and was recorded under their name.
        const history = (await call(panel, `/agents/${L}/history/`, { auth: admin })).body as History[];
        expect(history[0]).toMatchObject({ username: "operator", command: "echo matrix", results: "matrix\n" });
      });

      it("keeps editing groups in the UI for administrators", async () => {
        const r = await call(panel, `/api/ui/agents/${local.agent_id}`, {
          method: "PATCH",
          auth: users.operator,
          json: { client: "Hijacked" },
        });
        expect(r.status).toBe(403);
        expect(((await call(panel, `/agents/${local.agent_id}/`, { auth: admin })).body as Detail).client_name).toBe("Default");
      });
    });

    it("answers a command for an agent that went offline with a prompt 400, and queues its scan (200, as Tactical RMM)", async () => {
      second!.proc.kill("SIGTERM");
      await second!.exited;
      await until("the panel to see the agent gone", async () => !((await call(panel, `/agents/${second!.agentId}/`, { auth: admin })).body as Detail).connected);
      expect(await cmd(second!.agentId, { shell: "sh", cmd: "echo offline", timeout: 3600 })).toEqual(expect.objectContaining({ status: 400, body: UNABLE }));
      expect(await call(panel, `/winupdate/${second!.agentId}/scan/`, { auth: admin, method: "POST" })).toEqual(
        expect.objectContaining({ status: 200, body: expect.stringMatching(/^A Windows update scan will be performed on /) }),
      );
      const history = (await call(panel, `/agents/${second!.agentId}/history/`, { auth: admin })).body as History[];
      expect(history[0]).toMatchObject({ command: "echo offline", status: "failed" });
    });
  });
});

describe("a panel whose local agent does not allow commands (FLEETDECK_LOCAL_AGENT_COMMANDS=0)", () => {
  let panel: RunningPanel;
  beforeAll(async () => {
    panel = await startPanel({ FLEETDECK_LOCAL_AGENT: "1", FLEETDECK_LOCAL_AGENT_COMMANDS: "0" });
  });
  afterAll(async () => {
    await panel?.stop();
  });

  it("says so instead of running the command", async () => {
    const auth = { cookie: await signIn(panel, ADMIN.username, ADMIN.password) };
    const agent = await until("the local agent to connect", async () => {
      const list = (await call(panel, "/agents/?detail=false", { auth })).body as Brief[];
      const d = list[0] && ((await call(panel, `/agents/${list[0].agent_id}/`, { auth })).body as Detail);
      return d && d.connected && d;
    });
    const r = await call(panel, `/agents/${agent.agent_id}/cmd/`, { auth, headers: { "x-requested-with": "XMLHttpRequest" }, json: { shell: "/bin/bash", cmd: "echo should-not-run", timeout: 5 } });
    expect(r.status).toBe(400);
    expect((r.body as { detail: string }).detail).toMatch(COMMANDS_DISABLED);
    expect(r.text).not.toContain("should-not-run\\n");
  });
});
