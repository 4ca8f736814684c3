/**
 * Command-line and environment configuration of the agent.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_FILE_LIMITS, type FileLimits } from "./files";
import { AGENT_WS_PATH } from "./protocol";

export interface AgentConfig {
  /** The panel's base URL as given. */
  panel: string;
  /** The WebSocket URL derived from it. */
  wsUrl: string;
  secret: string;
  intervalSeconds: number;
  /** Run commands the panel sends (cmd.run). */
  allowCommands: boolean;
  /** Run instances the panel defines: their start and stop commands and their stdin. */
  allowInstances: boolean;
  dataDir: string | null;
  /** PEM certificate(s) trusted for a wss:// panel, besides the system's CAs (--ca). */
  ca: string | null;
  /** The panel is reached over plain ws:// on a non-loopback address: warn at start. */
  cleartextRemote: boolean;
  /** Limits of the instance file service (agent/files.ts), in bytes. */
  files: FileLimits;
  /** Replace this agent with the panel's when its version differs (agent/self-update.ts). */
  selfUpdate: boolean;
  /**
   * A new version is fetched after a random wait of up to this many seconds (default 600), so a
   * fleet that reconnects after a panel upgrade does not download the bundle all at once.
   */
  updateSpreadSeconds: number;
  /**
   * A supervisor (systemd's unit from install.sh, `npm run agent`) restarts the agent when it
   * exits with code 75: after a self-update the agent exits so; without one it starts the new
   * file itself.
   */
  supervised: boolean;
}

export type ParsedArgs = { kind: "run"; config: AgentConfig } | { kind: "help" } | { kind: "version" };

export class UsageError extends Error {}

export const USAGE = `Usage: fleetdeck-agent --panel <url> --secret <secret> [options]

  --panel <url>        the panel's address, e.g. https://panel.example.com (env FLEETDECK_PANEL)
  --secret <secret>    this server's secret, shown by the panel (env FLEETDECK_SECRET)
  --interval <s>       seconds between state reports, 1-10 (default 2)
  --allow-commands     run commands sent from the panel (env FLEETDECK_ALLOW_COMMANDS=1)
  --allow-instances    run instances defined on the panel: their start and stop commands
                       and console input (env FLEETDECK_ALLOW_INSTANCES=1)
  --data-dir <dir>     keep instance definitions here across agent restarts
  --ca <file>          trust this PEM certificate or CA for a https:// panel, besides the
                       system's CAs (env FLEETDECK_CA)
  --self-update        replace this agent with the one the panel serves when its version
                       differs (checked against the published SHA-256), then restart.
                       Off by default: whoever controls the panel could then run code
                       here (env FLEETDECK_SELF_UPDATE=1)
  --update-spread <s>  wait a random 0 to <s> seconds before fetching a new version, so a
                       fleet does not download it all at once (default 600; env
                       FLEETDECK_UPDATE_SPREAD)
  --file-edit-max <bytes>    largest file opened or saved as text (default 196608)
  --file-upload-max <bytes>  largest upload into an instance's folder (default 4 GiB)
  --file-unzip-max <bytes>   largest total an archive may unpack to (default 4 GiB)
  --help, --version

Exit codes: 0 stopped by a signal, 1 bad arguments, 2 the panel refused the secret,
75 updated itself and asks its supervisor for a restart (FLEETDECK_SUPERVISED=1).`;

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

const LOOPBACK_HOSTS = new Set(["localhost", "[::1]", "::1"]);

/** True for a host name that never leaves the machine (localhost, 127.0.0.0/8, ::1). */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase();
  return LOOPBACK_HOSTS.has(h) || h.endsWith(".localhost") || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** An on/off environment variable: 1/true/yes or 0/false/no (empty = unset). */
function envFlag(env: NodeJS.ProcessEnv, name: string): boolean | undefined {
  const v = (env[name] ?? "").trim().toLowerCase();
  if (v === "") return undefined;
  if (v === "1" || v === "true" || v === "yes") return true;
  if (v === "0" || v === "false" || v === "no") return false;
  throw new UsageError(`${name} must be 1 or 0, not ${JSON.stringify(env[name])}`);
}

function readCa(file: string): string {
  let pem: string;
  try {
    pem = readFileSync(file, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read --ca ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!pem.includes("-----BEGIN CERTIFICATE-----")) throw new UsageError(`--ca ${file} holds no PEM certificate`);
  return pem;
}

export function parseAgentArgs(argv: string[], env: NodeJS.ProcessEnv): ParsedArgs {
  let values: {
    panel?: string;
    secret?: string;
    interval?: string;
    "allow-commands"?: boolean;
    "allow-instances"?: boolean;
    "self-update"?: boolean;
    "update-spread"?: string;
    "data-dir"?: string;
    ca?: string;
    "file-edit-max"?: string;
    "file-upload-max"?: string;
    "file-unzip-max"?: string;
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
        "allow-instances": { type: "boolean" },
        "self-update": { type: "boolean" },
        "update-spread": { type: "string" },
        "data-dir": { type: "string" },
        ca: { type: "string" },
        "file-edit-max": { type: "string" },
        "file-upload-max": { type: "string" },
        "file-unzip-max": { type: "string" },
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

  const spreadText = values["update-spread"] ?? env.FLEETDECK_UPDATE_SPREAD ?? "600";
  if (!/^\d{1,6}$/.test(spreadText) || Number(spreadText) > 86_400) {
    throw new UsageError(`--update-spread must be a whole number of seconds from 0 to 86400, not ${JSON.stringify(spreadText)}`);
  }
  const intervalText = values.interval ?? "2";
  if (!/^\d+$/.test(intervalText) || Number(intervalText) < 1 || Number(intervalText) > 10) {
    throw new UsageError(`--interval must be a whole number of seconds from 1 to 10, not ${JSON.stringify(intervalText)}`);
  }
  const dataDirArg = values["data-dir"];
  if (dataDirArg !== undefined && !dataDirArg) throw new UsageError("--data-dir must not be empty");
  const caFile = values.ca ?? (env.FLEETDECK_CA || undefined);
  if (caFile !== undefined && !caFile) throw new UsageError("--ca must not be empty");

  const bytes = (flag: "file-edit-max" | "file-upload-max" | "file-unzip-max", fallback: number, max = 2 ** 50): number => {
    const v = values[flag];
    if (v === undefined) return fallback;
    if (!/^\d{1,16}$/.test(v) || Number(v) < 1024 || Number(v) > max) throw new UsageError(`--${flag} must be a number of bytes from 1024 to ${max}`);
    return Number(v);
  };
  // The edit limit keeps a saved text within one protocol frame (JSON may escape it to more).
  const files: FileLimits = {
    ...DEFAULT_FILE_LIMITS,
    editBytes: bytes("file-edit-max", DEFAULT_FILE_LIMITS.editBytes, 768 * 1024),
    uploadBytes: bytes("file-upload-max", DEFAULT_FILE_LIMITS.uploadBytes),
    unzipBytes: bytes("file-unzip-max", DEFAULT_FILE_LIMITS.unzipBytes),
  };
  const wsUrl = toWsUrl(panel);
  const url = new URL(wsUrl);
  return {
    kind: "run",
    config: {
      panel,
      wsUrl,
      secret,
      intervalSeconds: Number(intervalText),
      allowCommands: values["allow-commands"] ?? envFlag(env, "FLEETDECK_ALLOW_COMMANDS") ?? false,
      allowInstances: values["allow-instances"] ?? envFlag(env, "FLEETDECK_ALLOW_INSTANCES") ?? false,
      dataDir: dataDirArg ? path.resolve(dataDirArg) : null,
      ca: caFile ? readCa(caFile) : null,
      cleartextRemote: url.protocol === "ws:" && !isLoopbackHost(url.hostname),
      files,
      selfUpdate: values["self-update"] ?? envFlag(env, "FLEETDECK_SELF_UPDATE") ?? false,
      updateSpreadSeconds: Number(spreadText),
      supervised: envFlag(env, "FLEETDECK_SUPERVISED") ?? false,
    },
  };
}
