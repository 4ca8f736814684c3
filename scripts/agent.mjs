// `npm run agent -- --panel <url> --secret <secret> …`: runs the bundled agent, the same file the
// panel's local agent runs and install.sh installs (built first when agent/ changed), with the
// same Node flags.
//
// It is the agent's supervisor as systemd is for an installed one (FLEETDECK_SUPERVISED=1): when
// the agent exits with code 75 — it replaced its file after `--self-update` — it is started again.
import { spawn } from "node:child_process";
import { AGENT_BUNDLE, ensureAgentBundle } from "./build-agent.mjs";

const EXIT_UPDATED = 75;
const { nodeArgs } = await ensureAgentBundle({ quiet: true });

let child = null;
let stopping = false;
function run() {
  child = spawn(process.execPath, [...nodeArgs, AGENT_BUNDLE, ...process.argv.slice(2)], { stdio: "inherit", env: { ...process.env, FLEETDECK_SUPERVISED: "1" } });
  child.on("exit", (code, signal) => {
    if (code === EXIT_UPDATED && !stopping) return run();
    process.exit(code ?? (signal ? 1 : 0));
  });
}
run();
// The agent stops its instances on SIGINT/SIGTERM: pass them on and wait for it.
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    stopping = true;
    child?.kill(sig);
  });
}
