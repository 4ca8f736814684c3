/** What fired, when, on which machine, when it recovered, and what each attempt to send its notices did. */
import { z } from "zod";
import { db } from "../../db";
import type { Principal } from "../../auth/principal";
import { canList, isAdmin } from "../policy";
import { live } from "../live";
import { parseInput } from "../errors";

const emptyAsMissing = (v: unknown) => (v === "" || v === null ? undefined : v);

export const historyQuerySchema = z.object({
  before: z.preprocess(emptyAsMissing, z.coerce.number().int().positive().optional()),
  limit: z.preprocess(emptyAsMissing, z.coerce.number().int().min(1).max(200).default(50)),
  open: z.preprocess(emptyAsMissing, z.enum(["1", "0"]).optional()),
});

export interface AlertHistoryItem {
  id: number;
  ruleId: number;
  ruleName: string;
  ruleKind: string;
  serverId: number | null;
  serverName: string;
  subject: string;
  detail: string;
  firedAt: string;
  recoveredAt: string | null;
  notifications: NotificationView[];
}

/** One attempt to send a notice, as the API shows it. */
export interface AttemptView {
  at: string;
  result: string;
  error: string;
  httpStatus: number | null;
  durationMs: number;
}

export interface NotificationView {
  id: number;
  eventId: number | null;
  channelId: number;
  /** "" when the channel was deleted since. */
  channelName: string;
  kind: string;
  status: string;
  attempts: number;
  lastError: string;
  createdAt: string;
  sentAt: string | null;
  nextAttemptAt: string;
  /** Every attempt, oldest first. */
  attemptLog: AttemptView[];
}

type NotificationRow = Awaited<ReturnType<typeof db.notification.findMany>>[number];

/** Notices with their attempts and channel names. */
async function notificationViews(rows: NotificationRow[]): Promise<NotificationView[]> {
  if (!rows.length) return [];
  const [attempts, channels] = await Promise.all([
    db.notificationAttempt.findMany({ where: { notificationId: { in: rows.map((n) => n.id) } }, orderBy: { id: "asc" } }),
    db.alertChannel.findMany({ where: { id: { in: [...new Set(rows.map((n) => n.channelId))] } }, select: { id: true, name: true } }),
  ]);
  const names = new Map(channels.map((c) => [c.id, c.name]));
  const log = new Map<number, AttemptView[]>();
  for (const a of attempts) {
    const list = log.get(a.notificationId) ?? [];
    list.push({ at: a.at.toISOString(), result: a.result, error: a.error, httpStatus: a.httpStatus, durationMs: a.durationMs });
    log.set(a.notificationId, list);
  }
  return rows.map((n) => ({
    id: n.id, eventId: n.eventId, channelId: n.channelId, channelName: names.get(n.channelId) ?? "", kind: n.kind, status: n.status, attempts: n.attempts,
    lastError: n.lastError, createdAt: n.createdAt.toISOString(), sentAt: n.sentAt?.toISOString() ?? null, nextAttemptAt: n.nextAttemptAt.toISOString(),
    attemptLog: log.get(n.id) ?? [],
  }));
}

/**
 * Alert events newest first, a page at a time. Admins see all of them (with each notice's
 * attempts); other users see those of the machines they may list, without the notices.
 */
export async function alertHistory(p: Principal, query: Record<string, string>): Promise<{ items: AlertHistoryItem[]; nextBefore: number | null }> {
  const q = parseInput(historyQuerySchema, query);
  await live.ready();
  const admin = isAdmin(p);
  const items: AlertHistoryItem[] = [];
  let before = q.before;
  // Non-admins may skip rows they cannot see: read on until a page is full or rows run out.
  for (let round = 0; round < 20 && items.length < q.limit; round++) {
    const rows = await db.alertEvent.findMany({
      where: { ...(before ? { id: { lt: before } } : {}), ...(q.open === "1" ? { recoveredAt: null } : {}) },
      orderBy: { id: "desc" },
      take: q.limit * 2,
      include: { rule: { select: { name: true, kind: true } } },
    });
    if (!rows.length) break;
    for (const r of rows) {
      before = r.id;
      const entry = r.serverId !== null ? live.get(r.serverId) : undefined;
      if (!admin && (!entry || !canList(p, entry.meta))) continue;
      items.push({
        id: r.id, ruleId: r.ruleId, ruleName: r.rule.name, ruleKind: r.rule.kind, serverId: r.serverId, serverName: entry?.meta.name ?? "",
        subject: r.subject, detail: r.detail, firedAt: r.firedAt.toISOString(), recoveredAt: r.recoveredAt?.toISOString() ?? null, notifications: [],
      });
      if (items.length === q.limit) break;
    }
    if (rows.length < q.limit * 2) break;
  }
  if (admin && items.length) {
    const notes = await notificationViews(await db.notification.findMany({ where: { eventId: { in: items.map((i) => i.id) } }, orderBy: { id: "asc" } }));
    const byEvent = new Map(items.map((i) => [i.id, i]));
    for (const n of notes) byEvent.get(n.eventId!)?.notifications.push(n);
  }
  const last = items.at(-1);
  return { items, nextBefore: items.length === q.limit && last ? last.id : null };
}

/** The outbox as admins see it: the latest notices of every kind (tests included), newest first, each with its attempts. */
export async function recentNotifications(limit = 100): Promise<NotificationView[]> {
  return notificationViews(await db.notification.findMany({ orderBy: { id: "desc" }, take: Math.min(500, Math.max(1, limit)) }));
}
