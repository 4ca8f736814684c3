/**
 * Notification channels: a webhook (generic JSON, or a Discord, Slack or Telegram-style body,
 * with custom headers) or e-mail over SMTP. Their settings make the panel send requests and mail
 * wherever they point, so only admins read or write them; credentials are sealed at rest
 * (lib/auth/sealed.ts: AES-256-GCM under a key kept outside the database) and never shown back
 * (a masked value in an edit keeps the stored one).
 */
import { z } from "zod";
import nodemailer from "nodemailer";
import { db } from "../../db";
import { audit } from "../../audit";
import type { Principal } from "../../auth/principal";
import type { Actor } from "../actor";
import { invalid, notFound, parseInput } from "../errors";
import { requireAdmin } from "../policy";
import { open, seal } from "../../auth/sealed";

export const MASK = "********";

const sealConfig = (config: unknown): string => seal(JSON.stringify(config));
const openConfig = (sealed: string): unknown => JSON.parse(open(sealed));
export const SEND_TIMEOUT_MS = 10_000;

const headerName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/, "is not a valid header name");
const RESERVED_HEADERS = new Set(["content-length", "host", "transfer-encoding", "connection"]);

export const webhookConfigSchema = z.object({
  url: z
    .string()
    .trim()
    .max(2048)
    .refine((u) => {
      try {
        const url = new URL(u);
        return (url.protocol === "http:" || url.protocol === "https:") && !!url.hostname;
      } catch {
        return false;
      }
    }, "must be an http:// or https:// URL"),
  /** The body's shape: our JSON notice, or a ready body for Discord, Slack or Telegram's bot API. */
  template: z.enum(["json", "discord", "slack", "telegram"]).default("json"),
  /** Telegram only: the chat the bot writes to. */
  chatId: z.string().trim().max(100).default(""),
  headers: z
    .record(headerName, z.string().max(4096).regex(/^[^\r\n]*$/, "must be one line"))
    .default({})
    .refine((h) => Object.keys(h).every((k) => !RESERVED_HEADERS.has(k.toLowerCase())), "may not set Content-Length, Host, Transfer-Encoding or Connection"),
});

export const emailConfigSchema = z.object({
  host: z.string().trim().min(1, "SMTP host is required").max(253),
  port: z.number().int().min(1).max(65535).default(587),
  /** "tls": TLS from the first byte (465); "starttls": upgrade required; "none": plain (a local relay). */
  security: z.enum(["tls", "starttls", "none"]).default("starttls"),
  username: z.string().max(320).default(""),
  password: z.string().max(1024).default(""),
  from: z.email("must be an e-mail address"),
  to: z.array(z.email("must be an e-mail address")).min(1, "Add at least one recipient").max(50),
});

export const channelInputSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("webhook"), name: z.string().trim().min(1, "Name is required").max(100), enabled: z.boolean().default(true), config: webhookConfigSchema }),
  z.object({ type: z.literal("email"), name: z.string().trim().min(1, "Name is required").max(100), enabled: z.boolean().default(true), config: emailConfigSchema }),
]);
export type ChannelInput = z.output<typeof channelInputSchema>;
export type WebhookConfig = z.output<typeof webhookConfigSchema>;
export type EmailConfig = z.output<typeof emailConfigSchema>;
export type ChannelDef = ChannelInput & { id: number };

type ChannelRow = Awaited<ReturnType<typeof db.alertChannel.findMany>>[number];

export function channelOf(row: ChannelRow): ChannelDef {
  return { id: row.id, name: row.name, type: row.type, enabled: row.enabled, config: openConfig(row.config) } as ChannelDef;
}

/** What admins see: header values and the SMTP password masked, the rest as stored. */
export function maskedChannel(c: ChannelDef) {
  if (c.type === "webhook") {
    return { ...c, config: { ...c.config, headers: Object.fromEntries(Object.keys(c.config.headers).map((k) => [k, MASK])) } };
  }
  return { ...c, config: { ...c.config, password: c.config.password ? MASK : "" } };
}

/** An edit's masked values mean "keep what is stored". */
function unmask(next: Record<string, unknown>, current: ChannelDef | null): Record<string, unknown> {
  if (!current || typeof next.config !== "object" || !next.config) return next;
  const cfg = { ...(next.config as Record<string, unknown>) };
  if (current.type === "webhook" && typeof cfg.headers === "object" && cfg.headers) {
    cfg.headers = Object.fromEntries(
      Object.entries(cfg.headers as Record<string, unknown>).map(([k, v]) => [k, v === MASK ? (current.config.headers[k] ?? "") : v]),
    );
  }
  if (current.type === "email" && cfg.password === MASK) cfg.password = current.config.password;
  return { ...next, config: cfg };
}

export const UNREADABLE = "cannot read this channel's settings: the panel's secret key (FLEETDECK_SECRET_KEY or DATA_DIR/secret-key) is not the one they were saved with; enter them again";

export async function listChannels(p: Principal) {
  requireAdmin(p);
  return (await db.alertChannel.findMany({ orderBy: { id: "asc" } })).map((r) => {
    try {
      return maskedChannel(channelOf(r));
    } catch {
      // Still listed (so it can be fixed or deleted), with why it cannot be used.
      return { id: r.id, name: r.name, type: r.type, enabled: r.enabled, config: {}, error: UNREADABLE };
    }
  });
}

/**
 * The channels a rule may name, as people who may write rules but not channels see them: id,
 * name, type and whether enabled, never where they point.
 */
export async function channelChoices(): Promise<{ id: number; name: string; type: string; enabled: boolean }[]> {
  return db.alertChannel.findMany({ orderBy: { id: "asc" }, select: { id: true, name: true, type: true, enabled: true } });
}

export async function channelById(id: number): Promise<ChannelDef | null> {
  const row = await db.alertChannel.findUnique({ where: { id } });
  return row ? channelOf(row) : null;
}

const target = (c: ChannelInput) => (c.type === "webhook" ? new URL(c.config.url).origin : `${c.config.host}:${c.config.port} → ${c.config.to.join(",")}`);

export async function createChannel(p: Principal, actor: Actor, input: unknown) {
  requireAdmin(p);
  const c = parseInput(channelInputSchema, input);
  const row = await db.alertChannel.create({ data: { name: c.name, type: c.type, enabled: c.enabled, config: sealConfig(c.config) } });
  await audit({ action: "alert.channel.create", actorId: actor.id, actorName: actor.name, target: c.name, detail: `#${row.id} ${c.type} ${target(c)}`, ip: actor.ip });
  return maskedChannel(channelOf(row));
}

export async function updateChannel(p: Principal, actor: Actor, id: number, patch: unknown) {
  requireAdmin(p);
  const row = await db.alertChannel.findUnique({ where: { id } });
  if (!row) throw notFound("channel", "No such channel");
  let current: ChannelDef | null = null;
  try {
    current = channelOf(row);
  } catch {
    // Unreadable settings: the edit must bring a complete new configuration.
  }
  if (!current) {
    const c = parseInput(channelInputSchema, patch);
    const saved = await db.alertChannel.update({ where: { id }, data: { name: c.name, type: c.type, enabled: c.enabled, config: sealConfig(c.config) } });
    await audit({ action: "alert.channel.update", actorId: actor.id, actorName: actor.name, target: c.name, detail: `#${id} ${c.type} ${target(c)} (settings re-entered)`, ip: actor.ip });
    return maskedChannel(channelOf(saved));
  }
  const merged = unmask({ ...current, ...(typeof patch === "object" && patch ? patch : {}) }, current);
  const c = parseInput(channelInputSchema, merged);
  if (c.type !== current.type) throw invalid("type: a channel's type cannot change", { type: ["cannot change"] });
  const saved = await db.alertChannel.update({ where: { id }, data: { name: c.name, enabled: c.enabled, config: sealConfig(c.config) } });
  await audit({ action: "alert.channel.update", actorId: actor.id, actorName: actor.name, target: c.name, detail: `#${id} ${c.type} ${target(c)}${c.enabled ? "" : " disabled"}`, ip: actor.ip });
  return maskedChannel(channelOf(saved));
}

export async function deleteChannel(p: Principal, actor: Actor, id: number): Promise<void> {
  requireAdmin(p);
  const row = await db.alertChannel.findUnique({ where: { id } });
  if (!row) throw notFound("channel", "No such channel");
  await db.alertChannel.delete({ where: { id } });
  await audit({ action: "alert.channel.delete", actorId: actor.id, actorName: actor.name, target: row.name, detail: `#${id}`, ip: actor.ip });
}

// ---- sending ---------------------------------------------------------------------------------------

/** What every channel is told: one notice, rendered to each channel's shape. */
export interface Notice {
  kind: "fire" | "recover" | "repeat" | "test";
  rule: { id: number; name: string; kind: string } | null;
  server: { id: number; name: string } | null;
  subject: string;
  detail: string;
  firedAt: string | null;
  recoveredAt: string | null;
  /** A one-line summary for chat and mail. */
  text: string;
}

const HEADLINE: Record<Notice["kind"], string> = { fire: "FIRING", recover: "RECOVERED", repeat: "STILL FIRING", test: "TEST" };

export function noticeText(n: Omit<Notice, "text">): string {
  if (n.kind === "test") return "[Fleetdeck] Test notice: this channel works.";
  const who = n.server ? ` on ${n.server.name}` : "";
  return `[Fleetdeck] ${HEADLINE[n.kind]}: ${n.rule?.name ?? "alert"}${who}${n.detail ? ` — ${n.detail}` : ""}`;
}

/** The webhook body for a template. */
export function webhookBody(cfg: WebhookConfig, n: Notice): unknown {
  switch (cfg.template) {
    case "discord":
      return { content: n.text.slice(0, 2000) };
    case "slack":
      return { text: n.text };
    case "telegram":
      return { chat_id: cfg.chatId, text: n.text, disable_web_page_preview: true };
    default:
      return n;
  }
}

/** Why an attempt failed: a short reason, the webhook's HTTP status when it answered, and whether it timed out. */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly httpStatus: number | null = null,
    readonly timedOut = false,
  ) {
    super(message);
  }
}

/**
 * One attempt to deliver a notice; resolves with the webhook's HTTP status (null for mail), throws
 * a DeliveryError with a short reason on failure.
 */
export async function deliver(c: ChannelDef, n: Notice): Promise<{ httpStatus: number | null }> {
  if (c.type === "webhook") {
    const res = await fetch(c.config.url, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": "Fleetdeck-Alerts", ...c.config.headers },
      body: JSON.stringify(webhookBody(c.config, n)),
      redirect: "manual",
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    }).catch((e: unknown) => {
      const err = e as { name?: string; cause?: { code?: string; message?: string }; message?: string };
      if (err.name === "TimeoutError" || err.name === "AbortError") throw new DeliveryError(`no answer within ${SEND_TIMEOUT_MS / 1000} s`, null, true);
      throw new DeliveryError(err.cause?.code ?? err.cause?.message ?? err.message ?? String(e));
    });
    // A body that never ends is cut off by the same deadline.
    await res.arrayBuffer().catch(() => undefined);
    if (res.status < 200 || res.status >= 300) throw new DeliveryError(`HTTP ${res.status}`, res.status);
    return { httpStatus: res.status };
  }
  const cfg = c.config;
  const transport = nodemailer.createTransport({
    host: cfg.host,
    port: cfg.port,
    secure: cfg.security === "tls",
    requireTLS: cfg.security === "starttls",
    ignoreTLS: cfg.security === "none",
    auth: cfg.username ? { user: cfg.username, pass: cfg.password } : undefined,
    connectionTimeout: SEND_TIMEOUT_MS,
    greetingTimeout: SEND_TIMEOUT_MS,
    socketTimeout: SEND_TIMEOUT_MS,
  });
  try {
    await transport.sendMail({ from: cfg.from, to: cfg.to, subject: n.text.slice(0, 200), text: `${n.text}\n\n${JSON.stringify(n, null, 2)}\n` });
  } catch (e) {
    const err = e as { code?: string; message?: string };
    throw new DeliveryError(err.message ?? String(e), null, err.code === "ETIMEDOUT");
  } finally {
    transport.close();
  }
  return { httpStatus: null };
}
