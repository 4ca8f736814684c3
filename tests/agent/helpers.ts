/**
 * Test harness: a real AgentHub on a node:http server (127.0.0.1, free port) and the real agent
 * process: the bundled file install.sh installs (dist/agent/fleetdeck-agent.cjs, rebuilt here when
 * agent/ changed), run with plain node and its production flags. Nothing is mocked.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { until } from "../helpers/wait";
import type { HostInfo, InstanceState, LiveState } from "../../agent/protocol";
import { AgentHub, type AgentHello, type AgentHubOptions } from "../../lib/fleet/hub";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

const build = (await import(pathToFileURL(path.join(ROOT, "scripts/build-agent.mjs")).href)) as {
  ensureAgentBundle(opts: { quiet: boolean }): Promise<{ nodeArgs: string[] }>;
  AGENT_BUNDLE: string;
};
const { nodeArgs: AGENT_NODE_ARGS } = await build.ensureAgentBundle({ quiet: true });

export interface HubEvents {
  connects: { serverId: number; remoteAddress: string }[];
  hellos: { serverId: number; hello: AgentHello }[];
  hosts: { serverId: number; host: HostInfo }[];
  states: { serverId: number; state: LiveState; at: number }[];
  instances: { serverId: number; instances: InstanceState[] }[];
  disconnects: number[];
  logs: string[];
}

export interface TestHub {
  hub: AgentHub;
  server: http.Server | https.Server;
  port: number;
  url: string;
  events: HubEvents;
  close(): Promise<void>;
}

/** Secrets known to the test hubs: secret → server id. */
export const SECRETS: Record<string, number> = { "good-secret-1": 1, "good-secret-2": 2, "good-secret-3": 3 };

/** `tls`: serve https/wss with this certificate and key (PEM) instead of plain http/ws. */
export async function startHub(
  options: { port?: number; events?: HubEvents; hubOptions?: Partial<AgentHubOptions>; tls?: { cert: string; key: string } } = {},
): Promise<TestHub> {
  const events: HubEvents = options.events ?? {
    connects: [],
    hellos: [],
    hosts: [],
    states: [],
    instances: [],
    disconnects: [],
    logs: [],
  };
  const hub = new AgentHub({
    authenticate: async (secret) => SECRETS[secret] ?? null,
    onConnect: (serverId, remoteAddress) => events.connects.push({ serverId, remoteAddress }),
    onHello: (serverId, hello) => events.hellos.push({ serverId, hello }),
    onHost: (serverId, host) => events.hosts.push({ serverId, host }),
    onState: (serverId, state, at) => events.states.push({ serverId, state, at }),
    onInstances: (serverId, instances) => events.instances.push({ serverId, instances }),
    onDisconnect: (serverId) => events.disconnects.push(serverId),
    log: (m) => events.logs.push(m),
    ...options.hubOptions,
  });
  const notFound = (_req: http.IncomingMessage, res: http.ServerResponse): void => {
    res.statusCode = 404;
    res.end("not found\n");
  };
  const server = options.tls ? https.createServer(options.tls, notFound) : http.createServer(notFound);
  server.on("upgrade", (req, socket, head) => {
    if (!hub.handleUpgrade(req, socket, head)) socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    hub,
    server,
    port,
    url: `${options.tls ? "https" : "http"}://127.0.0.1:${port}`,
    events,
    async close() {
      await hub.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface AgentProcess {
  child: ChildProcess;
  /** Everything written to stderr so far. */
  stderr(): string;
  stdout(): string;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<number | string>;
}

const running = new Set<AgentProcess>();

export function spawnAgent(args: string[], env: Record<string, string | undefined> = {}): AgentProcess {
  const child = spawn(process.execPath, [...AGENT_NODE_ARGS, build.AGENT_BUNDLE, ...args], {
    cwd: ROOT,
    // The test runner's own environment must not grant anything the test did not ask for.
    env: { ...process.env, FLEETDECK_PANEL: "", FLEETDECK_SECRET: "", FLEETDECK_ALLOW_COMMANDS: "", FLEETDECK_ALLOW_INSTANCES: "", FLEETDECK_CA: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let err = "";
  let out = "";
  child.stderr?.on("data", (c: Buffer) => (err += c.toString("utf8")));
  child.stdout?.on("data", (c: Buffer) => (out += c.toString("utf8")));
  // "close", not "exit": "exit" may come before the last of stderr has been read, and the
  // argument tests read the one line the agent printed before exiting.
  const exited = new Promise<number | string>((resolve) => {
    child.once("close", (code, signal) => resolve(code ?? signal ?? "unknown"));
  });
  const proc: AgentProcess = {
    child,
    stderr: () => err,
    stdout: () => out,
    exited,
    async stop(graceMs = 15_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const t = setTimeout(() => child.kill("SIGKILL"), graceMs);
        await exited;
        clearTimeout(t);
      }
      running.delete(proc);
      return exited;
    },
  };
  running.add(proc);
  void exited.then(() => running.delete(proc));
  return proc;
}

/** Stops every agent still running (for afterAll/afterEach). */
export async function stopAllAgents(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()));
}

/** Polls `probe` until it returns a truthy value (tests/helpers/wait.ts, polled often: agents are fast). */
export function waitFor<T>(what: string, probe: () => T | null | undefined | false, timeoutMs = 15_000, extra?: () => string): Promise<T> {
  return until(what, probe, timeoutMs, { intervalMs: 25, extra });
}

/** True while a process with this pid exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
  if (process.platform === "linux") {
    try {
      // /proc/<pid>/stat: "pid (comm) S …"; a zombie (Z) has exited but not been reaped yet.
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
    } catch {
      return false;
    }
  }
  return true;
}
