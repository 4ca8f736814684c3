import crypto from "node:crypto";
import { z } from "zod";
import { db } from "../db";
import { audit } from "../audit";
import { AGENT_SECRET_PREFIX, newSecret, sha256 } from "../auth/secrets";
import { live } from "./live";
import type { Actor } from "./actor";
import { notFound, parseInput } from "./errors";
import { ensureSite } from "./clients";

export const serverInputSchema = z.object({
  name: z.string().trim().min(1, "Name is required").max(100),
  tag: z.string().trim().max(100).default(""),
  note: z.string().max(2000).default(""),
  hideForGuest: z.boolean().default(false),
  displayIndex: z.number().int().min(-1_000_000).max(1_000_000).default(0),
  client: z.string().trim().min(1).max(100).default("Default"),
  site: z.string().trim().min(1).max(100).default("Default"),
  monitoringType: z.enum(["server", "workstation"]).default("server"),
  description: z.string().max(2000).default(""),
  remarks: z.string().max(2000).default(""),
});
export type ServerInput = z.input<typeof serverInputSchema>;
/**
 * A patch changes only the fields it names: the input schema's defaults must not apply (zod's
 * `.partial()` keeps them, which reset every unnamed field to its default).
 */
export const serverPatchSchema = z.object(
  Object.fromEntries(
    Object.entries(serverInputSchema.shape).map(([k, v]) => [k, (v instanceof z.ZodDefault ? (v.unwrap() as z.ZodType) : v).optional()]),
  ) as { [K in keyof typeof serverInputSchema.shape]: z.ZodOptional<z.ZodType<z.output<(typeof serverInputSchema.shape)[K]>, z.input<(typeof serverInputSchema.shape)[K]>>> },
);

/** TRMM agent ids look like this: 40 random letters. MCSManager's daemon uuid is the same value. */
function newAgentId(): string {
  const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  return Array.from(crypto.randomBytes(40), (b) => letters[b % letters.length]).join("");
}

/** Adds a server; its agent secret is returned once (only its hash is kept). */
export async function createServer(input: ServerInput, actor: Actor, opts: { isLocal?: boolean } = {}) {
  const data = parseInput(serverInputSchema, input);
  const secret = newSecret(AGENT_SECRET_PREFIX);
  // The client/site names are kept beside the site row they name (made when new).
  const siteId = await ensureSite(data.client, data.site);
  const server = await db.server.create({
    data: { ...data, siteId, secretHash: sha256(secret), agentId: newAgentId(), isLocal: opts.isLocal ?? false },
  });
  live.upsertServer(server);
  await audit({ action: "server.create", actorId: actor.id, actorName: actor.name, target: server.name, detail: `#${server.id}`, ip: actor.ip });
  return { server, secret };
}

export async function updateServer(id: number, patch: unknown, actor: Actor) {
  const data = parseInput(serverPatchSchema, patch);
  const before = await db.server.findUnique({ where: { id } });
  if (!before) throw notFound("server", "No such server");
  const moved = data.client !== undefined || data.site !== undefined;
  const siteId = moved ? await ensureSite(data.client ?? before.client, data.site ?? before.site) : undefined;
  const server = await db.server.update({ where: { id }, data: { ...data, ...(siteId !== undefined ? { siteId } : {}) } });
  live.upsertServer(server);
  await audit({ action: "server.update", actorId: actor.id, actorName: actor.name, target: server.name, detail: Object.keys(data).join(","), ip: actor.ip });
  return server;
}

/** A new secret for a server: the old one is refused from now on (and its agent disconnected). */
export async function rotateSecret(id: number, actor: Actor) {
  const secret = newSecret(AGENT_SECRET_PREFIX);
  const server = await db.server.update({ where: { id }, data: { secretHash: sha256(secret) } }).catch(() => null);
  if (!server) throw notFound("server", "No such server");
  live.secretChanged(id);
  await audit({ action: "server.secret", actorId: actor.id, actorName: actor.name, target: server.name, detail: `#${id}`, ip: actor.ip });
  return { server, secret };
}

export async function deleteServer(id: number, actor: Actor) {
  const server = await db.server.findUnique({ where: { id } });
  if (!server) throw notFound("server", "No such server");
  await db.server.delete({ where: { id } });
  live.removeServer(id);
  await audit({ action: "server.delete", actorId: actor.id, actorName: actor.name, target: server.name, detail: `#${id}`, ip: actor.ip });
}

/** The server an agent secret belongs to, or null. */
export async function serverIdForSecret(secret: string): Promise<number | null> {
  if (!secret.startsWith(AGENT_SECRET_PREFIX) || secret.length > 200) return null;
  const row = await db.server.findUnique({ where: { secretHash: sha256(secret) }, select: { id: true } });
  return row?.id ?? null;
}
