import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/prisma/client";
import { PrismaClient as PostgresPrismaClient } from "./generated/prisma-pg/client";
import { singleton } from "./global";
import { config } from "./env";

export type { PrismaClient };

/** "postgresql" for postgres:// and postgresql:// URLs, "sqlite" for file: URLs. */
export type DatabaseProvider = "sqlite" | "postgresql";

export function databaseProvider(url = config().DATABASE_URL): DatabaseProvider {
  return /^postgres(ql)?:\/\//.test(url) ? "postgresql" : "sqlite";
}

function createClient(): PrismaClient {
  // server.ts resolves the URL (with its defaults) before anything touches the database.
  const url = config().DATABASE_URL;
  if (databaseProvider(url) === "postgresql") {
    // Prisma bakes the provider into the client it generates, so PostgreSQL has its own client,
    // generated from the same models (prisma/postgres/schema.prisma): the two have the same API.
    // A connection timeout keeps a lost server from holding requests forever; generous, because
    // a busy event loop delays the handshake too.
    const adapter = new PrismaPg({ connectionString: url, connectionTimeoutMillis: 15_000 });
    return new PostgresPrismaClient({ adapter }) as unknown as PrismaClient;
  }
  return new PrismaClient({ adapter: new PrismaBetterSqlite3({ url }) });
}

/**
 * The single Prisma client of this process, created on first use (so that importing this module
 * during `next build` does not need a database).
 */
export const db: PrismaClient = new Proxy({} as PrismaClient, {
  get(_target, prop) {
    const client = singleton("db", createClient);
    const value = Reflect.get(client, prop, client);
    return typeof value === "function" ? value.bind(client) : value;
  },
});

/** Per-connection settings the panel needs before serving. */
export async function prepareDatabase(): Promise<void> {
  // PostgreSQL needs none: it waits for locks and lets readers run beside writers by itself.
  if (databaseProvider() !== "sqlite") return;
  // Wait for locks (the migration engine's connection may still be closing) before switching to
  // WAL, which lets page reads run while agent reports are written.
  await db.$queryRawUnsafe("PRAGMA busy_timeout = 5000");
  for (let attempt = 1; ; attempt++) {
    try {
      await db.$queryRawUnsafe("PRAGMA journal_mode = WAL");
      break;
    } catch (e) {
      // Switching the journal needs a moment alone with the file; SQLite does not wait for it.
      if (attempt >= 50 || !String(e).includes("SQLITE_BUSY")) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * Whether an error is a unique-constraint violation (Prisma's P2002, on either database): the
 * loser of two racing inserts of the same key, to be answered as a conflict, never a 500.
 */
export function isUniqueViolation(e: unknown): boolean {
  return typeof e === "object" && e !== null && (e as { code?: unknown }).code === "P2002";
}

/** Error codes that mean "no database now" rather than "this query is wrong". */
const UNREACHABLE_CODES = new Set(["P1001", "P1002", "P1008", "P1017", "P2024", "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "57P01", "57P02", "57P03", "53300"]);
const UNREACHABLE_TEXT =
  /ECONNREFUSED|ECONNRESET|Connection terminated|connection (is )?closed|Can't reach database|timeout exceeded when trying to connect|the database system is (starting up|shutting down|in recovery mode)|terminating connection|Client has encountered a connection error|too many clients/i;

/**
 * Whether an error says the database cannot be reached (PostgreSQL stopped, restarting, the
 * network gone), through Prisma, its driver adapter or pg, however deeply wrapped: such requests
 * are answered "unavailable" (503), never as a bug. SQLite never gives these.
 */
export function isDatabaseUnreachable(e: unknown, depth = 0): boolean {
  if (!e || typeof e !== "object" || depth > 5) return false;
  const o = e as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown; originalCode?: unknown };
  if (typeof o.code === "string" && UNREACHABLE_CODES.has(o.code)) return true;
  if (typeof o.originalCode === "string" && UNREACHABLE_CODES.has(o.originalCode)) return true;
  if (typeof o.message === "string" && UNREACHABLE_TEXT.test(o.message)) return true;
  if (Array.isArray(o.errors) && o.errors.some((x) => isDatabaseUnreachable(x, depth + 1))) return true;
  return isDatabaseUnreachable(o.cause, depth + 1);
}
