import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";
import { z } from "zod";

/**
 * Fleetdeck's configuration: environment variables, validated once at start into one typed
 * object. `lib/` reads `config()`, never `process.env`. Every variable is listed in the README.
 * A bad value stops the panel with a one-line reason.
 */
const bool = z
  .enum(["0", "1", "true", "false", "yes", "no", ""])
  .transform((v) => v === "1" || v === "true" || v === "yes");

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default("0.0.0.0"),
  DATA_DIR: z.string().min(1).default("data"),
  DATABASE_URL: z
    .string()
    .regex(/^(file:|postgres(ql)?:\/\/)/, "must be a SQLite file: URL or a postgres:// (postgresql://) URL")
    .optional(),
  NEXTAUTH_SECRET: z.string().min(16, "must be at least 16 characters").optional(),
  NEXTAUTH_URL: z.url().optional(),
  ADMIN_USERNAME: z.string().min(1).max(64).optional(),
  ADMIN_PASSWORD: z.string().min(8, "must be at least 8 characters").max(256).optional(),
  FLEETDECK_LOCAL_AGENT: bool.default(true),
  FLEETDECK_LOCAL_AGENT_COMMANDS: bool.default(false),
  FLEETDECK_LOCAL_AGENT_INSTANCES: bool.default(false),
  FLEETDECK_AGENT_INTERVAL: z.coerce.number().int().min(1).max(10).default(2),
  /** Benchmarks only: see lib/dialects/guard.ts. Refused unless the panel listens on loopback. */
  FLEETDECK_BENCH_SKIP_AUTH: bool.default(false),
  /**
   * Whose X-Forwarded-For to believe: "" or "0" = nobody (the socket's address is the client's);
   * "1" = any direct peer (only behind a proxy that every request must cross); or a comma list of
   * proxy addresses / CIDRs.
   */
  TRUST_PROXY: z
    .string()
    .max(2000)
    .regex(/^(|0|1|true|false|[0-9A-Fa-f:.\/, ]+)$/, 'use "1", "0" or a comma list of proxy addresses/CIDRs')
    .default(""),
  /** Serve HTTPS/WSS directly: paths of a PEM certificate (chain) and its key. */
  TLS_CERT: z.string().min(1).max(4096).optional(),
  TLS_KEY: z.string().min(1).max(4096).optional(),
  /**
   * The key that encrypts secrets the panel must read back (TOTP seeds, notification channel
   * credentials): 32 bytes, base64. Default: generated into DATA_DIR/secret-key (0600), which
   * must then be backed up beside the database but never inside it.
   */
  FLEETDECK_SECRET_KEY: z
    .string()
    .regex(/^[A-Za-z0-9+/_-]{43}=?$/, "must be 32 bytes in base64 (openssl rand -base64 32)")
    .optional(),
  /** Days the audit log and the command history are kept (0 = forever). */
  FLEETDECK_AUDIT_RETENTION_DAYS: z.coerce.number().int().min(0).max(36_500).default(365),
  FLEETDECK_COMMAND_RETENTION_DAYS: z.coerce.number().int().min(0).max(36_500).default(90),
  /**
   * Days alert history is kept (0 = forever): notice attempts, notices sent or given up, recovered
   * alert events, and one-off maintenance windows that ended. Open events and pending notices stay.
   */
  FLEETDECK_ALERT_RETENTION_DAYS: z.coerce.number().int().min(0).max(36_500).default(90),
  /** How many automatic pre-migration copies of the SQLite database are kept in DATA_DIR/backups. */
  FLEETDECK_BACKUPS_KEEP: z.coerce.number().int().min(0).max(100).default(3),
  /** Hours a command or scan queued for an offline machine waits before it expires. */
  FLEETDECK_QUEUE_EXPIRY_HOURS: z.coerce.number().min(0.01).max(24 * 90).default(24),
  /**
   * Instance files (MCSManager's file manager): the largest file opened or saved as text in the
   * editor, the largest upload, the largest total a zip may unpack to (bytes), and how long a
   * download/upload password stays good (seconds; each is good once). The local agent gets the
   * same limits; other agents take theirs from their own flags (--file-*-max).
   */
  // A saved text travels in one API request body (at most 256 KiB, lib/http/api.ts): the editor's
  // limit stays under it, with room for JSON's escapes.
  FLEETDECK_FILE_EDIT_MAX: z.coerce.number().int().min(1024).max(240 * 1024).default(192 * 1024),
  FLEETDECK_FILE_UPLOAD_MAX: z.coerce.number().int().min(1024).max(2 ** 50).default(4 * 1024 ** 3),
  FLEETDECK_FILE_UNZIP_MAX: z.coerce.number().int().min(1024).max(2 ** 50).default(4 * 1024 ** 3),
  FLEETDECK_FILE_TICKET_SECONDS: z.coerce.number().int().min(5).max(3600).default(60),
  /**
   * Seconds a request may take to arrive whole once its headers are in (slowloris protection).
   * Uploads (`/upload/<password>`) are exempt from the total: they are cut only when the client
   * sends nothing for this long.
   */
  FLEETDECK_REQUEST_TIMEOUT_SECONDS: z.coerce.number().int().min(2).max(3600).default(30),
  /**
   * Seconds a client may send nothing while its request's body is still due (ordinary requests;
   * an upload's silence limit is FLEETDECK_REQUEST_TIMEOUT_SECONDS). A body that can never
   * complete — a chunk declared larger than anything that follows — is cut after this.
   */
  FLEETDECK_REQUEST_IDLE_SECONDS: z.coerce.number().int().min(1).max(3600).default(10),
  /**
   * How many panel processes serve this host's port (node:cluster). More than one needs
   * PostgreSQL: the processes share the fleet through it (lib/fleet/cluster.ts).
   */
  PANEL_PROCESSES: z.coerce.number().int().min(1).max(64).default(1),
  npm_package_version: z.string().max(64).optional(),
});

export type Env = z.infer<typeof schema> & { DATABASE_URL: string; NEXTAUTH_SECRET: string; NEXTAUTH_URL: string };

export class ConfigError extends Error {}

/** Parses the environment, fills the derived defaults and persists a generated session secret. */
export function loadEnv(source: Record<string, string | undefined> = process.env): Env {
  const env = parse(source);
  const dataDir = path.resolve(env.DATA_DIR);
  if ((env.ADMIN_USERNAME === undefined) !== (env.ADMIN_PASSWORD === undefined)) {
    throw new ConfigError("invalid configuration: ADMIN_USERNAME and ADMIN_PASSWORD go together");
  }
  if ((env.TLS_CERT === undefined) !== (env.TLS_KEY === undefined)) {
    throw new ConfigError("invalid configuration: TLS_CERT and TLS_KEY go together");
  }
  for (const name of ["TLS_CERT", "TLS_KEY"] as const) {
    const file = env[name];
    if (file && !fs.existsSync(file)) throw new ConfigError(`invalid configuration: ${name}: no such file: ${file}`);
  }
  if (env.FLEETDECK_BENCH_SKIP_AUTH && !LOOPBACK.has(env.HOST)) {
    throw new ConfigError("invalid configuration: FLEETDECK_BENCH_SKIP_AUTH needs HOST=127.0.0.1 (it skips authentication; benchmarks only)");
  }
  const databaseUrl = env.DATABASE_URL ?? `file:${path.join(dataDir, "fleetdeck.db")}`;
  const postgres = /^postgres(ql)?:\/\//.test(databaseUrl);
  if (env.PANEL_PROCESSES > 1 && !postgres) {
    throw new ConfigError("invalid configuration: PANEL_PROCESSES above 1 needs PostgreSQL (DATABASE_URL=postgres://…): a SQLite file serves one process");
  }
  return {
    ...env,
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    // On PostgreSQL the generated secret lives in the database, so that processes on several
    // hosts agree: server.ts fills it in (sharedSessionSecret) once the database is migrated.
    NEXTAUTH_SECRET: env.NEXTAUTH_SECRET ?? (postgres ? "" : persistedSecret(dataDir)),
    // Served over TLS, the sign-in's own URL (and its secure cookies) say https.
    NEXTAUTH_URL: env.NEXTAUTH_URL ?? `${env.TLS_CERT ? "https" : "http"}://localhost:${env.PORT}`,
  };
}

function parse(source: Record<string, string | undefined>) {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`invalid configuration: ${String(issue.path[0])}: ${issue.message}`);
  }
  return parsed.data;
}

/**
 * The process's configuration. server.ts (and the CLI) call `loadEnv` once and `useConfig` with
 * the result; Next's bundles, which run in the same process but load their own copy of this
 * module, find it through the same global registry key. Read lazily so that `next build` never
 * needs a configured environment.
 */
const KEY = Symbol.for("fleetdeck.config");
type Holder = Record<symbol, Env | undefined>;

/**
 * Where next-auth's routes live. Not its default /api/auth: MCSManager's API has its user routes
 * there. next-auth v4 takes its base path from the path of NEXTAUTH_URL (server) and from
 * SessionProvider's `basePath` (browser, components/providers.tsx).
 */
export const NEXTAUTH_BASE_PATH = "/api/nextauth";

/** The panel's URL with next-auth's base path appended, as next-auth wants NEXTAUTH_URL. */
export function nextAuthUrl(panelUrl: string): string {
  const url = new URL(panelUrl);
  const path = url.pathname.replace(/\/+$/, "");
  url.pathname = path.endsWith(NEXTAUTH_BASE_PATH) ? path : path + NEXTAUTH_BASE_PATH;
  return url.toString().replace(/\/$/, "");
}

export function useConfig(env: Env): void {
  (globalThis as unknown as Holder)[KEY] = env;
  // Libraries that read the environment themselves (next-auth) see the same values.
  Object.assign(process.env, {
    DATABASE_URL: env.DATABASE_URL,
    NEXTAUTH_SECRET: env.NEXTAUTH_SECRET,
    NEXTAUTH_URL: nextAuthUrl(env.NEXTAUTH_URL),
    DATA_DIR: env.DATA_DIR,
  });
}

export function config(): Env {
  const held = (globalThis as unknown as Holder)[KEY];
  if (held) return held;
  // Outside server.ts (a test importing a module, `next build`): the environment as it is, with
  // no secret generated on disk.
  const env = parse(process.env);
  return {
    ...env,
    DATA_DIR: path.resolve(env.DATA_DIR),
    DATABASE_URL: env.DATABASE_URL ?? `file:${path.join(path.resolve(env.DATA_DIR), "fleetdeck.db")}`,
    NEXTAUTH_SECRET: env.NEXTAUTH_SECRET ?? "",
    NEXTAUTH_URL: env.NEXTAUTH_URL ?? `http://localhost:${env.PORT}`,
  };
}

function persistedSecret(dataDir: string): string {
  const file = path.join(dataDir, "session-secret");
  fs.mkdirSync(dataDir, { recursive: true });
  try {
    return fs.readFileSync(file, "utf8").trim();
  } catch {
    const secret = crypto.randomBytes(32).toString("base64url");
    fs.writeFileSync(file, secret + "\n", { mode: 0o600, flag: "wx" });
    return secret;
  }
}

const SECRET_KEY = "auth.sessionSecret";

/**
 * The generated session secret on PostgreSQL: one row of the Setting table, written by whichever
 * process starts first (an insert that loses the race keeps the winner's). A secret an earlier
 * version wrote to DATA_DIR/session-secret is adopted, so its sessions stay valid.
 */
export async function sharedSessionSecret(env: Env): Promise<string> {
  if (env.NEXTAUTH_SECRET) return env.NEXTAUTH_SECRET;
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: env.DATABASE_URL, connectionTimeoutMillis: 15_000 });
  await client.connect();
  try {
    let candidate = crypto.randomBytes(32).toString("base64url");
    try {
      candidate = fs.readFileSync(path.join(env.DATA_DIR, "session-secret"), "utf8").trim() || candidate;
    } catch {
      /* none: a new one */
    }
    await client.query(`INSERT INTO "Setting" ("key", "value", "updatedAt") VALUES ($1, $2, now()) ON CONFLICT ("key") DO NOTHING`, [SECRET_KEY, candidate]);
    const r = await client.query<{ value: string }>(`SELECT "value" FROM "Setting" WHERE "key" = $1`, [SECRET_KEY]);
    return r.rows[0].value;
  } finally {
    await client.end().catch(() => undefined);
  }
}
