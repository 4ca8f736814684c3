import { execFileSync } from "node:child_process";
import fs from "node:fs";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ADMIN, startPanel, type RunningPanel } from "../helpers/panel";
import { until } from "../helpers/wait";
import { spawnAgent, type AgentProcess } from "../agent/helpers";

/**
 * The panel serving HTTPS and WSS itself (TLS_CERT, TLS_KEY), with a certificate made here and
 * trusted explicitly by each client: an API call and a browser sign-in over HTTPS, the real agent
 * over wss:// (trusting the certificate through NODE_EXTRA_CA_CERTS, which node reads at start),
 * the panel's own local agent (which talks to the hub over a loopback-only door), and an agent
 * that does not trust the certificate staying out.
 */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleetdeck-tls-"));
const CERT = path.join(dir, "cert.pem");
const KEY = path.join(dir, "key.pem");
let panel: RunningPanel;
const agents: AgentProcess[] = [];

beforeAll(async () => {
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", KEY, "-out", CERT, "-days", "2",
    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
  ], { stdio: "ignore" });
  panel = await startPanel({ TLS_CERT: CERT, TLS_KEY: KEY, FLEETDECK_LOCAL_AGENT: "1", FLEETDECK_AGENT_INTERVAL: "1" });
}, 90_000);
afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await panel?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Reply {
  status: number;
  text: string;
  cookies: string[];
}

/** One HTTPS request trusting only the test's certificate. */
function call(p: string, init: { method?: string; headers?: Record<string, string>; body?: string; ca?: Buffer | null } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      new URL(p, `https://localhost:${panel.port}`),
      { method: init.method ?? "GET", headers: init.headers, ca: init.ca === undefined ? fs.readFileSync(CERT) : init.ca ?? undefined },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode!, text, cookies: (res.headers["set-cookie"] ?? []).map((c) => c.split(";")[0]) }));
      },
    );
    req.on("error", reject);
    req.end(init.body);
  });
}

async function signIn(): Promise<string> {
  const csrf = await call("/api/nextauth/csrf");
  const { csrfToken } = JSON.parse(csrf.text) as { csrfToken: string };
  const body = new URLSearchParams({ csrfToken, username: ADMIN.username, password: ADMIN.password, json: "true" }).toString();
  const res = await call("/api/nextauth/callback/credentials", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", "content-length": String(Buffer.byteLength(body)), cookie: csrf.cookies.join("; ") },
    body,
  });
  const session = res.cookies.find((c) => /next-auth\.session-token=/.test(c));
  expect(session, `sign-in over HTTPS: ${res.status} ${res.text}`).toBeDefined();
  return session!;
}

it("says it listens on https, and refuses a client that does not trust the certificate", async () => {
  expect(panel.logs()).toMatch(/listening on https:\/\//);
  await expect(call("/healthz", { ca: null })).rejects.toThrow(/self[- ]signed|certificate/i);
  expect((await call("/healthz")).status).toBe(200);
});

it("answers the APIs and the sign-in over HTTPS, and runs agents over wss://", async () => {
  const cookie = await signIn();
  const ui = { cookie, "x-requested-with": "XMLHttpRequest", "content-type": "application/json" };
  const body = JSON.stringify({ note: "tls" });
  const made = await call("/api/ui/tokens", { method: "POST", headers: { ...ui, "content-length": String(body.length) }, body });
  expect(made.status, made.text).toBe(201);
  const { token } = JSON.parse(made.text) as { token: string };
  const list = await call("/api/v1/server/list", { headers: { authorization: token } });
  expect(list.status).toBe(200);
  expect(JSON.parse(list.text)).toMatchObject({ code: 0 });

  // The panel's own agent reaches the hub under TLS too.
  const servers = async () => JSON.parse((await call("/api/ui/servers", { headers: ui })).text) as { id: number; name: string; online: boolean }[];
  await until("the local agent to be online", async () => (await servers()).some((s) => s.name === "This panel's host" && s.online), 60_000, { extra: panel.logs });

  // A remote machine: the real agent, told to trust the certificate.
  const add = JSON.stringify({ name: "over-wss" });
  const created = await call("/api/ui/servers", { method: "POST", headers: { ...ui, "content-length": String(add.length) }, body: add });
  expect(created.status, created.text).toBe(201);
  const { id, secret } = JSON.parse(created.text) as { id: number; secret: string };
  expect(secret).toBeTruthy();
  const trusting = spawnAgent(["--panel", `https://localhost:${panel.port}`, "--interval", "1"], { FLEETDECK_SECRET: secret, NODE_EXTRA_CA_CERTS: CERT });
  agents.push(trusting);
  await until("the agent to connect over wss://", () => /connected to panel/.test(trusting.stderr()), 60_000, { extra: trusting.stderr });
  await until("the machine to be online", async () => (await servers()).find((s) => s.id === id)?.online, 30_000);

  // The same agent without the trust is refused by TLS itself and never gets in.
  await trusting.stop();
  const stranger = spawnAgent(["--panel", `https://localhost:${panel.port}`, "--interval", "1"], { FLEETDECK_SECRET: secret });
  agents.push(stranger);
  await until("the untrusting agent to report the certificate", () => /self[- ]signed|certificate/i.test(stranger.stderr()), 30_000, { extra: stranger.stderr });
  expect(stranger.stderr()).not.toMatch(/connected to panel/);
}, 150_000);
