/**
 * Retention: the audit log, the command history and the alert history grow with every request
 * that acts, every command sent and every notice; they are pruned once a day to
 * FLEETDECK_AUDIT_RETENTION_DAYS, FLEETDECK_COMMAND_RETENTION_DAYS and
 * FLEETDECK_ALERT_RETENTION_DAYS (0 keeps them for ever).
 */
import { config } from "../env";
import { db } from "../db";

const DAY_MS = 24 * 60 * 60 * 1000;
/** Rows deleted per statement, so a first prune of years of history never holds a long lock. */
const BATCH = 5_000;

export interface Pruned {
  audit: number;
  commands: number;
  /** Notice attempts, finished notices, recovered alert events and ended one-off maintenance windows. */
  alerts: number;
}

async function inBatches(next: () => Promise<number[]>, remove: (ids: number[]) => Promise<{ count: number }>): Promise<number> {
  let total = 0;
  for (;;) {
    const ids = await next();
    if (!ids.length) return total;
    total += (await remove(ids)).count;
    if (ids.length < BATCH) return total;
  }
}

/** Deletes audit entries and finished command runs older than their retention; `now` for tests. */
export async function pruneRetained(now = Date.now()): Promise<Pruned> {
  const { FLEETDECK_AUDIT_RETENTION_DAYS: auditDays, FLEETDECK_COMMAND_RETENTION_DAYS: commandDays, FLEETDECK_ALERT_RETENTION_DAYS: alertDays } = config();
  const pruned: Pruned = { audit: 0, commands: 0, alerts: 0 };
  if (auditDays > 0) {
    const before = new Date(now - auditDays * DAY_MS);
    pruned.audit = await inBatches(
      async () => (await db.auditLog.findMany({ where: { at: { lt: before } }, select: { id: true }, take: BATCH })).map((r) => r.id),
      (ids) => db.auditLog.deleteMany({ where: { id: { in: ids } } }),
    );
  }
  if (commandDays > 0) {
    const before = new Date(now - commandDays * DAY_MS);
    // A run still "running" is some request's to finish: never pulled from under it.
    const where = { createdAt: { lt: before }, status: { not: "running" } };
    pruned.commands = await inBatches(
      async () => (await db.commandRun.findMany({ where, select: { id: true }, take: BATCH })).map((r) => r.id),
      (ids) => db.commandRun.deleteMany({ where: { id: { in: ids } } }),
    );
  }
  if (alertDays > 0) {
    const before = new Date(now - alertDays * DAY_MS);
    // A notice still pending (being retried) keeps its attempts; an open event is still firing.
    const attempts = { at: { lt: before }, notification: { status: { not: "pending" } } };
    pruned.alerts += await inBatches(
      async () => (await db.notificationAttempt.findMany({ where: attempts, select: { id: true }, take: BATCH })).map((r) => r.id),
      (ids) => db.notificationAttempt.deleteMany({ where: { id: { in: ids } } }),
    );
    const notices = { createdAt: { lt: before }, status: { not: "pending" } };
    pruned.alerts += await inBatches(
      async () => (await db.notification.findMany({ where: notices, select: { id: true }, take: BATCH })).map((r) => r.id),
      (ids) => db.notification.deleteMany({ where: { id: { in: ids } } }),
    );
    const events = { recoveredAt: { lt: before } };
    pruned.alerts += await inBatches(
      async () => (await db.alertEvent.findMany({ where: events, select: { id: true }, take: BATCH })).map((r) => r.id),
      (ids) => db.alertEvent.deleteMany({ where: { id: { in: ids } } }),
    );
    pruned.alerts += (await db.maintenanceWindow.deleteMany({ where: { kind: "once", endsAt: { lt: before } } })).count;
  }
  return pruned;
}

/**
 * Prunes now (shortly after start, so a panel restarted daily still prunes) and then once a day.
 * Returns the timers for the caller to stop.
 */
export function startRetention(log: (message: string) => void = console.log, runsHere: () => boolean = () => true): NodeJS.Timeout[] {
  // Several panel processes: only the one holding the jobs lease prunes (lib/fleet/cluster.ts).
  const run = () =>
    runsHere() &&
    void pruneRetained()
      .then((p) => {
        if (p.audit || p.commands || p.alerts) log(`fleetdeck: retention pruned ${p.audit} audit entries, ${p.commands} command runs and ${p.alerts} alert history rows`);
      })
      .catch((e) => console.error("fleetdeck: retention failed:", e));
  const timers = [setTimeout(run, 5_000), setInterval(run, DAY_MS)];
  for (const t of timers) t.unref();
  return timers;
}
