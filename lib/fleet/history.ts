import { db } from "../db";
import { Prisma } from "../generated/prisma/client";
import { singleton } from "../global";
import type { LiveState } from "../../agent/protocol";

/** The metrics kept in history, as stored in ServerMetric. */
const FIELDS = ["cpu", "memUsed", "swapUsed", "diskUsed", "netInSpeed", "netOutSpeed", "load1", "tcpConnCount", "processCount"] as const;
type Field = (typeof FIELDS)[number];
export type MetricPoint = Record<Field, number> & { at: Date };

/** Two tiers: 10-second averages kept about an hour, minute averages kept a week. */
export const TIERS = [
  { resolution: 10, keepMs: 65 * 60_000 },
  { resolution: 60, keepMs: 8 * 24 * 3600_000 },
] as const;

type Row = Record<Field, number> & { serverId: number; at: Date; resolution: number };

/** Rows per INSERT: small enough that one write never holds the event loop for long. */
const FLUSH_CHUNK = 250;
/**
 * Rows waiting for the database at most (about 25 MiB; 10,000 agents make about 70,000 a minute).
 * A database slower than the fleet for that long loses the oldest rows rather than the panel its
 * memory (a failed write drops its rows already).
 */
const MAX_PENDING_ROWS = 100_000;

const COLUMNS = Prisma.raw(["serverId", "resolution", "at", ...FIELDS].map((c) => `"${c}"`).join(", "));

/**
 * One INSERT of many rows through Prisma's raw query (its placeholders and date format are the
 * provider's, as createMany's are). createMany compiles a query plan for every call, whose size
 * grows with the rows: measured on SQLite, 250 rows cost about 100 ms of CPU that way against
 * 10 ms here, and the plan's garbage was most of what 10,000 agents' ingest left on the heap.
 */
function insertRows(rows: Row[]): Promise<number> {
  const values = rows.map((r) => Prisma.sql`(${r.serverId}, ${r.resolution}, ${r.at}, ${Prisma.join(FIELDS.map((f) => r[f]))})`);
  return db.$executeRaw`INSERT INTO "ServerMetric" (${COLUMNS}) VALUES ${Prisma.join(values)}`;
}

async function writeRows(rows: Row[]): Promise<void> {
  try {
    await insertRows(rows);
  } catch (e) {
    // A server deleted meanwhile makes its rows fail the foreign key: drop them, keep the rest.
    const ids = [...new Set(rows.map((r) => r.serverId))];
    const alive = new Set((await db.server.findMany({ where: { id: { in: ids } }, select: { id: true } })).map((s) => s.id));
    const kept = rows.filter((r) => alive.has(r.serverId));
    if (kept.length && kept.length !== rows.length) await insertRows(kept).catch((again) => console.error("fleetdeck: history write failed:", again));
    else if (kept.length === rows.length) console.error("fleetdeck: history write failed:", e);
  }
}

/**
 * Where a tier's bucket lives in a server's accumulator array: its start (unix ms), the number of
 * reports in it, then the sum of each field of FIELDS, in order. Every bucket of a server is in one
 * Float64Array, made once and reset in place: nothing is allocated per report, and nothing that
 * lives for a bucket's minute reaches the garbage collector's old generation.
 */
const SLOT = 2 + FIELDS.length;

/**
 * Downsamples reports in memory and writes averaged rows in batches, so ingest costs no database
 * write per report however many agents report.
 */
export class HistoryWriter {
  /** Per server: TIERS.length buckets of SLOT numbers (a count of 0: no bucket open). */
  private acc = new Map<number, Float64Array>();
  private pending: Row[] = [];
  private flushing: Promise<void> | null = null;

  record(serverId: number, state: LiveState, at: number): void {
    let a = this.acc.get(serverId);
    if (!a) this.acc.set(serverId, (a = new Float64Array(TIERS.length * SLOT)));
    for (let t = 0; t < TIERS.length; t++) {
      const o = t * SLOT;
      const ms = TIERS[t].resolution * 1000;
      const bucket = Math.floor(at / ms) * ms;
      if (a[o + 1] > 0 && a[o] !== bucket) this.emit(serverId, t, a);
      if (a[o + 1] === 0) a[o] = bucket;
      a[o + 1]++;
      for (let f = 0; f < FIELDS.length; f++) {
        const v = state[FIELDS[f]];
        if (Number.isFinite(v)) a[o + 2 + f] += v;
      }
    }
  }

  /** Queues tier t's bucket as a row and empties it. */
  private emit(serverId: number, t: number, a: Float64Array): void {
    const o = t * SLOT;
    const count = a[o + 1];
    // Every field in the literal: one shape for every row, its fields inside the object.
    const row: Row = {
      serverId, resolution: TIERS[t].resolution, at: new Date(a[o]),
      cpu: 0, memUsed: 0, swapUsed: 0, diskUsed: 0, netInSpeed: 0, netOutSpeed: 0, load1: 0, tcpConnCount: 0, processCount: 0,
    };
    for (let f = 0; f < FIELDS.length; f++) {
      row[FIELDS[f]] = a[o + 2 + f] / count;
      a[o + 2 + f] = 0;
    }
    a[o + 1] = 0;
    if (this.pending.length >= MAX_PENDING_ROWS) {
      // A tenth at once: one row at a time would move the whole queue for every row.
      const dropped = this.pending.splice(0, MAX_PENDING_ROWS / 10).length;
      if (this.dropped === 0) console.error(`fleetdeck: the database is not keeping up with history: dropping the oldest rows (${MAX_PENDING_ROWS} waiting)`);
      this.dropped += dropped;
    }
    this.pending.push(row);
  }

  /** Rows dropped because too many were waiting (MAX_PENDING_ROWS). */
  dropped = 0;

  /** Closes buckets whose time is over even if no new report came (an agent that stopped). */
  closeStale(now = Date.now()): void {
    for (const [serverId, a] of this.acc) {
      for (let t = 0; t < TIERS.length; t++) {
        const o = t * SLOT;
        if (a[o + 1] > 0 && now >= a[o] + TIERS[t].resolution * 1000 * 2) this.emit(serverId, t, a);
      }
    }
  }

  forget(serverId: number): void {
    this.acc.delete(serverId);
    this.pending = this.pending.filter((r) => r.serverId !== serverId);
  }

  /**
   * Writes what is pending in small chunks, yielding to the event loop between them: SQLite writes
   * run synchronously in this process, and 10,000 agents close 10,000 buckets every 10 s, which
   * in one statement would stall every socket and request for a second or more.
   */
  async flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    const batch = this.pending.splice(0);
    if (!batch.length) return;
    this.flushing = (async () => {
      try {
        for (let i = 0; i < batch.length; i += FLUSH_CHUNK) {
          await writeRows(batch.slice(i, i + FLUSH_CHUNK));
          await new Promise((r) => setImmediate(r));
        }
      } finally {
        this.flushing = null;
      }
    })();
    return this.flushing;
  }

  async prune(now = Date.now()): Promise<void> {
    for (const tier of TIERS) {
      await db.serverMetric.deleteMany({ where: { resolution: tier.resolution, at: { lt: new Date(now - tier.keepMs) } } });
    }
  }
}

export const history = singleton("historyWriter", () => new HistoryWriter());

/** A server's history for a chart: the last hour (10 s points) or the last day (minute points). */
export async function serverHistory(serverId: number, range: "hour" | "day"): Promise<MetricPoint[]> {
  const resolution = range === "hour" ? 10 : 60;
  const since = new Date(Date.now() - (range === "hour" ? 3600_000 : 24 * 3600_000));
  const rows = await db.serverMetric.findMany({
    where: { serverId, resolution, at: { gte: since } },
    orderBy: { at: "asc" },
    select: { at: true, ...Object.fromEntries(FIELDS.map((f) => [f, true])) },
  });
  return rows as unknown as MetricPoint[];
}
