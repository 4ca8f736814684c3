import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";
import { z } from "zod";

/**
 * Fleetdeck's configuration: environment variables, validated once at start.
 * Every variable is listed in the README. A bad value stops the panel with a one-line reason.
 */
const bool = z
  .enum(["0", "1", "true", "false", "yes", "no", ""])
  .transform((v) => v === "1" || v === "true" || v === "yes");

const schema = z.object({
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
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
  FLEETDECK_AGENT_INTERVAL: z.coerce.number().int().min(1).max(10).default(2),
  /** Seconds without a report after which a server is offline (about three missed intervals). */
  FLEETDECK_OFFLINE_AFTER: z.coerce.number().int().min(2).max(3600).default(10),
});

export type Env = z.infer<typeof schema> & { DATABASE_URL: string; NEXTAUTH_SECRET: string; NEXTAUTH_URL: string };

export class ConfigError extends Error {}

/** Parses the environment, fills the derived defaults and persists a generated session secret. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`invalid configuration: ${String(issue.path[0])}: ${issue.message}`);
  }
  const env = parsed.data;
  const dataDir = path.resolve(env.DATA_DIR);
  if ((env.ADMIN_USERNAME === undefined) !== (env.ADMIN_PASSWORD === undefined)) {
    throw new ConfigError("invalid configuration: ADMIN_USERNAME and ADMIN_PASSWORD go together");
  }
  return {
    ...env,
    DATA_DIR: dataDir,
    DATABASE_URL: env.DATABASE_URL ?? `file:${path.join(dataDir, "fleetdeck.db")}`,
    NEXTAUTH_SECRET: env.NEXTAUTH_SECRET ?? persistedSecret(dataDir),
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
