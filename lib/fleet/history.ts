import { db } from "../db";
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

interface Accumulator {
  start: number;
  count: number;
  sums: Record<Field, number>;
}

function zero(): Record<Field, number> {
  return Object.fromEntries(FIELDS.map((f) => [f, 0])) as Record<Field, number>;
}

function valuesOf(s: LiveState): Record<Field, number> {
  return {
    cpu: s.cpu, memUsed: s.memUsed, swapUsed: s.swapUsed, diskUsed: s.diskUsed, netInSpeed: s.netInSpeed,
    netOutSpeed: s.netOutSpeed, load1: s.load1, tcpConnCount: s.tcpConnCount, processCount: s.processCount,
  };
}

type Row = Record<Field, number> & { serverId: number; at: Date; resolution: number };

/** Rows per INSERT: small enough that one write never holds the event loop for long. */
const FLUSH_CHUNK = 250;

async function writeRows(rows: Row[]): Promise<void> {
  try {
    await db.serverMetric.createMany({ data: rows });
  } catch (e) {
    // A server deleted meanwhile makes its rows fail the foreign key: drop them, keep the rest.
    const ids = [...new Set(rows.map((r) => r.serverId))];
    const alive = new Set((await db.server.findMany({ where: { id: { in: ids } }, select: { id: true } })).map((s) => s.id));
    const kept = rows.filter((r) => alive.has(r.serverId));
    if (kept.length !== rows.length) await db.serverMetric.createMany({ data: kept }).catch((again) => console.error("fleetdeck: history write failed:", again));
    else console.error("fleetdeck: history write failed:", e);
  }
}

/**
 * Downsamples reports in memory and writes averaged rows in batches, so ingest costs no database
 * write per report however many agents report.
 */
export class HistoryWriter {
  private acc = new Map<string, Accumulator>();
  private pending: Row[] = [];
  private flushing: Promise<void> | null = null;

  record(serverId: number, state: LiveState, at: number): void {
    const values = valuesOf(state);
    for (const tier of TIERS) {
      const key = `${serverId}:${tier.resolution}`;
      const bucket = Math.floor(at / (tier.resolution * 1000)) * tier.resolution * 1000;
      let a = this.acc.get(key);
      if (a && a.start !== bucket) {
        this.emit(serverId, tier.resolution, a);
        a = undefined;
      }
      if (!a) this.acc.set(key, (a = { start: bucket, count: 0, sums: zero() }));
      a.count++;
      for (const f of FIELDS) a.sums[f] += Number.isFinite(values[f]) ? values[f] : 0;
    }
  }

  private emit(serverId: number, resolution: number, a: Accumulator): void {
    const avg = Object.fromEntries(FIELDS.map((f) => [f, a.sums[f] / a.count])) as Record<Field, number>;
    this.pending.push({ serverId, resolution, at: new Date(a.start), ...avg });
  }

  /** Closes buckets whose time is over even if no new report came (an agent that stopped). */
  closeStale(now = Date.now()): void {
    for (const [key, a] of this.acc) {
      const [serverId, resolution] = key.split(":").map(Number);
      if (now >= a.start + resolution * 1000 * 2) {
        this.emit(serverId, resolution, a);
        this.acc.delete(key);
      }
    }
  }

  forget(serverId: number): void {
    for (const key of this.acc.keys()) if (key.startsWith(`${serverId}:`)) this.acc.delete(key);
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
