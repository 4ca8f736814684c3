/**
 * Retention: the audit log and the command history grow with every request that acts and every
 * command sent; they are pruned once a day to FLEETDECK_AUDIT_RETENTION_DAYS and
 * FLEETDECK_COMMAND_RETENTION_DAYS (0 keeps them for ever).
 */
import { config } from "../env";
import { db } from "../db";

const DAY_MS = 24 * 60 * 60 * 1000;
/** Rows deleted per statement, so a first prune of years of history never holds a long lock. */
const BATCH = 5_000;

export interface Pruned {
  audit: number;
  commands: number;
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
  const { FLEETDECK_AUDIT_RETENTION_DAYS: auditDays, FLEETDECK_COMMAND_RETENTION_DAYS: commandDays } = config();
  const pruned: Pruned = { audit: 0, commands: 0 };
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
        if (p.audit || p.commands) log(`fleetdeck: retention pruned ${p.audit} audit entries and ${p.commands} command runs`);
      })
      .catch((e) => console.error("fleetdeck: retention failed:", e));
  const timers = [setTimeout(run, 5_000), setInterval(run, DAY_MS)];
  for (const t of timers) t.unref();
  return timers;
}
