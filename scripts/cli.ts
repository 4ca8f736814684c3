/**
 * The operator CLI: `npm run fleetdeck -- <command>`, on the machine that holds the panel's data
 * (the same DATA_DIR / DATABASE_URL as `npm start`). It goes through the panel's own domain
 * (lib/fleet/users.ts, lib/fleet/tokens.ts), so its rules and audit entries are the UI's.
 *
 * A running panel sees a change that revokes access (a token revoked, a user disabled) within
 * about a second: the change bumps the revocation epoch every panel process polls
 * (lib/auth/revocation.ts).
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { z } from "zod";
import { ConfigError, loadEnv, useConfig } from "../lib/env";
import { getSingleton } from "../lib/global";
import * as users from "../lib/fleet/users";
import * as tokens from "../lib/fleet/tokens";
import { deleteTokens } from "../lib/auth/tokens";
import { asDomainError } from "../lib/fleet/errors";
import type { PrismaClient } from "../lib/db";

// The domain modules open the database on first use, so importing them before the environment
// is set up (below) is safe.

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

const USAGE = `usage: npm run fleetdeck -- <command>

  user add <name> --password <pw> [--role admin|user]
  user list
  user passwd <name> --password <pw>
  user disable <name>
  user enable <name>
  token add --user <name> [--note <note>] [--expires <ISO date>]   prints the token alone on its last line
            [--read-only] [--apis nezha,mcsm,trmm,ui] [--allow-ip <CIDR>]...   limits (--allow-ip repeats)
  token list [--user <name>]
  token revoke <prefix | token>
  backup <file>                     a consistent copy of the live SQLite database (PostgreSQL: prints the pg_dump to run)

  --password-stdin reads the password from standard input instead of --password.`;

/** A mistake in how the CLI was called: exit 2 with the usage. */
class UsageError extends Error {}
/** The command could not be done: exit 1 with the reason. */
class CommandError extends Error {}

type Options = NonNullable<ParseArgsConfig["options"]>;

function parse(args: string[], options: Options, positionals: number) {
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (parsed.positionals.length !== positionals) {
    throw new UsageError(positionals ? `expected ${positionals} argument(s), got ${parsed.positionals.length}` : `unexpected argument "${parsed.positionals[0]}"`);
  }
  return { values: parsed.values as Record<string, string | boolean | undefined>, positionals: parsed.positionals };
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
}

async function passwordOf(values: Record<string, string | boolean | undefined>): Promise<string> {
  if (values["password-stdin"]) return readStdin();
  if (typeof values.password !== "string") throw new UsageError("--password <pw> (or --password-stdin) is required");
  return values.password;
}

const passwordOptions: Options = { password: { type: "string" }, "password-stdin": { type: "boolean" } };

const iso = (d: Date | null) => (d ? d.toISOString().replace(/\.\d{3}Z$/, "Z") : "-");

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join("  ")).join("\n");
}

interface SqliteHandle {
  prepare(sql: string): { all(): { migration_name: string }[] };
  close(): void;
}

/**
 * The migrations prisma/migrations holds that the database has not applied. Read without Prisma's
 * schema engine, because the engine locks the database exclusively: it cannot even look while a
 * panel has the file open, which is the normal case for this CLI.
 */
function pendingMigrations(url: string): string[] {
  const dir = path.join(ROOT, "prisma/migrations");
  const wanted = fs.readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  // PostgreSQL's engine only takes an advisory lock, so asking it is harmless beside a panel.
  if (/^postgres(ql)?:\/\//.test(url)) return wanted;
  const file = url.replace(/^file:/, "");
  if (!fs.existsSync(file)) return wanted;
  const Database = createRequire(import.meta.url)("better-sqlite3") as new (file: string, opts: { readonly: boolean; fileMustExist: boolean }) => SqliteHandle;
  const conn = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const applied = new Set(
      conn.prepare("SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL").all().map((r) => r.migration_name),
    );
    return wanted.filter((m) => !applied.has(m));
  } catch {
    return wanted; // no _prisma_migrations table yet: a database nothing has migrated
  } finally {
    conn.close();
  }
}

async function migrateIfNeeded(url: string): Promise<void> {
  const pending = pendingMigrations(url);
  if (!pending.length) return;
  // @ts-expect-error: plain ESM script without type declarations
  const { deployMigrations } = await import("./migrate-wasm.mjs");
  try {
    const applied: string[] = await deployMigrations(url);
    if (applied.length) console.error(`fleetdeck: database migrated (${applied.join(", ")})`);
  } catch (e) {
    if (/SocketTimeout|SQLITE_BUSY|locked/.test(String(e))) {
      throw new CommandError(`the database needs migrating (${pending.join(", ")}) but is in use: stop the panel, or start the new version of it, first`);
    }
    throw e;
  }
}

/**
 * `backup <file>`: SQLite is copied with VACUUM INTO, one read transaction, so the panel may keep
 * running and writing. PostgreSQL has its own tool; we say how to call it and exit non-zero,
 * since no copy was made.
 */
async function backup(url: string, args: string[]): Promise<void> {
  const { positionals } = parse(args, {}, 1);
  const target = path.resolve(positionals[0]);
  if (/^postgres(ql)?:\/\//.test(url)) {
    throw new CommandError(
      `the database is PostgreSQL: copy it with its own tool, e.g.\n  pg_dump --format=custom --file=${JSON.stringify(target)} "$DATABASE_URL"\n(restore with pg_restore --clean --dbname="$DATABASE_URL" ${JSON.stringify(target)})`,
    );
  }
  // @ts-expect-error: plain ESM script without type declarations
  const { copySqlite, sqliteFile } = await import("./migrate-wasm.mjs");
  if (!fs.existsSync(sqliteFile(url))) throw new CommandError(`no database at ${sqliteFile(url)}`);
  try {
    copySqlite(url, target);
  } catch (e) {
    throw new CommandError(`cannot copy the database to ${target}: ${(e as Error).message}`);
  }
  console.log(`copied the database to ${target} (${fs.statSync(target).size} bytes)`);
}

async function run(argv: string[]): Promise<void> {
  const [group, command, ...rest] = argv;
  if (!group || group === "help" || group === "--help" || group === "-h") {
    console.log(USAGE);
    return;
  }
  if (!["user", "token", "backup"].includes(group)) throw new UsageError(`unknown command "${group}"`);

  const env = loadEnv();
  // Before migrateIfNeeded: a copy is taken of the database as it is, whatever version made it.
  if (group === "backup") return backup(env.DATABASE_URL, command === undefined ? [] : [command, ...rest]);
  // The domain modules read this one validated configuration, as in server.ts.
  useConfig(env);
  await migrateIfNeeded(env.DATABASE_URL);

  const actor = { id: null, name: "cli" };

  const userNamed = async (name: string) => {
    const user = await users.findUserByName(name);
    if (!user) throw new CommandError(`no user named "${name}"`);
    return user;
  };

  const key = `${group} ${command ?? ""}`.trim();
  switch (key) {
    case "user add": {
      const { values, positionals } = parse(rest, { ...passwordOptions, role: { type: "string", default: "user" } }, 1);
      if (values.role !== "admin" && values.role !== "user") throw new UsageError("--role must be admin or user");
      const user = await users.createUser({ username: positionals[0], password: await passwordOf(values), role: values.role }, actor);
      console.log(`created ${user.role} "${user.username}" (id ${user.id})`);
      return;
    }
    case "user list": {
      parse(rest, {}, 0);
      const list = await users.listUsers();
      console.log(
        table([
          ["ID", "USERNAME", "ROLE", "STATUS", "2FA", "CREATED"],
          ...list.map((u) => [String(u.id), u.username, u.role, u.disabled ? "disabled" : "enabled", u.totpEnabled ? "on" : "off", iso(u.createdAt)]),
        ]),
      );
      return;
    }
    case "user passwd": {
      const { values, positionals } = parse(rest, passwordOptions, 1);
      const user = await userNamed(positionals[0]);
      await users.updateUser(user.id, { password: await passwordOf(values) }, actor);
      console.log(`password of "${user.username}" changed; their sessions are signed out`);
      return;
    }
    case "user disable":
    case "user enable": {
      const { positionals } = parse(rest, {}, 1);
      const user = await userNamed(positionals[0]);
      const disabled = command === "disable";
      await users.updateUser(user.id, { disabled }, actor);
      console.log(disabled ? `"${user.username}" is disabled: their sessions and tokens stop working` : `"${user.username}" is enabled`);
      return;
    }
    case "token add": {
      const { values } = parse(
        rest,
        {
          user: { type: "string" },
          note: { type: "string", default: "" },
          expires: { type: "string" },
          "read-only": { type: "boolean" },
          apis: { type: "string" },
          "allow-ip": { type: "string", multiple: true },
        },
        0,
      );
      if (typeof values.user !== "string") throw new UsageError("--user <name> is required");
      const user = await userNamed(values.user);
      const allowIp = values["allow-ip"] as unknown as string[] | undefined;
      const created = await tokens.issueTokenFor(
        user.id,
        {
          note: values.note,
          expiresAt: values.expires ?? null,
          ...(values["read-only"] ? { readOnly: true } : {}),
          ...(typeof values.apis === "string" ? { apis: values.apis } : {}),
          // Each --allow-ip may itself be a comma list.
          ...(allowIp ? { allowedCidrs: allowIp.flatMap((v) => v.split(",")) } : {}),
        },
        actor,
      );
      const [row] = await tokens.tokensMatching(created.token);
      const limits = row ? scopeText(row.scope) : "";
      console.log(`token ${created.prefix}… for "${user.username}"${limits ? ` (${limits})` : ""} (shown once; keep it secret):`);
      console.log(created.token);
      return;
    }
    case "token list": {
      const { values } = parse(rest, { user: { type: "string" } }, 0);
      let list = await tokens.allTokens();
      if (typeof values.user === "string") {
        const user = await userNamed(values.user);
        list = list.filter((t) => t.owner.id === user.id);
      }
      console.log(
        table([
          ["ID", "PREFIX", "KIND", "OWNER", "CREATED", "LAST USED", "EXPIRES", "SCOPE", "NOTE"],
          ...list.map((t) => [String(t.id), t.prefix, t.kind, t.owner.username, iso(t.createdAt), iso(t.lastUsedAt), iso(t.expiresAt), scopeText(t.scope) || "full", t.note]),
        ]),
      );
      return;
    }
    case "token revoke": {
      const { positionals } = parse(rest, {}, 1);
      const ref = positionals[0].trim().replace(/…$/, "");
      const found = await tokens.tokensMatching(ref);
      if (found.length === 0) throw new CommandError(`no token matches "${ref}"`);
      if (found.length > 1) throw new CommandError(`${found.length} tokens share the prefix "${ref}" (ids ${found.map((t) => t.id).join(", ")}): give the whole token`);
      await deleteTokens([found[0].id], actor);
      console.log(`revoked ${found[0].kind} ${found[0].prefix}… of "${found[0].owner.username}"`);
      return;
    }
    default:
      throw new UsageError(`unknown command "${key}"`);
  }
}

/** A token's limits in one line: "read-only; apis=nezha,trmm; from 10.0.0.0/8". */
function scopeText(scope: tokens.TokenView["scope"]): string {
  return [scope.readOnly && "read-only", scope.apis.length && `apis=${scope.apis.join(",")}`, scope.allowedCidrs.length && `from ${scope.allowedCidrs.join(",")}`]
    .filter(Boolean)
    .join("; ");
}

async function main(): Promise<number> {
  try {
    await run(process.argv.slice(2));
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`fleetdeck: ${e.message} (usage: npm run fleetdeck -- help)`);
      return 2;
    }
    if (e instanceof ConfigError) {
      console.error(`fleetdeck: ${e.message}`);
      return 2;
    }
    if (e instanceof z.ZodError) {
      console.error(`fleetdeck: ${e.issues.map((i) => i.message).join("; ")}`);
      return 1;
    }
    const unreachable = e instanceof Error && e.name === "DatabaseUnreachable";
    if (e instanceof CommandError || asDomainError(e) || unreachable) {
      console.error(`fleetdeck: ${(e as Error).message}`);
      return 1;
    }
    console.error("fleetdeck: failed:", e);
    return 1;
  } finally {
    // Only a client that was created needs closing (usage errors never open the database).
    await getSingleton<PrismaClient>("db")?.$disconnect().catch(() => undefined);
  }
}

main().then((code) => process.exit(code));
