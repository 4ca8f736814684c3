/**
 * The notification outbox. A notice is a database row (Notification, "pending") written in the
 * same transaction as the alert event it announces, and sent from here afterwards: a panel that
 * dies between the two sends it after its restart. Each attempt is recorded on the row (attempts,
 * last error, when the next one is due); failures are retried with exponential back-off and the
 * row is marked "failed" after the last attempt. Sending runs beside ingest, never in its way: a
 * webhook that hangs holds one of a few concurrent slots for at most SEND_TIMEOUT_MS.
 */
import { db } from "../../db";
import { runsJobs } from "../cluster";
import { singleton } from "../../global";
import { channelById, deliver, UNREADABLE, type Notice } from "./channels";

export const MAX_ATTEMPTS = 10;
const CONCURRENCY = 8;
const POLL_MS = 1_000;

/** Wait before attempt n+1 after n failures: 5 s, 10 s, 20 s … capped at 15 minutes. */
export function backoffMs(failures: number): number {
  return Math.min(15 * 60_000, 5_000 * 2 ** Math.max(0, failures - 1));
}

class Outbox {
  private inflight = new Set<number>();
  private timer: NodeJS.Timeout | null = null;
  private pumping = false;
  private again = false;
  private stopped = true;
  /** Resolved after each send (tests and the benchmark wait on deliveries). */
  sent = 0;

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.timer = setInterval(() => this.kick(), POLL_MS);
    this.timer.unref();
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Looks for due notices now (called after new ones are written). */
  kick(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    void this.pump()
      .catch((e) => console.error("fleetdeck: notification outbox:", e))
      .finally(() => {
        this.pumping = false;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async pump(): Promise<void> {
    // Several panel processes: rows are not claimed, so only the jobs-lease holder sends (cluster.ts).
    if (!runsJobs()) return;
    const free = CONCURRENCY - this.inflight.size;
    if (free <= 0) return;
    const due = await db.notification.findMany({
      where: { status: "pending", nextAttemptAt: { lte: new Date() }, ...(this.inflight.size ? { id: { notIn: [...this.inflight] } } : {}) },
      orderBy: { nextAttemptAt: "asc" },
      take: free,
    });
    for (const row of due) {
      this.inflight.add(row.id);
      void this.attempt(row).finally(() => {
        this.inflight.delete(row.id);
        this.kick();
      });
    }
  }

  private async attempt(row: { id: number; channelId: number; attempts: number; payload: string }): Promise<void> {
    const attempts = row.attempts + 1;
    let channel: Awaited<ReturnType<typeof channelById>>;
    try {
      channel = await channelById(row.channelId);
    } catch {
      await db.notification.update({ where: { id: row.id }, data: { status: "failed", attempts, lastError: UNREADABLE } });
      return;
    }
    if (!channel || !channel.enabled) {
      await db.notification.update({ where: { id: row.id }, data: { status: "failed", attempts, lastError: channel ? "channel disabled" : "channel deleted" } });
      return;
    }
    try {
      await deliver(channel, JSON.parse(row.payload) as Notice);
      await db.notification.update({ where: { id: row.id }, data: { status: "sent", attempts, sentAt: new Date(), lastError: "" } });
      this.sent++;
    } catch (e) {
      const error = (e instanceof Error ? e.message : String(e)).slice(0, 500);
      const last = attempts >= MAX_ATTEMPTS;
      await db.notification.update({
        where: { id: row.id },
        data: { status: last ? "failed" : "pending", attempts, lastError: error, nextAttemptAt: new Date(Date.now() + backoffMs(attempts)) },
      });
    }
  }
}

export const outbox = singleton("notificationOutbox", () => new Outbox());

/**
 * The "send test" button: one attempt now, recorded like any other notice; the answer says
 * whether it arrived and why not.
 */
export async function sendTest(channelId: number): Promise<{ ok: boolean; error: string }> {
  const channel = await channelById(channelId).catch(() => undefined);
  if (channel === undefined) return { ok: false, error: UNREADABLE };
  if (!channel) return { ok: false, error: "No such channel" };
  const base = { kind: "test" as const, rule: null, server: null, subject: "", detail: "", firedAt: null, recoveredAt: null };
  const notice: Notice = { ...base, text: "[Fleetdeck] Test notice: this channel works." };
  // Written first as "failed: interrupted", so a panel stopped mid-test leaves no pending row to resend.
  const row = await db.notification.create({ data: { channelId, kind: "test", status: "failed", lastError: "interrupted", payload: JSON.stringify(notice) } });
  try {
    await deliver(channel, notice);
    await db.notification.update({ where: { id: row.id }, data: { status: "sent", attempts: 1, sentAt: new Date() } });
    return { ok: true, error: "" };
  } catch (e) {
    const error = (e instanceof Error ? e.message : String(e)).slice(0, 500);
    // A test is not retried: the person pressing the button sees the reason at once.
    await db.notification.update({ where: { id: row.id }, data: { status: "failed", attempts: 1, lastError: error } });
    return { ok: false, error };
  }
}
