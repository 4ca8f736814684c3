import { databaseProvider, db } from "../db";
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

/**
 * A row waiting for the database, as numbers: serverId, resolution, at (unix ms), then FIELDS.
 * Rows wait in one Float64Array (RowQueue), not as objects: 10,000 agents make about 1,200 a
 * second, each of which would otherwise live long enough to burden the old generation.
 */
const ROW = 3 + FIELDS.length;

/** Rows per INSERT: small enough that one write never holds the event loop for long. */
const FLUSH_CHUNK = 250;
/**
 * Rows waiting for the database at most (about 10 MiB; 10,000 agents make about 70,000 a minute).
 * A database slower than the fleet for that long loses the oldest rows rather than the panel its
 * memory (a failed write drops its rows already).
 */
const MAX_PENDING_ROWS = 100_000;

/** A growable queue of ROW-number rows. */
class RowQueue {
  private buf = new Float64Array(1024 * ROW);
  length = 0;

  /** Appends a row: its three keys, then FIELDS.length values from `src` at `from`, each divided by `div`. */
  push(serverId: number, resolution: number, at: number, src: Float64Array, from: number, div: number): void {
    if ((this.length + 1) * ROW > this.buf.length) {
      const grown = new Float64Array(this.buf.length * 2);
      grown.set(this.buf.subarray(0, this.length * ROW));
      this.buf = grown;
    }
    const o = this.length++ * ROW;
    this.buf[o] = serverId;
    this.buf[o + 1] = resolution;
    this.buf[o + 2] = at;
    for (let f = 0; f < FIELDS.length; f++) this.buf[o + 3 + f] = src[from + f] / div;
  }

  /** Removes the oldest n rows. */
  dropOldest(n: number): void {
    n = Math.min(n, this.length);
    this.buf.copyWithin(0, n * ROW, this.length * ROW);
    this.length -= n;
  }

  /** Hands over every row (a copy) and empties the queue; its buffer shrinks back if it grew. */
  takeAll(): Float64Array {
    const rows = this.buf.slice(0, this.length * ROW);
    this.length = 0;
    if (this.buf.length > 16 * 1024 * ROW) this.buf = new Float64Array(1024 * ROW);
    return rows;
  }

  /** Keeps only the rows for which keep(serverId) holds. */
  filter(keep: (serverId: number) => boolean): void {
    let n = 0;
    for (let r = 0; r < this.length; r++) {
      if (!keep(this.buf[r * ROW])) continue;
      if (n !== r) this.buf.copyWithin(n * ROW, r * ROW, (r + 1) * ROW);
      n++;
    }
    this.length = n;
  }
}

/** A row as an object (tests; the charts read rows back from the database). */
export type PendingRow = Record<Field, number> & { serverId: number; resolution: number; at: Date };

function rowAt(rows: Float64Array, r: number): PendingRow {
  const o = r * ROW;
  const row = { serverId: rows[o], resolution: rows[o + 1], at: new Date(rows[o + 2]) } as PendingRow;
  FIELDS.forEach((f, i) => (row[f] = rows[o + 3 + i]));
  return row;
}

const COLUMNS = ["serverId", "resolution", "at", ...FIELDS].map((c) => `"${c}"`).join(", ");
/**
 * One INSERT of many rows with a single parameter, the rows as JSON (each an array in ROW
 * order), unpacked by the database itself. Prisma's createMany compiles a query plan for every
 * call whose size grows with the rows (250 rows: about 100 ms of CPU, measured on SQLite), and
 * even a raw INSERT with a placeholder per value builds objects for each of its 3,000 values:
 * with 10,000 agents those were most of the garbage ingest left on the panel's heap. The date is
 * written as Prisma writes a DateTime: on SQLite ISO 8601 text with "+00:00", on PostgreSQL a
 * timestamp in UTC.
 */
const INSERT_SQL = {
  sqlite:
    `INSERT INTO "ServerMetric" (${COLUMNS}) SELECT value->>0, value->>1, strftime('%Y-%m-%dT%H:%M:%f+00:00', (value->>2) / 1000.0, 'unixepoch'), ` +
    `${FIELDS.map((_, i) => `value->>${i + 3}`).join(", ")} FROM json_each(?)`,
  postgresql:
    `INSERT INTO "ServerMetric" (${COLUMNS}) SELECT (r->>0)::int, (r->>1)::int, to_timestamp((r->>2)::double precision / 1000) AT TIME ZONE 'UTC', ` +
    `${FIELDS.map((_, i) => `(r->>${i + 3})::double precision`).join(", ")} FROM jsonb_array_elements($1::jsonb) AS r`,
};

/** Rows [from, to) of `rows` as the JSON INSERT_SQL takes. */
function rowsJson(rows: Float64Array, from: number, to: number): string {
  let json = "[";
  for (let r = from; r < to; r++) {
    json += r === from ? "[" : ",[";
    for (let k = 0; k < ROW; k++) {
      const v = rows[r * ROW + k];
      // JSON has no NaN or Infinity (a sum of huge values may overflow): such an average is 0.
      json += (k ? "," : "") + (Number.isFinite(v) ? v : 0);
    }
    json += "]";
  }
  return json + "]";
}

async function writeRows(rows: Float64Array, from: number, to: number): Promise<void> {
  const sql = INSERT_SQL[databaseProvider()];
  try {
    await db.$executeRawUnsafe(sql, rowsJson(rows, from, to));
  } catch (e) {
    // A server deleted meanwhile makes its rows fail the foreign key: drop them, keep the rest.
    const ids = new Set<number>();
    for (let r = from; r < to; r++) ids.add(rows[r * ROW]);
    const alive = new Set((await db.server.findMany({ where: { id: { in: [...ids] } }, select: { id: true } })).map((s) => s.id));
    if (alive.size === ids.size) {
      console.error("fleetdeck: history write failed:", e);
      return;
    }
    const kept = new RowQueue();
    for (let r = from; r < to; r++) if (alive.has(rows[r * ROW])) kept.push(rows[r * ROW], rows[r * ROW + 1], rows[r * ROW + 2], rows, r * ROW + 3, 1);
    if (!kept.length) return;
    const left = kept.takeAll();
    await db.$executeRawUnsafe(sql, rowsJson(left, 0, left.length / ROW)).catch((again) => console.error("fleetdeck: history write failed:", again));
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
  private pending = new RowQueue();
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

  /** Queues tier t's bucket as a row (the averages) and empties it. */
  private emit(serverId: number, t: number, a: Float64Array): void {
    const o = t * SLOT;
    if (this.pending.length >= MAX_PENDING_ROWS) {
      // A tenth at once: one row at a time would move the whole queue for every row.
      if (this.dropped === 0) console.error(`fleetdeck: the database is not keeping up with history: dropping the oldest rows (${MAX_PENDING_ROWS} waiting)`);
      this.pending.dropOldest(MAX_PENDING_ROWS / 10);
      this.dropped += MAX_PENDING_ROWS / 10;
    }
    this.pending.push(serverId, TIERS[t].resolution, a[o], a, o + 2, a[o + 1]);
    a.fill(0, o, o + SLOT);
  }

  /** Rows dropped because too many were waiting (MAX_PENDING_ROWS). */
  dropped = 0;

  /** The rows waiting for the next flush, as objects (for tests). */
  pendingRows(): PendingRow[] {
    const rows = this.pending.takeAll();
    const out = Array.from({ length: rows.length / ROW }, (_, r) => rowAt(rows, r));
    for (const row of out) this.pending.push(row.serverId, row.resolution, row.at.getTime(), Float64Array.from(FIELDS.map((f) => row[f])), 0, 1);
    return out;
  }

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
    this.pending.filter((id) => id !== serverId);
  }

  /**
   * Writes what is pending in small chunks, yielding to the event loop between them: SQLite writes
   * run synchronously in this process, and 10,000 agents close 10,000 buckets every 10 s, which
   * in one statement would stall every socket and request for a second or more.
   */
  async flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (!this.pending.length) return;
    const batch = this.pending.takeAll();
    const count = batch.length / ROW;
    this.flushing = (async () => {
      try {
        for (let i = 0; i < count; i += FLUSH_CHUNK) {
          await writeRows(batch, i, Math.min(count, i + FLUSH_CHUNK));
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
