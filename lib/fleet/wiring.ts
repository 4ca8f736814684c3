import type http from "node:http";
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import type { Env } from "../env";
import { db } from "../db";
import { setSingleton } from "../global";
import { AgentHub } from "./hub";
import { history } from "./history";
import { live } from "./live";
import { createServer, rotateSecret, serverIdForSecret } from "./servers";
import { syncInstances } from "./instances";
import { SYSTEM } from "./users";

export const HUB = "agentHub";

/**
 * Attaches the fleet to the panel's server: the agents' WebSocket, live state, downsampled
 * history, and (unless FLEETDECK_LOCAL_AGENT=0) an agent on the panel's own host.
 */
export async function wireFleet(server: http.Server, env: Env): Promise<{ stop(): Promise<void> }> {
  await live.ready();
  const hub = new AgentHub({
    authenticate: serverIdForSecret,
    onConnect: (id, ip) => {
      live.connected(id, ip);
      // The panel is the source of truth for instances: every (re)connect resends them.
      void syncInstances(id).catch(() => undefined);
    },
    onHost: (id, host) => live.hostReported(id, host),
    onState: (id, state, at) => live.stateReported(id, state, at),
    onInstances: (id, instances) => live.instancesReported(id, instances),
    onDisconnect: (id) => live.disconnected(id),
  });
  setSingleton(HUB, hub);
  live.onRevoke = (id) => {
    hub.disconnect(id, "server deleted or secret rotated");
    history.forget(id);
  };
  live.onReport = (entry, at) => history.record(entry.meta.id, entry.state!, at);

  server.on("upgrade", (req, socket, head) => {
    if (!hub.handleUpgrade(req, socket, head)) socket.destroy();
  });

  const timers = [
    setInterval(() => void history.flush(), 2_000),
    setInterval(() => history.closeStale(), 10_000),
    setInterval(() => void history.prune().catch(() => undefined), 10 * 60_000),
    setInterval(() => void live.persistLastActive(), 60_000),
  ];
  for (const t of timers) t.unref();

  const localAgent = env.FLEETDECK_LOCAL_AGENT ? await startLocalAgent(env) : null;

  return {
    async stop() {
      for (const t of timers) clearInterval(t);
      localAgent?.kill("SIGTERM");
      history.closeStale(Number.MAX_SAFE_INTEGER);
      await history.flush().catch(() => undefined);
      await live.persistLastActive().catch(() => undefined);
      await hub.close().catch(() => undefined);
    },
  };
}

/**
 * The panel's own host, enrolled on first start and reporting at once, so a newcomer sees real
 * data without any step. Its secret is rotated at every start (only the hash is ever stored, and
 * the panel is the only one that needs it).
 */
async function startLocalAgent(env: Env): Promise<ChildProcess> {
  const existing = await db.server.findFirst({ where: { isLocal: true } });
  const { secret } = existing
    ? await rotateSecret(existing.id, SYSTEM)
    : await createServer({ name: "This panel's host", tag: "local", note: "Enrolled automatically (FLEETDECK_LOCAL_AGENT=0 turns this off)" }, SYSTEM, { isLocal: true });
  const root = process.cwd();
  const args = ["--import", "tsx", path.join(root, "agent/main.ts"), "--panel", `http://127.0.0.1:${env.PORT}`, "--interval", String(env.FLEETDECK_AGENT_INTERVAL)];
  if (env.FLEETDECK_LOCAL_AGENT_COMMANDS) args.push("--allow-commands");
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, FLEETDECK_SECRET: secret, FLEETDECK_AGENT_EXIT_WITH_PARENT: "1" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  child.on("exit", (code, signal) => {
    if (signal !== "SIGTERM") console.error(`fleetdeck: the local agent exited (${code ?? signal})`);
  });
  return child;
}
