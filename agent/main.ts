/**
 * fleetdeck-agent: `tsx agent/main.ts --panel <url> --secret <secret> [--interval 2]
 * [--allow-commands] [--allow-instances] [--data-dir <dir>] [--ca <file>]`. See agent/README.md.
 */
import { spawn } from "node:child_process";
import { Agent } from "./agent";
import { parseAgentArgs, USAGE, UsageError, type AgentConfig } from "./config";
import { EXIT_UPDATED, runningBundle } from "./self-update";
import { AGENT_VERSION, errorMessage, log } from "./util";

/**
 * After a self-update the running file is the new agent: a supervisor restarts it on exit code
 * EXIT_UPDATED (install.sh's unit: RestartForceExitStatus=75); without one (FLEETDECK_SUPERVISED
 * unset) the agent starts the new file itself, with the same Node flags, arguments and
 * environment, as a detached process, and exits 0. (Node 20 has no exec(): the new agent gets a
 * new process id.)
 */
function exitAfter(cfg: AgentConfig, code: number): void {
  const file = runningBundle();
  if (code !== EXIT_UPDATED || cfg.supervised || !file) {
    process.exit(code);
  }
  try {
    const child = spawn(process.execPath, [...process.execArgv, file, ...process.argv.slice(2)], { detached: true, stdio: "inherit", env: process.env });
    child.unref();
    log(`started the updated agent as process ${child.pid ?? "?"}`);
    process.exit(0);
  } catch (err) {
    log(`cannot start the updated agent (${errorMessage(err)}): start ${file} again`);
    process.exit(EXIT_UPDATED);
  }
}

function main(): void {
  let parsed;
  try {
    parsed = parseAgentArgs(process.argv.slice(2), process.env);
  } catch (err) {
    if (err instanceof UsageError) {
      log(`${err.message} (see --help)`);
      process.exit(1);
    }
    throw err;
  }
  if (parsed.kind === "help") {
    process.stdout.write(USAGE + "\n");
    return;
  }
  if (parsed.kind === "version") {
    process.stdout.write(AGENT_VERSION + "\n");
    return;
  }
  const cfg = parsed.config;
  const agent = new Agent(cfg, (code) => exitAfter(cfg, code));

  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++;
    if (signals === 1) {
      log(`${sig}: shutting down`);
      void agent.shutdown(0);
    } else {
      log(`${sig} again: killing instances and exiting now`);
      agent.forceExit(1);
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  // The panel's own local agent is its child: if the panel dies without stopping it (SIGKILL, a
  // crash), it must not live on as an orphan reporting to nobody.
  if (process.env.FLEETDECK_AGENT_EXIT_WITH_PARENT === "1") {
    const parent = process.ppid;
    const watch = setInterval(() => {
      if (process.ppid === parent) return;
      clearInterval(watch);
      onSignal("SIGTERM");
    }, 1_000);
    watch.unref();
  }
  // A bug in one handler must not take the agent (and its instances) down silently.
  process.on("unhandledRejection", (err) => log(`unexpected error: ${errorMessage(err)}`));

  log(
    `agent ${AGENT_VERSION} → ${cfg.wsUrl} (interval ${cfg.intervalSeconds} s, ` +
      `commands ${cfg.allowCommands ? "allowed" : "disabled"}, instances ${cfg.allowInstances ? "allowed" : "disabled"}, ` +
      `self-update ${cfg.selfUpdate ? "on" : "off"})`,
  );
  if (cfg.cleartextRemote) {
    log(
      `WARNING: ${cfg.panel} is reached without TLS over the network: this server's secret and ` +
        "everything the panel sends travel in clear text and can be altered on the way. Use an " +
        "https:// panel (TLS_CERT/TLS_KEY on the panel, or a reverse proxy); --ca trusts a self-signed certificate.",
    );
  }
  agent.start().catch((err: unknown) => {
    log(`cannot start: ${errorMessage(err)}`);
    process.exit(1);
  });
}

main();
