/**
 * Clients and sites (Tactical RMM's grouping of machines): every machine belongs to exactly one
 * site, every site to one client, and a client always keeps at least one site. The Client and Site
 * rows are the truth; each Server also keeps its client and site names (so that lists and the
 * access policy need no join), and every change here keeps those names in step.
 *
 * Who may do what follows Tactical RMM: listing needs can_list_clients / can_list_sites, writes
 * need can_manage_clients / can_manage_sites, and a user limited to some clients or sites sees and
 * changes only those (limits are by name, like the machines' own limits in lib/fleet/policy.ts).
 */
import { z } from "zod";
import { audit } from "../audit";
import type { Principal } from "../auth/principal";
import { forgetAllUsers } from "../auth/principal";
import { db } from "../db";
import type { Actor } from "./actor";
import { forbidden, invalid, notFound } from "./errors";
import { live } from "./live";
import { can, isAdmin, requirePermission } from "./policy";
import { maintenance } from "./alerts/maintenance";

export const DEFAULT_NAME = "Default";

/** A client's or site's name: Tactical RMM refuses `|` (it separates client and site in its UI). */
export const groupName = (what: "Client" | "Site") =>
  z
    .string({ error: "This field is required." })
    .trim()
    .min(1, "This field may not be blank.")
    .max(100, "Ensure this field has no more than 100 characters.")
    .refine((s) => !s.includes("|"), `${what} name cannot contain the | character`);

// ---- visibility (the user's client/site limits) ---------------------------------------------------

function limits(p: Principal): { clients: string[]; sites: string[] } | null {
  if (isAdmin(p)) return null;
  const { clients, sites } = p.perms;
  return clients.length === 0 && sites.length === 0 ? null : { clients, sites };
}

/** Whether a site is within the principal's limits (its client is allowed, or the site itself). */
export function siteInScope(p: Principal, site: { name: string }, clientName: string): boolean {
  const l = limits(p);
  return !l || l.clients.includes(clientName) || l.sites.includes(site.name);
}

/** Whether a client is within the limits: allowed itself, or one of its sites is. */
export function clientInScope(p: Principal, client: { name: string; sites: { name: string }[] }): boolean {
  const l = limits(p);
  return !l || l.clients.includes(client.name) || client.sites.some((s) => l.sites.includes(s.name));
}

// ---- reads ----------------------------------------------------------------------------------------

export interface SiteView {
  id: number;
  name: string;
  clientId: number;
  clientName: string;
  agentCount: number;
  maintenanceMode: boolean;
}

export interface ClientView {
  id: number;
  name: string;
  agentCount: number;
  maintenanceMode: boolean;
  /** The sites the principal may see, by name. */
  sites: SiteView[];
}

async function loadClients() {
  await live.ready();
  const [clients, counts] = await Promise.all([
    db.client.findMany({ orderBy: { name: "asc" }, include: { sites: { orderBy: { name: "asc" } } } }),
    db.server.groupBy({ by: ["siteId"], _count: { _all: true } }),
  ]);
  const agents = new Map(counts.map((c) => [c.siteId, c._count._all]));
  // Tactical RMM: a site is in maintenance when any of its agents is (by its own switch, its
  // site's or client's, or a scheduled window: lib/fleet/alerts/maintenance.ts).
  const now = Date.now();
  const muted = new Set<string>();
  for (const e of live.all()) if (maintenance.inMaintenance(e.meta, now)) muted.add(`${e.meta.client}\0${e.meta.site}`);
  return clients.map((c) => {
    const sites = c.sites.map((s) => ({
      id: s.id, name: s.name, clientId: c.id, clientName: c.name,
      agentCount: agents.get(s.id) ?? 0,
      maintenanceMode: s.maintenanceMode || muted.has(`${c.name}\0${s.name}`) || maintenance.siteInMaintenance(c.name, s.name, now),
    }));
    return { id: c.id, name: c.name, sites, agentCount: sites.reduce((n, s) => n + s.agentCount, 0), maintenanceMode: c.maintenanceMode || maintenance.clientInMaintenance(c.name, now) || sites.some((s) => s.maintenanceMode) };
  });
}

/** The clients the principal may list, each with only the sites it may see. */
export async function listClients(p: Principal, permission: "canListClients" | "canListSites" = "canListClients"): Promise<ClientView[]> {
  requirePermission(p, permission);
  return (await loadClients())
    .filter((c) => clientInScope(p, c))
    .map((c) => ({ ...c, sites: c.sites.filter((s) => siteInScope(p, s, c.name)) }));
}

export async function getClient(p: Principal, id: number, permission: "canListClients" | "canManageClients" = "canListClients"): Promise<ClientView> {
  requirePermission(p, permission);
  const c = (await loadClients()).find((x) => x.id === id);
  if (!c) throw notFound("client", "No Client matches the given query.");
  if (!clientInScope(p, c)) throw forbidden();
  return { ...c, sites: c.sites.filter((s) => siteInScope(p, s, c.name)) };
}

/** Every site the principal may see, ordered by client then name. */
export async function listSites(p: Principal): Promise<SiteView[]> {
  return (await listClients(p, "canListSites")).flatMap((c) => c.sites);
}

export async function getSite(p: Principal, id: number, permission: "canListSites" | "canManageSites" = "canListSites"): Promise<SiteView> {
  requirePermission(p, permission);
  for (const c of await loadClients()) {
    const s = c.sites.find((x) => x.id === id);
    if (!s) continue;
    if (!siteInScope(p, s, c.name)) throw forbidden();
    return s;
  }
  throw notFound("site", "No Site matches the given query.");
}

// ---- keeping servers in step ----------------------------------------------------------------------

/**
 * The site row for a client/site name pair, made when missing (servers created through any door
 * name their client and site; the default is "Default"/"Default").
 */
export async function ensureSite(clientName: string, siteName: string): Promise<number> {
  const client = await db.client.upsert({ where: { name: clientName }, create: { name: clientName }, update: {} });
  const site = await db.site.upsert({ where: { clientId_name: { clientId: client.id, name: siteName } }, create: { clientId: client.id, name: siteName }, update: {} });
  return site.id;
}

/**
 * At start (idempotent): a Client and Site row for every client/site name pair servers carry, and
 * every server linked to its site. Databases made before clients and sites existed need this once;
 * afterwards it finds nothing to do.
 */
export async function backfillClientsAndSites(): Promise<number> {
  const pairs = await db.server.groupBy({ by: ["client", "site"], where: { siteId: null } });
  let linked = 0;
  for (const { client, site } of pairs) {
    const siteId = await ensureSite(client, site);
    linked += (await db.server.updateMany({ where: { client, site, siteId: null }, data: { siteId } })).count;
  }
  // Every client keeps at least one site; an empty database gets the default pair servers use.
  if ((await db.client.count()) === 0) await ensureSite(DEFAULT_NAME, DEFAULT_NAME);
  return linked;
}

/** Re-reads the given servers into live state after their client/site names changed. */
async function refreshServers(where: { siteId: number } | { siteId: { in: number[] } } | { id: { in: number[] } }): Promise<void> {
  for (const row of await db.server.findMany({ where })) live.upsertServer(row);
}

/** Moves every machine of the given sites to another site (names and siteId together). */
async function moveServers(fromSiteIds: number[], to: { id: number; name: string; clientName: string }): Promise<number[]> {
  const moved = await db.server.findMany({ where: { siteId: { in: fromSiteIds } }, select: { id: true } });
  await db.server.updateMany({ where: { siteId: { in: fromSiteIds } }, data: { siteId: to.id, client: to.clientName, site: to.name } });
  return moved.map((m) => m.id);
}

/** Renames a client or site inside users' comma-separated limits, so a rename keeps their scope. */
async function renameInLimits(field: "allowedClients" | "allowedSites", from: string, to: string): Promise<void> {
  const users = await db.user.findMany({ where: { [field]: { contains: from } }, select: { id: true, allowedClients: true, allowedSites: true } });
  for (const u of users) {
    const list = u[field].split(",").map((x) => x.trim());
    if (!list.includes(from)) continue;
    await db.user.update({ where: { id: u.id }, data: { [field]: list.map((x) => (x === from ? to : x)).join(",") } });
  }
  forgetAllUsers();
}

// ---- writes ---------------------------------------------------------------------------------------

const clientNameSchema = groupName("Client");
const siteNameSchema = groupName("Site");

/** A name, or Django REST framework's field errors (the `|` rule is an object-level error there). */
function parseName(schema: z.ZodType<string>, field: string, raw: unknown): string {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const messages = r.error.issues.map((i) => i.message);
  throw invalid(messages[0], messages[0].includes("|") ? { non_field_errors: messages } : { [field]: messages });
}

const auditGroup = (action: string, actor: Actor, target: string, detail = "") =>
  audit({ action, actorId: actor.id, actorName: actor.name, target, detail, ip: actor.ip });

/** A new client with its first site (Tactical RMM creates both at once). */
export async function createClient(p: Principal, actor: Actor, input: { name: unknown; siteName: unknown }) {
  requirePermission(p, "canManageClients");
  const name = parseName(clientNameSchema, "name", input.name);
  const siteName = parseName(siteNameSchema, "name", input.siteName);
  if (await db.client.findUnique({ where: { name } })) throw invalid("client with this name already exists.", { name: ["client with this name already exists."] });
  const client = await db.client.create({ data: { name, sites: { create: { name: siteName } } } });
  await auditGroup("client.create", actor, name, `#${client.id} site=${siteName}`);
  return client;
}

export async function updateClient(p: Principal, actor: Actor, id: number, patch: { name?: unknown }) {
  const current = await getClient(p, id, "canManageClients");
  if (patch.name === undefined) return current;
  const name = parseName(clientNameSchema, "name", patch.name);
  if (name === current.name) return current;
  if (await db.client.findUnique({ where: { name } })) throw invalid("client with this name already exists.", { name: ["client with this name already exists."] });
  const siteIds = (await db.site.findMany({ where: { clientId: id }, select: { id: true } })).map((s) => s.id);
  await db.client.update({ where: { id }, data: { name } });
  await db.server.updateMany({ where: { siteId: { in: siteIds } }, data: { client: name } });
  await refreshServers({ siteId: { in: siteIds } });
  await renameInLimits("allowedClients", current.name, name);
  await auditGroup("client.update", actor, name, `#${id} renamed from ${current.name}`);
  return { ...current, name };
}

/** The site a move names, if the principal may put machines there. */
async function moveTarget(p: Principal, moveToSite: number) {
  const to = await getSite(p, moveToSite, "canListSites").catch((e: unknown) => {
    throw e instanceof Error && (e as { kind?: string }).kind === "not_found" ? notFound("site", "No Site matches the given query.") : e;
  });
  return { id: to.id, name: to.name, clientName: to.clientName };
}

/**
 * Deletes a client and its sites. Machines under it must go somewhere: `moveToSite` names the
 * site (of another client) they move to; without it, a client with machines is refused.
 */
export async function deleteClient(p: Principal, actor: Actor, id: number, moveToSite: number | null) {
  const client = await getClient(p, id, "canManageClients");
  const all = await db.site.findMany({ where: { clientId: id }, select: { id: true } });
  const agents = await db.server.count({ where: { siteId: { in: all.map((s) => s.id) } } });
  let moved: number[] = [];
  if (agents > 0) {
    if (moveToSite === null) throw invalid("Agents exist under this client. There needs to be a site specified to move existing agents to");
    const to = await moveTarget(p, moveToSite);
    if (all.some((s) => s.id === to.id)) throw invalid("The agents cannot be moved to a site of the client being deleted");
    moved = await moveServers(all.map((s) => s.id), to);
  }
  await db.client.delete({ where: { id } });
  if (moved.length) await refreshServers({ id: { in: moved } });
  await auditGroup("client.delete", actor, client.name, `#${id}${moved.length ? ` moved ${moved.length} agent(s) to site #${moveToSite}` : ""}`);
  return client;
}

export async function createSite(p: Principal, actor: Actor, input: { clientId: unknown; name: unknown }) {
  requirePermission(p, "canManageSites");
  const clientId = typeof input.clientId === "number" ? input.clientId : typeof input.clientId === "string" && /^\d+$/.test(input.clientId) ? Number(input.clientId) : NaN;
  if (!Number.isSafeInteger(clientId)) throw invalid("client: A valid integer is required.", { client: ["A valid integer is required."] });
  const name = parseName(siteNameSchema, "name", input.name);
  const client = await db.client.findUnique({ where: { id: clientId }, include: { sites: { select: { name: true } } } });
  if (!client) throw invalid(`Invalid pk "${clientId}" - object does not exist.`, { client: [`Invalid pk "${clientId}" - object does not exist.`] });
  if (!clientInScope(p, client)) throw forbidden();
  if (client.sites.some((s) => s.name === name)) throw invalid("The fields client, name must make a unique set.", { non_field_errors: ["The fields client, name must make a unique set."] });
  const site = await db.site.create({ data: { clientId, name } });
  await auditGroup("site.create", actor, `${client.name}/${name}`, `#${site.id}`);
  return site;
}

/** Renames a site and/or moves it to another client (with its machines). */
export async function updateSite(p: Principal, actor: Actor, id: number, patch: { name?: unknown; clientId?: unknown }) {
  const current = await getSite(p, id, "canManageSites");
  const name = patch.name === undefined ? current.name : parseName(siteNameSchema, "name", patch.name);
  let clientId = current.clientId;
  let clientName = current.clientName;
  if (patch.clientId !== undefined && patch.clientId !== current.clientId) {
    const target = typeof patch.clientId === "number" ? await db.client.findUnique({ where: { id: patch.clientId }, include: { sites: { select: { name: true } } } }) : null;
    if (!target) throw invalid("client: Invalid pk - object does not exist.", { client: [`Invalid pk "${String(patch.clientId)}" - object does not exist.`] });
    if (!can(p, "canManageClients") && !clientInScope(p, target)) throw forbidden();
    if ((await db.site.count({ where: { clientId: current.clientId } })) === 1) throw invalid("A client must have at least one site");
    clientId = target.id;
    clientName = target.name;
  }
  if (name === current.name && clientId === current.clientId) return current;
  if (await db.site.findFirst({ where: { clientId, name, NOT: { id } } })) throw invalid("The fields client, name must make a unique set.", { non_field_errors: ["The fields client, name must make a unique set."] });
  await db.site.update({ where: { id }, data: { name, clientId } });
  await db.server.updateMany({ where: { siteId: id }, data: { site: name, client: clientName } });
  await refreshServers({ siteId: id });
  if (name !== current.name && !(await db.site.findFirst({ where: { name: current.name } }))) await renameInLimits("allowedSites", current.name, name);
  await auditGroup("site.update", actor, `${clientName}/${name}`, `#${id} was ${current.clientName}/${current.name}`);
  return { ...current, name, clientId, clientName };
}

export async function deleteSite(p: Principal, actor: Actor, id: number, moveToSite: number | null) {
  const site = await getSite(p, id, "canManageSites");
  if ((await db.site.count({ where: { clientId: site.clientId } })) <= 1) throw invalid("A client must have at least 1 site.");
  const agents = await db.server.count({ where: { siteId: id } });
  let moved: number[] = [];
  if (agents > 0) {
    if (moveToSite === null) throw invalid("There needs to be a site specified to move the agents to");
    if (moveToSite === id) throw invalid("The agents cannot be moved to the site being deleted");
    moved = await moveServers([id], await moveTarget(p, moveToSite));
  }
  await db.site.delete({ where: { id } });
  if (moved.length) await refreshServers({ id: { in: moved } });
  await auditGroup("site.delete", actor, `${site.clientName}/${site.name}`, `#${id}${moved.length ? ` moved ${moved.length} agent(s) to site #${moveToSite}` : ""}`);
  return site;
}

/** Moves one machine to an existing site (the UI's agent edit). */
export async function moveServerToSite(p: Principal, actor: Actor, serverId: number, siteId: number) {
  const to = await getSite(p, siteId, "canListSites");
  const before = await db.server.findUnique({ where: { id: serverId } });
  if (!before) throw notFound("server", "No such server");
  const row = await db.server.update({ where: { id: serverId }, data: { siteId: to.id, site: to.name, client: to.clientName } });
  live.upsertServer(row);
  await auditGroup("server.move", actor, row.name, `#${serverId} ${before.client}/${before.site} → ${to.clientName}/${to.name}`);
  return row;
}
