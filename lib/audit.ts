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
