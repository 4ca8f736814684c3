/**
 * Tactical RMM's clients and sites (`/clients/`, `/clients/sites/`): its serializers' field names
 * and order, its string answers ("<name> was added") and its quirks. The rules (permissions,
 * client/site limits, at least one site per client, moving machines) are lib/fleet/clients.ts.
 */
import { z } from "zod";
import type { ApiRequest, ApiResult } from "../../http/api";
import type { RouteDef } from "../../http/router";
import type { Principal } from "../../auth/principal";
import type { Actor } from "../../fleet/actor";
import { asDomainError } from "../../fleet/errors";
import {
  createClient,
  createSite,
  deleteClient,
  deleteSite,
  getClient,
  getSite,
  listClients,
  listSites,
  updateClient,
  updateSite,
  type ClientView,
  type SiteView,
} from "../../fleet/clients";
import { TRMM_MESSAGES, withTrmm } from "./envelope";
import type { Permission } from "../../fleet/policy";

// ---- shapes ---------------------------------------------------------------------------------------

const EMPTY_NOTE = "Fleetdeck has no policies, alert templates or custom fields: always Tactical RMM's empty value";
const failingChecks = z.object({ error: z.boolean(), warning: z.boolean() }).describe("Always {error: false, warning: false}: Fleetdeck has no checks");
const policyRef = z.number().int().nullable().describe(`${EMPTY_NOTE} (null)`);

/** Tactical RMM's SiteSerializer; `agent_count` and `maintenance_mode` only where it annotates them. */
export const trmmSite = z.object({
  id: z.number().int(),
  name: z.string(),
  server_policy: policyRef,
  workstation_policy: policyRef,
  alert_template: policyRef,
  client_name: z.string(),
  client: z.number().int().describe("The client's id"),
  custom_fields: z.array(z.unknown()).describe(`${EMPTY_NOTE} ([])`),
  agent_count: z.number().int().optional().describe("Machines in the site (in client lists only, as in Tactical RMM)"),
  block_policy_inheritance: z.boolean().describe(`${EMPTY_NOTE} (false)`),
  maintenance_mode: z.boolean().optional().describe("True when any machine of the site is in maintenance mode (in client lists only)"),
  failing_checks: failingChecks,
});

/** Tactical RMM's ClientSerializer. */
export const trmmClient = z.object({
  id: z.number().int(),
  name: z.string(),
  server_policy: policyRef,
  workstation_policy: policyRef,
  alert_template: policyRef,
  block_policy_inheritance: z.boolean().describe(`${EMPTY_NOTE} (false)`),
  sites: z.array(trmmSite).describe("The sites the caller may see, by name"),
  custom_fields: z.array(z.unknown()).describe(`${EMPTY_NOTE} ([])`),
  agent_count: z.number().int().optional().describe("Machines in the client's sites (in GET /clients/ only, as in Tactical RMM)"),
  maintenance_mode: z.boolean().optional().describe("True when any machine of the client is in maintenance mode (in GET /clients/ only)"),
  failing_checks: failingChecks,
});

const NO_CHECKS = () => ({ error: false, warning: false });

/** A site in Tactical RMM's field order; `counted` adds the annotated fields where it has them. */
function siteOf(s: SiteView, counted: boolean): z.infer<typeof trmmSite> {
  return {
    id: s.id,
    name: s.name,
    server_policy: null,
    workstation_policy: null,
    alert_template: null,
    client_name: s.clientName,
    client: s.clientId,
    custom_fields: [],
    ...(counted ? { agent_count: s.agentCount } : {}),
    block_policy_inheritance: false,
    ...(counted ? { maintenance_mode: s.maintenanceMode } : {}),
    failing_checks: NO_CHECKS(),
  };
}

function clientOf(c: ClientView, counted: boolean): z.infer<typeof trmmClient> {
  return {
    id: c.id,
    name: c.name,
    server_policy: null,
    workstation_policy: null,
    alert_template: null,
    block_policy_inheritance: false,
    sites: c.sites.map((s) => siteOf(s, true)),
    custom_fields: [],
    ...(counted ? { agent_count: c.agentCount, maintenance_mode: c.maintenanceMode } : {}),
    failing_checks: NO_CHECKS(),
  };
}

// ---- bodies ---------------------------------------------------------------------------------------

const nameObject = z.object({ name: z.unknown().describe("The name (no `|`)") }).passthrough();
export const clientCreateBody = z.object({
  client: nameObject.describe("{name}"),
  site: nameObject.describe("{name}: the client's first site"),
  custom_fields: z.array(z.unknown()).optional().describe("Accepted and ignored: Fleetdeck has no custom fields"),
});
export const clientUpdateBody = z.object({ client: nameObject.partial().describe("{name}"), custom_fields: z.array(z.unknown()).optional().describe("Accepted and ignored") });
export const siteCreateBody = z.object({
  site: z.object({ client: z.unknown().describe("The client's id"), name: z.unknown() }).passthrough(),
  custom_fields: z.array(z.unknown()).optional().describe("Accepted and ignored"),
});
export const siteUpdateBody = z.object({
  site: z.object({ name: z.unknown().optional(), client: z.unknown().optional().describe("Another client's id: moves the site (and its machines)") }).passthrough(),
  custom_fields: z.array(z.unknown()).optional().describe("Accepted and ignored"),
});
const moveQuery = z.object({ move_to_site: z.string().max(20).optional().describe("The site the machines move to; required when there are machines") });

const REQUIRED = "This field is required.";

/** A JSON object body with Django REST framework's errors for what is not one. */
async function objectBody(req: ApiRequest, key: string): Promise<Record<string, unknown>> {
  const raw = await req.json();
  if (raw === undefined || raw === null) throw fields({ [key]: [REQUIRED] });
  if (typeof raw !== "object" || Array.isArray(raw)) throw fields({ non_field_errors: ["Invalid data. Expected a dictionary, but got list."] });
  const body = raw as Record<string, unknown>;
  const inner = body[key];
  if (inner === undefined) throw fields({ [key]: [REQUIRED] });
  if (typeof inner !== "object" || inner === null || Array.isArray(inner)) throw fields({ [key]: ["Invalid data. Expected a dictionary."] });
  return body;
}

class FieldErrors extends Error {
  constructor(readonly errors: Record<string, string[]>) {
    super("invalid");
  }
}
const fields = (errors: Record<string, string[]>) => new FieldErrors(errors);

function idOf(raw: string | undefined): number | null {
  return raw && /^\d{1,15}$/.test(raw) ? Number(raw) : null;
}

function moveToSiteOf(req: ApiRequest): number | null {
  const raw = moveQuery.parse({ move_to_site: req.query.get("move_to_site") ?? undefined }).move_to_site;
  if (raw === undefined || raw === "") return null;
  const id = idOf(raw);
  if (id === null) throw fields({ move_to_site: ["A valid integer is required."] });
  return id;
}

/**
 * Tactical RMM answers its own refusals ("A client must have at least 1 site.") as a bare JSON
 * string with 400 (its notify_error), and serializer errors as field lists.
 */
function clientsRoute(fn: (req: ApiRequest, me: Principal, actor: Actor) => Promise<ApiResult>, permission: Permission) {
  return withTrmm(async (req, me, actor) => {
    try {
      return await fn(req, me, actor);
    } catch (e) {
      if (e instanceof FieldErrors) return { status: 400, body: e.errors };
      const d = asDomainError(e);
      if (d?.kind === "invalid") return { status: 400, body: d.fields ?? d.message };
      throw e;
    }
  }, { permission });
}

const notFoundId = (what: "Client" | "Site") => ({ status: 404, body: { detail: `No ${what} matches the given query.` } });

// ---- handlers -------------------------------------------------------------------------------------

export const clientsList = clientsRoute(async (_req, me) => ({ status: 200, body: (await listClients(me)).map((c) => clientOf(c, true)) }), "canListClients");

export const clientsCreate = clientsRoute(async (req, me, actor) => {
  const body = await objectBody(req, "client");
  const site = body.site;
  if (site === undefined || typeof site !== "object" || site === null || Array.isArray(site)) throw fields({ site: [REQUIRED] });
  const client = await createClient(me, actor, { name: (body.client as Record<string, unknown>).name, siteName: (site as Record<string, unknown>).name });
  return { status: 200, body: `${client.name} was added` };
}, "canManageClients");

export const clientGet = clientsRoute(async (req, me) => {
  const id = idOf(req.params.id);
  if (id === null) return notFoundId("Client");
  return { status: 200, body: clientOf(await getClient(me, id), false) };
}, "canListClients");

export const clientUpdate = clientsRoute(async (req, me, actor) => {
  const id = idOf(req.params.id);
  if (id === null) return notFoundId("Client");
  const body = await objectBody(req, "client");
  await updateClient(me, actor, id, { name: (body.client as Record<string, unknown>).name });
  // Tactical RMM answers this literally, braces and all.
  return { status: 200, body: "{client} was updated" };
}, "canManageClients");

export const clientDelete = clientsRoute(async (req, me, actor) => {
  const id = idOf(req.params.id);
  if (id === null) return notFoundId("Client");
  const client = await deleteClient(me, actor, id, moveToSiteOf(req));
  return { status: 200, body: `${client.name} was deleted` };
}, "canManageClients");

export const sitesList = clientsRoute(async (_req, me) => ({ status: 200, body: (await listSites(me)).map((s) => siteOf(s, false)) }), "canListSites");

export const sitesCreate = clientsRoute(async (req, me, actor) => {
  const body = await objectBody(req, "site");
  const site = body.site as Record<string, unknown>;
  const missing: Record<string, string[]> = {};
  if (site.client === undefined) missing.client = [REQUIRED];
  if (site.name === undefined) missing.name = [REQUIRED];
  if (Object.keys(missing).length) throw fields(missing);
  const created = await createSite(me, actor, { clientId: site.client, name: site.name });
  return { status: 200, body: `Site ${created.name} was added!` };
}, "canManageSites");

export const siteGet = clientsRoute(async (req, me) => {
  const id = idOf(req.params.id);
  if (id === null) return notFoundId("Site");
  return { status: 200, body: siteOf(await getSite(me, id), false) };
}, "canListSites");

export const siteUpdate = clientsRoute(async (req, me, actor) => {
  const id = idOf(req.params.id);
  if (id === null) return notFoundId("Site");
  const site = (await objectBody(req, "site")).site as Record<string, unknown>;
  await updateSite(me, actor, id, { name: site.name, clientId: site.client });
  return { status: 200, body: "Site was edited" };
}, "canManageSites");

export const siteDelete = clientsRoute(async (req, me, actor) => {
  const id = idOf(req.params.id);
  if (id === null) return notFoundId("Site");
  const site = await deleteSite(me, actor, id, moveToSiteOf(req));
  return { status: 200, body: `${site.name} was deleted` };
}, "canManageSites");

// ---- the routes -----------------------------------------------------------------------------------

const clientErrors = { 400: "Field errors, or a refusal as a JSON string", 403: TRMM_MESSAGES.forbidden, 404: '{"detail":"No Client matches the given query."}' };
const siteErrors = { ...clientErrors, 404: '{"detail":"No Site matches the given query."}' };
const limits = "A user limited to some clients or sites sees and changes only those (a client through any of its sites).";

export const trmmClientRoutes: RouteDef[] = [
  {
    pattern: "/clients",
    methods: { GET: clientsList, POST: clientsCreate },
    docs: {
      GET: { summary: "List clients with their sites (Tactical RMM)", description: `Needs can_list_clients. Ordered by name. ${limits}`, response: z.array(trmmClient), errors: { 403: TRMM_MESSAGES.forbidden } },
      POST: { acts: true,
        summary: "Add a client and its first site (Tactical RMM)",
        description: 'Needs can_manage_clients. Answers "<name> was added". Names are unique and may not contain `|`.',
        body: clientCreateBody,
        response: z.string(),
        errors: clientErrors,
      },
    },
  },
  {
    pattern: "/clients/sites",
    methods: { GET: sitesList, POST: sitesCreate },
    docs: {
      GET: { summary: "List sites (Tactical RMM)", description: `Needs can_list_sites. ${limits}`, response: z.array(trmmSite), errors: { 403: TRMM_MESSAGES.forbidden } },
      POST: { acts: true,
        summary: "Add a site to a client (Tactical RMM)",
        description: 'Needs can_manage_sites and the client within the caller\'s limits. Answers "Site <name> was added!".',
        body: siteCreateBody,
        response: z.string(),
        errors: siteErrors,
      },
    },
  },
  {
    pattern: "/clients/sites/:id",
    methods: { GET: siteGet, PUT: siteUpdate, DELETE: siteDelete },
    docs: {
      GET: { summary: "One site (Tactical RMM)", description: "Needs can_list_sites.", response: trmmSite, errors: siteErrors },
      PUT: { acts: true,
        summary: "Rename a site or move it to another client (Tactical RMM)",
        description: 'Needs can_manage_sites. Answers "Site was edited"; moving a client\'s only site answers 400 "A client must have at least one site".',
        body: siteUpdateBody,
        response: z.string(),
        errors: siteErrors,
      },
      DELETE: { acts: true,
        summary: "Delete a site (Tactical RMM)",
        description:
          'Needs can_manage_sites. Its machines move to `move_to_site` (required when it has machines). Answers "<name> was deleted"; ' +
          'a client\'s last site answers 400 "A client must have at least 1 site.".',
        query: moveQuery,
        response: z.string(),
        errors: siteErrors,
      },
    },
  },
  {
    pattern: "/clients/:id",
    methods: { GET: clientGet, PUT: clientUpdate, DELETE: clientDelete },
    docs: {
      GET: { summary: "One client with its sites (Tactical RMM)", description: "Needs can_list_clients. Without the client's own counts, as in Tactical RMM.", response: trmmClient, errors: clientErrors },
      PUT: { acts: true,
        summary: "Rename a client (Tactical RMM)",
        description: 'Needs can_manage_clients. Answers "{client} was updated" — literally, as Tactical RMM does. Machines and user limits follow the new name.',
        body: clientUpdateBody,
        response: z.string(),
        errors: clientErrors,
      },
      DELETE: { acts: true,
        summary: "Delete a client and its sites (Tactical RMM)",
        description:
          'Needs can_manage_clients. Its machines move to `move_to_site` (a site of another client; required when it has machines). Answers "<name> was deleted".',
        query: moveQuery,
        response: z.string(),
        errors: clientErrors,
      },
    },
  },
];
