import { z } from "zod";
import { db } from "./db";
import { singleton } from "./global";

export interface AuditEntry {
  action: string;
  actorId?: number | null;
  actorName?: string;
  target?: string;
  detail?: string;
  ip?: string;
}

/** Records an action now (token and user changes: rare, and worth waiting for). */
export async function audit(entry: AuditEntry): Promise<void> {
  await db.auditLog.create({ data: { ...entry, actorId: entry.actorId ?? null } });
}

/**
 * Authentication failures are queued and written in batches, at most one entry per
 * (address, carrier, reason) a minute, so a flood of bad requests cannot turn into a flood of
 * database writes.
 */
const failures = singleton("authFailureQueue", () => ({
  pending: [] as AuditEntry[],
  seen: new Map<string, number>(),
  timer: null as NodeJS.Timeout | null,
}));

export function auditAuthFailure(ip: string, carrier: string, reason: string): void {
  const key = `${ip}|${carrier}|${reason}`;
  const now = Date.now();
  const last = failures.seen.get(key);
  if (last && now - last < 60_000) return;
  failures.seen.set(key, now);
  if (failures.seen.size > 5_000) failures.seen.clear();
  failures.pending.push({ action: "auth.fail", ip, detail: `carrier=${carrier} reason=${reason}` });
  failures.timer ??= setTimeout(flushAuthFailures, 1_000);
}

export async function flushAuthFailures(): Promise<void> {
  failures.timer = null;
  const batch = failures.pending.splice(0);
  if (batch.length) await db.auditLog.createMany({ data: batch }).catch((e) => console.error("audit:", e));
}

/** Reading the audit log (admins, in the UI): newest first, a page at a time. */

const emptyAsMissing = (v: unknown) => (v === "" ? undefined : v);

export const auditQuerySchema = z.object({
  /** Entries older than this id (the previous page's `nextBefore`). */
  before: z.preprocess(emptyAsMissing, z.string().regex(/^\d{1,12}$/, "before must be an entry id").transform(Number).optional()),
  limit: z.preprocess(
    emptyAsMissing,
    z.string().regex(/^\d{1,4}$/, "limit must be a number").transform(Number).pipe(z.number().int().min(1).max(200, "limit must be at most 200")).default(50),
  ),
  /** An action or a family of them: "auth.fail", "token" (token.create, token.delete), "key"… */
  action: z.preprocess(emptyAsMissing, z.string().max(64).regex(/^[a-z.]+$/, "action must look like token.create").optional()),
});

export interface AuditPage {
  entries: { id: number; at: Date; action: string; actorName: string; target: string; detail: string; ip: string }[];
  /** Pass as `before` for the next page; null on the last one. */
  nextBefore: number | null;
}

export async function auditPage(query: Record<string, string>): Promise<AuditPage> {
  const q = auditQuerySchema.parse(query);
  // Authentication failures are written in batches: show the ones still queued too.
  await flushAuthFailures();
  const rows = await db.auditLog.findMany({
    where: {
      ...(q.before !== undefined ? { id: { lt: q.before } } : {}),
      ...(q.action ? { OR: [{ action: q.action }, { action: { startsWith: `${q.action.replace(/\.$/, "")}.` } }] } : {}),
    },
    orderBy: { id: "desc" },
    take: q.limit + 1,
    select: { id: true, at: true, action: true, actorName: true, target: true, detail: true, ip: true },
  });
  const entries = rows.slice(0, q.limit);
  return { entries, nextBefore: rows.length > q.limit ? entries[entries.length - 1].id : null };
}
