import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServerDetail } from "../../lib/dialects/ui/views";
import { ADMIN, login, startPanel, type RunningPanel } from "../helpers/panel";
import { until } from "../helpers/wait";
import { isAlive, waitFor } from "./helpers";

/**
 * Opt-in self-update (agent/self-update.ts) with the real panel and the real bundle, run with
 * plain `node` from temporary folders outside the repository. An "older" agent is the panel's own
 * bundle with its embedded version string changed (scripts/build-agent.mjs reads the version the
 * bundle prints; agent/util.ts AGENT_VERSION is the one literal). Tampering is done where it
 * happens in life — on the way: a relay on loopback in front of the panel passes everything
 * through (the WebSocket too) and alters the bundle it serves.
 */
let panel: RunningPanel;
let cookie: string;
let latest: { version: string; url: string; sha256: string; size: number; nodeArgs: string[] };
let current: Buffer;
let oldBundle: Buffer;
let oldVersion: string;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fleetdeck-selfupdate-"));
fs.chmodSync(tmp, 0o755); // one agent runs as another user
const started: ChildProcess[] = [];
const extraPids: number[] = [];

const sha256 = (b: Buffer) => crypto.createHash("sha256").update(b).digest("hex");

beforeAll(async () => {
  panel = await startPanel();
  cookie = (await login(panel.url, ADMIN.username, ADMIN.password)).cookie!;
  latest = (await (await fetch(`${panel.url}/agent/latest.json`)).json()) as typeof latest;
  current = Buffer.from(await (await fetch(new URL(latest.url, `${panel.url}/agent/latest.json`))).arrayBuffer());
  expect(sha256(current)).toBe(latest.sha256);
  // The older agent: the same bundle announcing an older version (a pre-release of the current).
  oldVersion = `${latest.version}-old`;
  const literal = `AGENT_VERSION="${latest.version}"`;
  const text = current.toString("utf8");
  expect(text.split(literal)).toHaveLength(2);
  oldBundle = Buffer.from(text.replace(literal, `AGENT_VERSION="${oldVersion}"`));
}, 90_000);

afterAll(async () => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  for (const pid of extraPids) if (isAlive(pid)) process.kill(pid, "SIGKILL");
  await panel?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const ui = (p: string, init: RequestInit = {}) =>
  fetch(`${panel.url}${p}`, { ...init, headers: { cookie, "content-type": "application/json", "x-requested-with": "test", ...init.headers } });

async function newServer(name: string): Promise<{ id: number; secret: string }> {
  const res = await ui("/api/ui/servers", { method: "POST", body: JSON.stringify({ name }) });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: number; secret: string };
}

const detail = async (id: number) => (await (await ui(`/api/ui/servers/${id}`)).json()) as ServerDetail;

/** A folder outside the repository holding the older agent, as install.sh lays it out. */
function oldAgentFolder(name: string): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { mode: 0o755 });
  fs.chmodSync(dir, 0o755);
  fs.writeFileSync(path.join(dir, "fleetdeck-agent.cjs"), oldBundle, { mode: 0o755 });
  return dir;
}

interface Run {
  child: ChildProcess;
  stderr: () => string;
  /** Resolves with the exit code (or signal) when this process exits. */
  exited: Promise<number | string>;
}

/** The agent as its unit runs it: plain node, its Node flags, an environment of its own only. */
function runAgent(dir: string, panelUrl: string, secret: string, args: string[], env: Record<string, string> = {}, as?: { uid: number; gid: number }): Run {
  const child = spawn(process.execPath, [...latest.nodeArgs, path.join(dir, "fleetdeck-agent.cjs"), "--panel", panelUrl, "--interval", "1", ...args], {
    cwd: dir,
    // No random wait before fetching (its own test below sets one).
    env: { PATH: process.env.PATH ?? "", FLEETDECK_SECRET: secret, FLEETDECK_UPDATE_SPREAD: "0", ...env } as unknown as NodeJS.ProcessEnv,
    stdio: ["ignore", "ignore", "pipe"],
    ...(as ?? {}),
  });
  started.push(child);
  let err = "";
  child.stderr!.on("data", (d: Buffer) => (err += d.toString("utf8")));
  // "exit", not "close": a re-started agent inherits the stderr pipe and keeps it open.
  const exited = new Promise<number | string>((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal ?? "?")));
  return { child, stderr: () => err, exited };
}

async function stop(run: Run): Promise<void> {
  if (run.child.exitCode === null && run.child.signalCode === null) {
    run.child.kill("SIGTERM");
    await run.exited;
  }
}

const count = (text: string, needle: string) => text.split(needle).length - 1;

/**
 * A relay on loopback in front of the panel, as a network path (or a compromised proxy) is: every
 * request and the agent's WebSocket pass through; `alterBundle` changes the agent file it serves.
 * It counts what it passes. With `tls` it terminates HTTPS as a reverse proxy in front of a panel
 * does.
 */
async function startRelay(alterBundle: ((body: Buffer) => Buffer) | null, tls?: { cert: string; key: string }) {
  const target = new URL(panel.url);
  const seen = { manifest: 0, bundle: 0 };
  const tunnels = new Set<net.Socket>();
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const pathname = new URL(req.url ?? "/", "http://relay").pathname;
    if (pathname === "/agent/latest.json") seen.manifest++;
    const isBundle = pathname.startsWith("/agent/fleetdeck-agent-");
    if (isBundle) seen.bundle++;
    const upstream = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
      const chunks: Buffer[] = [];
      r.on("data", (c: Buffer) => chunks.push(c));
      r.on("end", () => {
        let body: Buffer = Buffer.concat(chunks);
        if (isBundle && alterBundle && r.statusCode === 200) body = alterBundle(body);
        res.writeHead(r.statusCode ?? 502, { ...r.headers, "content-length": String(body.length) });
        res.end(body);
      });
    });
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  };
  const server = tls ? https.createServer(tls, handler) : http.createServer(handler);
  server.on("upgrade", (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    const upstream = net.connect(Number(target.port), target.hostname, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      upstream.write(lines.join("\r\n") + "\r\n\r\n");
      upstream.write(head);
      socket.pipe(upstream).pipe(socket);
    });
    tunnels.add(socket);
    const end = () => {
      tunnels.delete(socket);
      socket.destroy();
      upstream.destroy();
    };
    socket.on("close", end).on("error", end);
    upstream.on("close", end).on("error", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `${tls ? "https" : "http"}://127.0.0.1:${port}`,
    seen,
    /** Cuts every agent connection (they reconnect through the relay). */
    dropAgents: () => {
      for (const s of tunnels) s.destroy();
    },
    close: async () => {
      for (const s of tunnels) s.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe("agent self-update (--self-update)", () => {
  it("replaces an older agent's file with the panel's and comes back as the new version (no supervisor: it starts the new file itself)", async () => {
    const { id, secret } = await newServer("self-update-a");
    const dir = oldAgentFolder("a");
    const file = path.join(dir, "fleetdeck-agent.cjs");
    const agent = runAgent(dir, panel.url, secret, ["--self-update"]);
    try {
      expect(await agent.exited).toBe(0);
      const log = agent.stderr();
      expect(log).toContain(`agent ${oldVersion} →`);
      expect(log).toContain("self-update on");
      expect(log).toContain(`self-update: the panel serves agent ${latest.version} (this is ${oldVersion})`);
      expect(log).toContain(`is now agent ${latest.version}`);
      // The file in place is the panel's, byte for byte; nothing else is left in the folder.
      expect(sha256(fs.readFileSync(file))).toBe(latest.sha256);
      expect(fs.statSync(file).mode & 0o777).toBe(0o755);
      expect(fs.readdirSync(dir)).toEqual(["fleetdeck-agent.cjs"]);

      const pid = Number(/started the updated agent as process (\d+)/.exec(log)?.[1]);
      expect(pid).toBeGreaterThan(0);
      extraPids.push(pid);
      expect(fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")).toEqual(expect.arrayContaining([file, "--self-update", ...latest.nodeArgs]));
      // It reconnects and the panel sees the new version, from its hello and its host report.
      const seen = await until(
        "the updated agent to report its version",
        async () => {
          const d = await detail(id);
          return d.online && d.agent?.version === latest.version && d.host?.agentVersion === latest.version ? d : null;
        },
        30_000,
        { extra: agent.stderr },
      );
      expect(seen.agent?.version).toBe(latest.version);
      expect(seen.panelAgentVersion).toBe(latest.version);
      // Its hello says the owner chose self-update (the server page shows it beside the other capabilities).
      expect(seen.agent?.selfUpdate).toBe(true);
      expect(isAlive(pid)).toBe(true);
      // Up to date now: it does not fetch again.
      expect(count(agent.stderr(), "self-update: the panel serves agent")).toBe(1);
      process.kill(pid, "SIGTERM");
      await waitFor("the updated agent to stop", () => !isAlive(pid), 20_000);
    } finally {
      await stop(agent);
    }
  }, 90_000);

  it("under a supervisor (FLEETDECK_SUPERVISED=1, as its systemd unit sets) exits with 75 for the supervisor to start the new file", async () => {
    const { id, secret } = await newServer("self-update-supervised");
    const dir = oldAgentFolder("supervised");
    const file = path.join(dir, "fleetdeck-agent.cjs");
    const first = runAgent(dir, panel.url, secret, ["--self-update"], { FLEETDECK_SUPERVISED: "1" });
    expect(await first.exited).toBe(75);
    expect(first.stderr()).not.toContain("started the updated agent");
    expect(sha256(fs.readFileSync(file))).toBe(latest.sha256);
    // What systemd's RestartForceExitStatus=75 does: start the same command line again.
    const second = runAgent(dir, panel.url, secret, ["--self-update"], { FLEETDECK_SUPERVISED: "1" });
    try {
      await until(
        "the restarted agent to report the new version",
        async () => {
          const d = await detail(id);
          return d.online && d.agent?.version === latest.version;
        },
        30_000,
        { extra: second.stderr },
      );
      expect(second.stderr()).toContain(`agent ${latest.version} →`);
      expect(second.stderr()).not.toContain("self-update: the panel serves agent");
    } finally {
      await stop(second);
    }
  }, 90_000);

  it("fetches over https:// with the trust of its WebSocket (--ca)", async () => {
    const certDir = path.join(tmp, "cert");
    fs.mkdirSync(certDir);
    const certFile = path.join(certDir, "cert.pem");
    const keyFile = path.join(certDir, "key.pem");
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
      "-keyout", keyFile, "-out", certFile, "-days", "1", "-subj", "/CN=fleetdeck test proxy",
      "-addext", "subjectAltName=IP:127.0.0.1",
    ], { stdio: "ignore" });
    const relay = await startRelay(null, { cert: fs.readFileSync(certFile, "utf8"), key: fs.readFileSync(keyFile, "utf8") });
    const { secret } = await newServer("self-update-tls");
    const dir = oldAgentFolder("tls");
    try {
      const agent = runAgent(dir, relay.url, secret, ["--self-update", "--ca", certFile], { FLEETDECK_SUPERVISED: "1" });
      expect(await agent.exited).toBe(75);
      expect(agent.stderr()).toContain(`fetching ${relay.url}/agent/fleetdeck-agent-${latest.version}.cjs`);
      expect(relay.seen).toEqual({ manifest: 1, bundle: 1 });
      expect(sha256(fs.readFileSync(path.join(dir, "fleetdeck-agent.cjs")))).toBe(latest.sha256);
    } finally {
      await relay.close();
    }
  }, 90_000);

  it("keeps the old agent running when the file it receives does not match the published SHA-256, and does not fetch it again", async () => {
    // A working agent claiming the right version, with one line added: only the checksum stops it.
    const relay = await startRelay((body) => Buffer.concat([body, Buffer.from('\nprocess.stderr.write("tampered agent ran\\n");\n')]));
    const { id, secret } = await newServer("self-update-tampered");
    const dir = oldAgentFolder("tampered");
    const file = path.join(dir, "fleetdeck-agent.cjs");
    const agent = runAgent(dir, relay.url, secret, ["--self-update"]);
    try {
      await waitFor("the refused update", () => agent.stderr().includes(`self-update to ${latest.version} failed, keeping ${oldVersion} running`), 30_000, agent.stderr);
      const failedAt = Date.now();
      expect(agent.stderr()).toContain("does not match the published checksum");
      expect(agent.stderr()).not.toContain("tampered agent ran");
      expect(sha256(fs.readFileSync(file))).toBe(sha256(oldBundle));
      expect(fs.readdirSync(dir)).toEqual(["fleetdeck-agent.cjs"]);
      // Still running and reporting, as the old version.
      await until(
        "a report after the refusal",
        async () => {
          const d = await detail(id);
          return d.online && d.lastActive !== null && d.lastActive > failedAt && d.agent?.version === oldVersion;
        },
        30_000,
        { extra: agent.stderr },
      );
      expect(agent.child.exitCode).toBeNull();
      // Reconnections read the manifest again but do not fetch the refused file again.
      expect(relay.seen.bundle).toBe(1);
      relay.dropAgents();
      await waitFor("a second manifest read", () => relay.seen.manifest >= 2, 30_000, agent.stderr);
      relay.dropAgents();
      await waitFor("a third manifest read (the second check has finished)", () => relay.seen.manifest >= 3, 30_000, agent.stderr);
      expect(relay.seen.bundle).toBe(1);
      expect(count(agent.stderr(), "failed, keeping")).toBe(1);
      expect(agent.child.exitCode).toBeNull();
    } finally {
      await stop(agent);
      await relay.close();
    }
  }, 90_000);

  it("keeps the old agent running when it may not write its folder", async () => {
    const { id, secret } = await newServer("self-update-readonly");
    const dir = oldAgentFolder("readonly");
    const file = path.join(dir, "fleetdeck-agent.cjs");
    // Root may write anywhere: run the agent as nobody then (as install.sh runs it as its own
    // user); otherwise take the write permission away.
    const asRoot = process.getuid?.() === 0;
    if (!asRoot) fs.chmodSync(dir, 0o555);
    const agent = runAgent(dir, panel.url, secret, ["--self-update"], {}, asRoot ? { uid: 65534, gid: 65534 } : undefined);
    try {
      await waitFor("the refused update", () => agent.stderr().includes(`self-update to ${latest.version} failed, keeping ${oldVersion} running`), 30_000, agent.stderr);
      const failedAt = Date.now();
      expect(agent.stderr()).toMatch(/is not writable by this agent \(EACCES\)/);
      expect(agent.stderr()).toMatch(/cannot write in .* \(EACCES\)/);
      expect(sha256(fs.readFileSync(file))).toBe(sha256(oldBundle));
      await until(
        "a report after the refusal",
        async () => {
          const d = await detail(id);
          return d.online && d.lastActive !== null && d.lastActive > failedAt && d.agent?.version === oldVersion;
        },
        30_000,
        { extra: agent.stderr },
      );
      expect(agent.child.exitCode).toBeNull();
    } finally {
      await stop(agent);
      fs.chmodSync(dir, 0o755);
    }
  }, 90_000);

  it("waits its random share of --update-spread before fetching a new version", async () => {
    const relay = await startRelay(null);
    const { secret } = await newServer("self-update-spread");
    const dir = oldAgentFolder("spread");
    const file = path.join(dir, "fleetdeck-agent.cjs");
    // An hour's spread: the wait is at least a second unless the draw is below 1/3600.
    const agent = runAgent(dir, relay.url, secret, ["--self-update", "--update-spread", "3600"]);
    try {
      const said = await waitFor("the announced wait", () => /fetching it in (\d+) s/.exec(agent.stderr()), 30_000, agent.stderr);
      expect(relay.seen.manifest).toBeGreaterThanOrEqual(1);
      expect(Number(said[1])).toBeLessThanOrEqual(3600);
      expect(relay.seen.bundle).toBe(0);
      expect(sha256(fs.readFileSync(file))).toBe(sha256(oldBundle));
      expect(agent.child.exitCode).toBeNull();
    } finally {
      await stop(agent);
      await relay.close();
    }
  }, 60_000);

  it("without --self-update never asks for the panel's version, and keeps its file", async () => {
    const relay = await startRelay(null);
    const { id, secret } = await newServer("self-update-off");
    const dir = oldAgentFolder("off");
    const file = path.join(dir, "fleetdeck-agent.cjs");
    const agent = runAgent(dir, relay.url, secret, []);
    try {
      expect(await waitFor("the agent to start", () => agent.stderr().includes("self-update off"), 15_000, agent.stderr)).toBe(true);
      const reported = async (after: number) =>
        until(
          "a report from the old agent",
          async () => {
            const d = await detail(id);
            return d.online && d.lastActive !== null && d.lastActive > after && d.agent?.version === oldVersion;
          },
          30_000,
          { extra: agent.stderr },
        );
      await reported(0);
      // A connection is when an updating agent checks: make a second one.
      const droppedAt = Date.now();
      relay.dropAgents();
      await waitFor("the agent to reconnect", () => count(agent.stderr(), "connected to panel as server") >= 2, 30_000, agent.stderr);
      await reported(droppedAt);
      expect(relay.seen.manifest).toBe(0);
      expect(relay.seen.bundle).toBe(0);
      expect(sha256(fs.readFileSync(file))).toBe(sha256(oldBundle));
      const d = await detail(id);
      expect(d.agent?.version).toBe(oldVersion);
      expect(d.panelAgentVersion).toBe(latest.version);
    } finally {
      await stop(agent);
      await relay.close();
    }
  }, 90_000);
});
