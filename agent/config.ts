/**
 * Command-line and environment configuration of the agent.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { AGENT_WS_PATH } from "./protocol";

export interface AgentConfig {
  /** The panel's base URL as given. */
  panel: string;
  /** The WebSocket URL derived from it. */
  wsUrl: string;
  secret: string;
  intervalSeconds: number;
  allowCommands: boolean;
  dataDir: string | null;
}

export type ParsedArgs = { kind: "run"; config: AgentConfig } | { kind: "help" } | { kind: "version" };

export class UsageError extends Error {}

export const USAGE = `Usage: fleetdeck-agent --panel <url> --secret <secret> [options]

  --panel <url>        the panel's address, e.g. https://panel.example.com (env FLEETDECK_PANEL)
  --secret <secret>    this server's secret, shown by the panel (env FLEETDECK_SECRET)
  --interval <s>       seconds between state reports, 1-10 (default 2)
  --allow-commands     accept remote commands (cmd.run) from the panel
  --data-dir <dir>     keep instance definitions here across agent restarts
  --help, --version

Exit codes: 0 stopped by a signal, 1 bad arguments, 2 the panel refused the secret.`;

/** The panel URL → the agent WebSocket URL (http→ws, https→wss; a path prefix is kept). */
export function toWsUrl(panel: string): string {
  let url: URL;
  try {
    url = new URL(panel);
  } catch {
    throw new UsageError(`--panel ${JSON.stringify(panel)} is not a URL (expected e.g. https://panel.example.com)`);
  }
  const schemes: Record<string, string> = { "http:": "ws:", "https:": "wss:", "ws:": "ws:", "wss:": "wss:" };
  const scheme = schemes[url.protocol];
  if (!scheme) throw new UsageError(`--panel must be an http(s) URL, not ${url.protocol.replace(/:$/, "")}`);
  url.protocol = scheme;
  url.pathname = url.pathname.replace(/\/+$/, "") + AGENT_WS_PATH;
  url.search = "";
  url.hash = "";
  return url.toString();
}

export function parseAgentArgs(argv: string[], env: NodeJS.ProcessEnv): ParsedArgs {
  let values: {
    panel?: string;
    secret?: string;
    interval?: string;
    "allow-commands"?: boolean;
    "data-dir"?: string;
    help?: boolean;
    version?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        panel: { type: "string" },
        secret: { type: "string" },
        interval: { type: "string" },
        "allow-commands": { type: "boolean" },
        "data-dir": { type: "string" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean" },
      },
    }));
  } catch (err) {
    // parseArgs messages can span lines ("… To specify a positional argument …"): keep the first.
    const msg = err instanceof Error ? err.message.split("\n")[0] : String(err);
    throw new UsageError(msg);
  }
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };

  const panel = values.panel ?? env.FLEETDECK_PANEL ?? "";
  if (!panel) throw new UsageError("--panel <url> is required (or set FLEETDECK_PANEL)");
  const secret = values.secret ?? env.FLEETDECK_SECRET ?? "";
  if (!secret) throw new UsageError("--secret <secret> is required (or set FLEETDECK_SECRET)");
  if (/[\s\u0000-\u001f]/.test(secret)) throw new UsageError("--secret must not contain spaces or control characters");

  const intervalText = values.interval ?? "2";
  if (!/^\d+$/.test(intervalText) || Number(intervalText) < 1 || Number(intervalText) > 10) {
    throw new UsageError(`--interval must be a whole number of seconds from 1 to 10, not ${JSON.stringify(intervalText)}`);
  }
  const dataDirArg = values["data-dir"];
  if (dataDirArg !== undefined && !dataDirArg) throw new UsageError("--data-dir must not be empty");

  return {
    kind: "run",
    config: {
      panel,
      wsUrl: toWsUrl(panel),
      secret,
      intervalSeconds: Number(intervalText),
      allowCommands: values["allow-commands"] ?? false,
      dataDir: dataDirArg ? path.resolve(dataDirArg) : null,
    },
  };
}
