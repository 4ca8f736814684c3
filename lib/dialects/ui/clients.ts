/** The clients and sites page's API: Tactical RMM's grouping, managed from the panel. */
import type { ApiRequest } from "../../http/api";
import { z } from "zod";
import { createClient, createSite, deleteClient, deleteSite, listClients, updateClient, updateSite } from "../../fleet/clients";
import { notFound } from "../../fleet/errors";
import { rightsOf } from "../../fleet/policy";
import { bodyOf, idParam, uiOk, withUi } from "./envelope";

function pathId(req: ApiRequest, subject: "client" | "site"): number {
  const id = idParam(req.params.id);
  if (id === null) throw notFound(subject, subject === "client" ? "No such client" : "No such site");
  return id;
}

/** `?moveToSite=` (the site machines move to when theirs is deleted), or null. */
function moveToSite(req: ApiRequest): number | null {
  const raw = req.query.get("moveToSite");
  return raw ? idParam(raw) ?? -1 : null;
}

const clientBody = z.object({ name: z.unknown(), siteName: z.unknown().optional() });
const siteBody = z.object({ name: z.unknown().optional(), clientId: z.unknown().optional() });

/** Every client the caller may see with its sites, and what the caller may do with them. */
export const listClientsAndSites = withUi(async (_req, me) => uiOk({ rights: rightsOf(me), clients: await listClients(me) }), { permission: "canListClients" });

export const addClient = withUi(
  async (req, me, actor) => {
    const b = clientBody.parse(await bodyOf(req));
    const c = await createClient(me, actor, { name: b.name, siteName: b.siteName ?? "Default" });
    return uiOk({ id: c.id, name: c.name }, 201);
  },
  { permission: "canManageClients" },
);

export const editClient = withUi(
  async (req, me, actor) => {
    const c = await updateClient(me, actor, pathId(req, "client"), { name: clientBody.parse(await bodyOf(req)).name });
    return uiOk({ id: c.id, name: c.name });
  },
  { permission: "canManageClients" },
);

export const removeClient = withUi(
  async (req, me, actor) => {
    await deleteClient(me, actor, pathId(req, "client"), moveToSite(req));
    return uiOk({ ok: true });
  },
  { permission: "canManageClients" },
);

export const addSite = withUi(
  async (req, me, actor) => {
    const b = siteBody.parse(await bodyOf(req));
    const s = await createSite(me, actor, { clientId: b.clientId, name: b.name });
    return uiOk({ id: s.id, name: s.name, clientId: s.clientId }, 201);
  },
  { permission: "canManageSites" },
);

export const editSite = withUi(
  async (req, me, actor) => {
    const b = siteBody.parse(await bodyOf(req));
    const s = await updateSite(me, actor, pathId(req, "site"), { name: b.name, clientId: b.clientId });
    return uiOk({ id: s.id, name: s.name, clientId: s.clientId });
  },
  { permission: "canManageSites" },
);

export const removeSite = withUi(
  async (req, me, actor) => {
    await deleteSite(me, actor, pathId(req, "site"), moveToSite(req));
    return uiOk({ ok: true });
  },
  { permission: "canManageSites" },
);
