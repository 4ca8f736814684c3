import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaClient } from "./generated/prisma/client";
import { singleton } from "./global";
import { config } from "./env";

export type { PrismaClient };

function createClient(): PrismaClient {
  // server.ts resolves the URL (with its defaults) before anything touches the database.
  const url = config().DATABASE_URL;
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
