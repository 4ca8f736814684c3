/**
 * The panel's own host as a server: enrolled on first start and reporting at once, so a newcomer
 * sees real data without any step. It runs the same bundled file that install.sh puts on other
 * machines (dist/agent/fleetdeck-agent.cjs, built by scripts/build-agent.mjs), so what is tested
 * here is what is installed there.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { Env } from "../env";
import { db } from "../db";
import { createServer, rotateSecret } from "./servers";
import { SYSTEM } from "./actor";

/** The only variables of the panel's environment the agent may see (besides its own). */
const PASSED_THROUGH = /^(PATH|HOME|LANG|LC_[A-Z_]+|TZ)$/;

/**
 * The local agent's environment, built from scratch: the panel's own holds NEXTAUTH_SECRET,
 * ADMIN_PASSWORD and DATABASE_URL, and the agent runs commands and instances whose processes
 * inherit what it has.
 */
export function localAgentEnv(panelEnv: NodeJS.ProcessEnv, secret: string): NodeJS.ProcessEnv {
  // Next's types declare NODE_ENV always present; the agent deliberately gets none.
  const env = {} as NodeJS.ProcessEnv;
  for (const [k, v] of Object.entries(panelEnv)) if (v !== undefined && PASSED_THROUGH.test(k)) env[k] = v;
  env.FLEETDECK_SECRET = secret;
  env.FLEETDECK_AGENT_EXIT_WITH_PARENT = "1";
  return env;
}

interface AgentBuild {
  ensureAgentBundle(opts?: { quiet?: boolean }): Promise<{ nodeArgs: string[] }>;
  AGENT_BUNDLE: string;
}

/**
 * Starts the local agent. Its secret is rotated at every start (only the hash is ever stored, and
 * the panel is the only one that needs it).
 */
export async function startLocalAgent(env: Env, panelUrl = `http://127.0.0.1:${env.PORT}`): Promise<ChildProcess> {
  const existing = await db.server.findFirst({ where: { isLocal: true } });
  const { secret } = existing
    ? await rotateSecret(existing.id, SYSTEM)
    : await createServer({ name: "This panel's host", tag: "local", note: "Enrolled automatically (FLEETDECK_LOCAL_AGENT=0 turns this off)" }, SYSTEM, { isLocal: true });
  const root = process.cwd();
  // `npm start` and `npm run build` bundle the agent; under `npm run dev` (or tests) the bundle
  // may be missing or older than agent/, so it is (re)built here — a fraction of a second.
  const build = (await import(pathToFileURL(path.join(root, "scripts/build-agent.mjs")).href)) as AgentBuild;
  const { nodeArgs } = await build.ensureAgentBundle({ quiet: true });
  const args = [...nodeArgs, build.AGENT_BUNDLE, "--panel", panelUrl, "--interval", String(env.FLEETDECK_AGENT_INTERVAL)];
  // What panel users may run on the panel's own host: nothing unless its operator says so.
  if (env.FLEETDECK_LOCAL_AGENT_COMMANDS) args.push("--allow-commands");
  if (env.FLEETDECK_LOCAL_AGENT_INSTANCES) args.push("--allow-instances");
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: localAgentEnv(process.env, secret),
    stdio: ["ignore", "ignore", "inherit"],
  });
  child.on("exit", (code, signal) => {
    if (signal !== "SIGTERM") console.error(`fleetdeck: the local agent exited (${code ?? signal})`);
  });
  return child;
}
