// `npm run agent -- --panel <url> --secret <secret> …`: runs the bundled agent, the same file the
// panel's local agent runs and install.sh installs (built first when agent/ changed), with the
// same Node flags.
import { spawn } from "node:child_process";
import { AGENT_BUNDLE, ensureAgentBundle } from "./build-agent.mjs";

const { nodeArgs } = await ensureAgentBundle({ quiet: true });
const child = spawn(process.execPath, [...nodeArgs, AGENT_BUNDLE, ...process.argv.slice(2)], { stdio: "inherit" });
// The agent stops its instances on SIGINT/SIGTERM: pass them on and wait for it.
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
