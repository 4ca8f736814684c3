/**
 * The notification outbox. A notice is a database row (Notification, "pending") written in the
 * same transaction as the alert event it announces, and sent from here afterwards: a panel that
 * dies between the two sends it after its restart. Each attempt is a NotificationAttempt row (when,
 * which channel, sent/failed/timeout, the error, the webhook's HTTP status), written with the
 * notice's summary (attempts, last error, when the next one is due) in one transaction; failures
 * are retried with exponential back-off and the notice is marked "failed" after the last attempt.
 * Sending runs beside ingest, never in its way: a webhook that hangs holds one of a few concurrent
 * slots for at most SEND_TIMEOUT_MS.
 */
import { db } from "../../db";
import { runsJobs } from "../cluster";
import { singleton } from "../../global";
import { channelById, deliver, DeliveryError, UNREADABLE, type ChannelDef, type Notice } from "./channels";

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
    const outcome = await attemptOnce(row.channelId, row.payload);
    const last = attempts >= MAX_ATTEMPTS || outcome.final;
    const data =
      outcome.result === "sent"
        ? { status: "sent", attempts, sentAt: outcome.at, lastError: "" }
        : { status: last ? "failed" : "pending", attempts, lastError: outcome.error, nextAttemptAt: new Date(Date.now() + backoffMs(attempts)) };
    await db.$transaction([
      db.notificationAttempt.create({ data: attemptRow(row.id, row.channelId, outcome) }),
      db.notification.update({ where: { id: row.id }, data }),
    ]);
    if (outcome.result === "sent") this.sent++;
  }
}

export interface AttemptOutcome {
  at: Date;
  result: "sent" | "failed" | "timeout";
  error: string;
  httpStatus: number | null;
  durationMs: number;
  /** Retrying cannot help (the channel is gone, disabled or unreadable). */
  final: boolean;
}

const attemptRow = (notificationId: number, channelId: number, o: AttemptOutcome) => ({
  notificationId, channelId, at: o.at, result: o.result, error: o.error, httpStatus: o.httpStatus, durationMs: o.durationMs,
});

/** One try of one notice through its channel, never throwing: what happened, to be recorded. */
async function attemptOnce(channelId: number, payload: string, known?: ChannelDef): Promise<AttemptOutcome> {
  const at = new Date();
  const failed = (error: string, final = false): AttemptOutcome => ({ at, result: "failed", error, httpStatus: null, durationMs: 0, final });
  let channel: ChannelDef | null | undefined = known;
  if (!channel) {
    try {
      channel = await channelById(channelId);
    } catch {
      return failed(UNREADABLE, true);
    }
  }
  if (!channel) return failed("channel deleted", true);
  if (!channel.enabled && !known) return failed("channel disabled", true);
  const t0 = performance.now();
  try {
    const { httpStatus } = await deliver(channel, JSON.parse(payload) as Notice);
    return { at, result: "sent", error: "", httpStatus, durationMs: Math.round(performance.now() - t0), final: false };
  } catch (e) {
    const d = e instanceof DeliveryError ? e : null;
    return {
      at, result: d?.timedOut ? "timeout" : "failed", error: (e instanceof Error ? e.message : String(e)).slice(0, 500),
      httpStatus: d?.httpStatus ?? null, durationMs: Math.round(performance.now() - t0), final: false,
    };
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
  const payload = JSON.stringify(notice);
  // Written first as "failed: interrupted", so a panel stopped mid-test leaves no pending row to resend.
  const row = await db.notification.create({ data: { channelId, kind: "test", status: "failed", lastError: "interrupted", payload } });
  // A disabled channel can still be tested (that is how one checks it before turning it on).
  const o = await attemptOnce(channelId, payload, channel);
  const ok = o.result === "sent";
  // A test is not retried: the person pressing the button sees the reason at once.
  await db.$transaction([
    db.notificationAttempt.create({ data: attemptRow(row.id, channelId, o) }),
    db.notification.update({ where: { id: row.id }, data: ok ? { status: "sent", attempts: 1, sentAt: o.at, lastError: "" } : { status: "failed", attempts: 1, lastError: o.error } }),
  ]);
  return { ok, error: o.error };
}
