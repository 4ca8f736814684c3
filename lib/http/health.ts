import type { IncomingMessage, ServerResponse } from "node:http";
import { databaseProvider, db } from "../db";
// @ts-expect-error: plain ESM script without type declarations
import { expectedMigrations } from "../../scripts/prisma-schemas.mjs";

/**
 * Probes for load balancers and service managers, answered by the custom server before Next and
 * without authentication (they reveal nothing but up or down):
 *   /healthz  the process is alive and serving: 200 {"status":"ok"}
 *   /readyz   the database answers and has every migration this build ships: 200, else 503
 */
const READY_TIMEOUT_MS = 2_000;

let expected: string[] | undefined;

async function readiness(): Promise<string | null> {
  expected ??= expectedMigrations(databaseProvider()) as string[];
  let timer: NodeJS.Timeout | undefined;
  try {
    // The same statement reads Prisma's migration table on SQLite and PostgreSQL.
    const rows = await Promise.race([
      db.$queryRawUnsafe<{ migration_name: string }[]>(
        "SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL",
      ),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("timed out")), READY_TIMEOUT_MS))),
    ]);
    const applied = new Set(rows.map((r) => r.migration_name));
    const missing = expected.filter((name) => !applied.has(name));
    return missing.length ? `migrations not applied: ${missing.join(", ")}` : null;
  } catch {
    return "database unreachable";
  } finally {
    clearTimeout(timer);
  }
}

function send(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}

/** Answers /healthz and /readyz (GET or HEAD); returns false for every other request. */
export function answerHealth(req: IncomingMessage, res: ServerResponse, pathname: string): boolean {
  if (pathname !== "/healthz" && pathname !== "/readyz") return false;
  if (req.method !== "GET" && req.method !== "HEAD") return false;
  if (pathname === "/healthz") {
    send(res, 200, { status: "ok" });
    return true;
  }
  readiness().then(
    (reason) => send(res, reason ? 503 : 200, reason ? { status: "unavailable", reason } : { status: "ready" }),
    () => send(res, 503, { status: "unavailable", reason: "readiness check failed" }),
  );
  return true;
}
