import crypto from "node:crypto";
import { z } from "zod";
import type { InstanceDefinition, InstanceState } from "../../agent/protocol";
import { db } from "../db";
import { audit } from "../audit";
import { askAgent, isAgentConnected } from "./agents";
import { live } from "./live";
import { ServerError } from "./servers";
import type { Actor } from "../users";

export const instanceInputSchema = z.object({
  name: z.string().trim().min(1, "Name is required").max(100),
  startCommand: z.string().trim().min(1, "A start command is required").max(4000),
  cwd: z.string().max(1000).default(""),
  stopCommand: z.string().max(1000).default(""),
  autoRestart: z.boolean().default(false),
});
export type InstanceInput = z.input<typeof instanceInputSchema>;

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const r = schema.safeParse(input);
  if (!r.success) throw new ServerError(r.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; "));
  return r.data;
}

const definitionOf = (row: { uuid: string; name: string; startCommand: string; cwd: string; stopCommand: string; autoRestart: boolean }): InstanceDefinition => ({
  uuid: row.uuid, name: row.name, startCommand: row.startCommand, cwd: row.cwd, stopCommand: row.stopCommand, autoRestart: row.autoRestart,
});

/** Sends a server's instance definitions to its agent (on connect and after every change). */
export async function syncInstances(serverId: number): Promise<void> {
  if (!isAgentConnected(serverId)) return;
  const rows = await db.instance.findMany({ where: { serverId }, orderBy: { id: "asc" } });
  await askAgent(serverId, "instance.sync", { instances: rows.map(definitionOf) }, 10_000);
}

export async function createInstance(serverId: number, input: InstanceInput, actor: Actor) {
  const data = parse(instanceInputSchema, input);
  if (!live.get(serverId)) throw new ServerError("No such daemon", 404);
  const row = await db.instance.create({ data: { ...data, serverId, uuid: crypto.randomUUID().replace(/-/g, "") } });
  await audit({ action: "instance.create", actorId: actor.id, actorName: actor.name, target: row.name, detail: `daemon #${serverId}`, ip: actor.ip });
  await syncInstances(serverId).catch(() => undefined);
  return row;
}

export async function updateInstance(uuid: string, patch: unknown, actor: Actor) {
  const data = parse(instanceInputSchema.partial(), patch);
  const existing = await db.instance.findUnique({ where: { uuid } });
  if (!existing) throw new ServerError("No such instance", 404);
  const row = await db.instance.update({ where: { uuid }, data });
  await audit({ action: "instance.update", actorId: actor.id, actorName: actor.name, target: row.name, ip: actor.ip });
  await syncInstances(row.serverId).catch(() => undefined);
  return row;
}

export async function deleteInstance(uuid: string, actor: Actor) {
  const existing = await db.instance.findUnique({ where: { uuid } });
  if (!existing) throw new ServerError("No such instance", 404);
  await db.instance.delete({ where: { uuid } });
  await audit({ action: "instance.delete", actorId: actor.id, actorName: actor.name, target: existing.name, ip: actor.ip });
  await syncInstances(existing.serverId).catch(() => undefined);
}

export function instancesOf(serverId: number) {
  return db.instance.findMany({ where: { serverId }, orderBy: { id: "asc" } });
}

export function findInstance(uuid: string) {
  return db.instance.findUnique({ where: { uuid } });
}

/** An instance's live state as its agent last reported it ("stopped" when unknown). */
export function instanceState(serverId: number, uuid: string): InstanceState {
  return live.get(serverId)?.instances.find((i) => i.uuid === uuid) ?? { uuid, status: "stopped", pid: null, exitCode: null, startedAt: null };
}

export type InstanceAction = "start" | "stop" | "restart" | "kill";

export async function controlInstance(uuid: string, action: InstanceAction, timeoutMs = 20_000) {
  const row = await findInstance(uuid);
  if (!row) throw new ServerError("No such instance", 404);
  return { row, state: await askAgent(row.serverId, `instance.${action}`, { uuid }, timeoutMs) };
}
