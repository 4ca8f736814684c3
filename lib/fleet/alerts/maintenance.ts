/**
 * Maintenance mode, Tactical RMM's one concept: a machine in maintenance raises no alerts, and a
 * client or site in maintenance puts all of its machines there. Admins switch it; it is audited.
 */
import { z } from "zod";
import { db } from "../../db";
import { audit } from "../../audit";
import type { Principal } from "../../auth/principal";
import type { Actor } from "../actor";
import { notFound, parseInput } from "../errors";
import { requireAdmin } from "../policy";
import { alertEngine } from "./engine";

export const maintenanceInputSchema = z.object({
  target: z.enum(["server", "client", "site"]),
  id: z.number().int().positive(),
  enabled: z.boolean(),
});

export async function setMaintenance(p: Principal, actor: Actor, input: unknown): Promise<{ target: string; id: number; name: string; enabled: boolean }> {
  requireAdmin(p);
  const { target, id, enabled } = parseInput(maintenanceInputSchema, input);
  let name: string;
  if (target === "server") {
    const row = await db.server.update({ where: { id }, data: { maintenanceMode: enabled } }).catch(() => null);
    if (!row) throw notFound("server", "No such server");
    name = row.name;
  } else if (target === "client") {
    const row = await db.client.update({ where: { id }, data: { maintenanceMode: enabled } }).catch(() => null);
    if (!row) throw notFound("client", "No such client");
    name = row.name;
  } else {
    const row = await db.site.update({ where: { id }, data: { maintenanceMode: enabled }, include: { client: true } }).catch(() => null);
    if (!row) throw notFound("site", "No such site");
    name = `${row.client.name}/${row.name}`;
  }
  await alertEngine.reloadMaintenance();
  await audit({ action: `maintenance.${enabled ? "on" : "off"}`, actorId: actor.id, actorName: actor.name, target: name, detail: `${target} #${id}`, ip: actor.ip });
  return { target, id, name, enabled };
}

/** What is in maintenance now. */
export async function maintenanceState(p: Principal) {
  requireAdmin(p);
  const [servers, clients, sites] = await Promise.all([
    db.server.findMany({ select: { id: true, name: true, client: true, site: true, maintenanceMode: true }, orderBy: { id: "asc" } }),
    db.client.findMany({ select: { id: true, name: true, maintenanceMode: true }, orderBy: { name: "asc" } }),
    db.site.findMany({ select: { id: true, name: true, maintenanceMode: true, client: { select: { name: true } } }, orderBy: { name: "asc" } }),
  ]);
  return {
    servers,
    clients,
    sites: sites.map((s) => ({ id: s.id, name: s.name, client: s.client.name, maintenanceMode: s.maintenanceMode })),
  };
}
