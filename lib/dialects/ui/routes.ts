/**
 * The panel UI's own JSON API (/api/ui/*) as a route table, like the three dialects': server.ts
 * answers these before Next's router, each is also an app/api/ui/<path>/route.ts, and the
 * credential matrix reads its routes from here. `admin: true` in a route's docs says what its
 * wrapper enforces; the matrix checks it against its own hand-written list of who may do what.
 */
import type { Dialect, OperationDoc, RouteDef } from "../../http/router";
import { registerDialect } from "../../http/route-registry";
import * as accounts from "./accounts";
import * as agents from "./agents";
import * as alerts from "./alerts";
import * as daemons from "./daemons";
import * as servers from "./servers";
import * as clients from "./clients";
import * as queue from "./queue";
import { setStreamView } from "./stream";
import { uiMethodNotAllowed, uiNotFound } from "./envelope";

const doc = (summary: string, admin = false): OperationDoc => ({ summary, ...(admin ? { admin } : {}) });
/** A route that changes or runs something (a read-only token is refused): here, every non-GET. */
const act = (summary: string, admin = false): OperationDoc => ({ ...doc(summary, admin), acts: true });

const routes: RouteDef[] = [
  { pattern: "/api/ui/setup", methods: { POST: accounts.setup }, docs: { POST: act("Create the first administrator (anonymous, once)") } },

  { pattern: "/api/ui/servers", methods: { GET: servers.listServers, POST: servers.addServer }, docs: { GET: doc("Servers the caller may list"), POST: act("Add a server", true) } },
  {
    pattern: "/api/ui/servers/:id",
    methods: { GET: servers.getServer, PATCH: servers.editServer, DELETE: servers.removeServer },
    docs: { GET: doc("One server"), PATCH: act("Edit a server", true), DELETE: act("Delete a server", true) },
  },
  { pattern: "/api/ui/servers/:id/history", methods: { GET: servers.getHistory }, docs: { GET: doc("A server's metric history") } },
  { pattern: "/api/ui/servers/:id/secret", methods: { POST: servers.newSecret }, docs: { POST: act("Rotate a server's agent secret", true) } },
  { pattern: "/api/ui/servers/:id/enrollment", methods: { POST: servers.enrollServer }, docs: { POST: act("A one-time enrollment code and install line", true) } },

  { pattern: "/api/ui/agents", methods: { GET: agents.listAgents }, docs: { GET: doc("Agents the caller may list (can_list_agents)") } },
  { pattern: "/api/ui/agents/:agentId", methods: { GET: agents.getAgent, PATCH: agents.editAgent }, docs: { GET: doc("One agent"), PATCH: act("Move an agent to a client/site", true) } },
  { pattern: "/api/ui/agents/:agentId/cmd", methods: { POST: agents.sendCommand }, docs: { POST: act("Run a command (can_send_cmd)") } },
  { pattern: "/api/ui/agents/:agentId/history", methods: { GET: agents.getCommandHistory }, docs: { GET: doc("Command history (can_send_cmd)") } },
  {
    pattern: "/api/ui/agents/:agentId/updates",
    methods: { GET: agents.getUpdates, POST: agents.scanUpdates },
    docs: { GET: doc("Pending updates (can_manage_winupdates)"), POST: act("Scan for updates (can_manage_winupdates)") },
  },

  { pattern: "/api/ui/agents/:agentId/queue", methods: { GET: queue.agentQueue }, docs: { GET: doc("Work queued for an agent (can_list_agents; commands shown with can_send_cmd)") } },
  { pattern: "/api/ui/queue", methods: { GET: queue.listQueue }, docs: { GET: doc("Queued work of the machines the caller may list") } },
  {
    pattern: "/api/ui/queue/:id",
    methods: { GET: queue.getQueuedJob, DELETE: queue.cancelQueuedJob },
    docs: { GET: doc("One queued job"), DELETE: act("Cancel a queued job (can_send_cmd for commands, can_manage_winupdates for scans)") },
  },

  { pattern: "/api/ui/clients", methods: { GET: clients.listClientsAndSites, POST: clients.addClient }, docs: { GET: doc("Clients and their sites (can_list_clients)"), POST: act("Add a client and its first site (can_manage_clients)") } },
  { pattern: "/api/ui/clients/:id", methods: { PATCH: clients.editClient, DELETE: clients.removeClient }, docs: { PATCH: act("Rename a client (can_manage_clients)"), DELETE: act("Delete a client, moving its machines (can_manage_clients)") } },
  { pattern: "/api/ui/sites", methods: { POST: clients.addSite }, docs: { POST: act("Add a site (can_manage_sites)") } },
  { pattern: "/api/ui/sites/:id", methods: { PATCH: clients.editSite, DELETE: clients.removeSite }, docs: { PATCH: act("Rename or move a site (can_manage_sites)"), DELETE: act("Delete a site, moving its machines (can_manage_sites)") } },

  { pattern: "/api/ui/daemons", methods: { GET: daemons.listDaemons }, docs: { GET: doc("Every daemon", true) } },
  { pattern: "/api/ui/daemons/:id", methods: { GET: daemons.getDaemon, PATCH: daemons.editDaemon }, docs: { GET: doc("One daemon with its instances", true), PATCH: act("Edit a daemon's remarks", true) } },
  { pattern: "/api/ui/daemons/:id/instances", methods: { POST: daemons.addInstance }, docs: { POST: act("Define an instance", true) } },
  {
    pattern: "/api/ui/daemons/:id/instances/:uuid",
    methods: { PATCH: daemons.editInstance, DELETE: daemons.removeInstance },
    docs: { PATCH: act("Change an instance", true), DELETE: act("Delete an instance", true) },
  },
  { pattern: "/api/ui/daemons/:id/instances/:uuid/action", methods: { POST: daemons.instanceAction }, docs: { POST: act("Start/stop/restart/kill (admins and assigned users)") } },
  { pattern: "/api/ui/daemons/:id/instances/:uuid/command", methods: { POST: daemons.instanceInput }, docs: { POST: act("A line to the instance's stdin (admins and assigned users)") } },
  { pattern: "/api/ui/daemons/:id/instances/:uuid/output", methods: { GET: daemons.instanceOutput }, docs: { GET: doc("Recent console output (admins and assigned users)") } },
  { pattern: "/api/ui/instances", methods: { GET: daemons.myInstances }, docs: { GET: doc("The instances the caller may use") } },

  // Changes nothing but which rows the caller's own push stream carries: a read.
  { pattern: "/api/ui/stream/view", methods: { POST: setStreamView }, docs: { POST: doc("Name the servers the page shows (rows its push stream carries)") } },

  { pattern: "/api/ui/users", methods: { GET: accounts.usersList, POST: accounts.userCreate }, docs: { GET: doc("Users", true), POST: act("Add a user", true) } },
  { pattern: "/api/ui/users/:id", methods: { PATCH: accounts.userEdit, DELETE: accounts.userDelete }, docs: { PATCH: act("Edit a user's role, grants, limits and instances", true), DELETE: act("Delete a user", true) } },
  { pattern: "/api/ui/tokens", methods: { GET: accounts.tokensList, POST: accounts.tokenCreate }, docs: { GET: doc("The caller's tokens"), POST: act("Add a token") } },
  { pattern: "/api/ui/tokens/:id", methods: { DELETE: accounts.tokenDelete }, docs: { DELETE: act("Delete a token") } },
  { pattern: "/api/ui/keys", methods: { GET: accounts.keysList, POST: accounts.keyCreate }, docs: { GET: doc("Admin-issued keys", true), POST: act("Issue a key", true) } },
  { pattern: "/api/ui/keys/:id", methods: { PATCH: accounts.keyEdit, DELETE: accounts.keyDelete }, docs: { PATCH: act("Edit a key", true), DELETE: act("Revoke a key", true) } },
  { pattern: "/api/ui/profile/password", methods: { POST: accounts.passwordChange }, docs: { POST: act("Change one's own password") } },
  {
    pattern: "/api/ui/profile/totp",
    methods: { GET: accounts.totpState, POST: accounts.totpEnable, DELETE: accounts.totpDisable },
    docs: { GET: doc("Two-factor state"), POST: act("Turn two-factor on"), DELETE: act("Turn two-factor off") },
  },
  { pattern: "/api/ui/monitors", methods: { GET: alerts.monitorsList, POST: alerts.monitorCreate }, docs: { GET: doc("Monitors with their latest results"), POST: act("Add a monitor (admins, or can_manage_monitoring on the servers the caller may list)") } },
  { pattern: "/api/ui/monitors/:id", methods: { PATCH: alerts.monitorEdit, DELETE: alerts.monitorDelete }, docs: { PATCH: act("Edit a monitor (admins, or can_manage_monitoring)"), DELETE: act("Delete a monitor (admins, or can_manage_monitoring)") } },
  { pattern: "/api/ui/servers/:id/monitors", methods: { GET: alerts.serverMonitors }, docs: { GET: doc("A server's monitor latency and loss") } },
  { pattern: "/api/ui/alert-rules", methods: { GET: alerts.rulesList, POST: alerts.ruleCreate }, docs: { GET: doc("Alert rules the caller may manage, and the channels' names (can_manage_monitoring)"), POST: act("Add an alert rule (admins, or can_manage_monitoring over servers the caller may list)") } },
  { pattern: "/api/ui/alert-rules/:id", methods: { PATCH: alerts.ruleEdit, DELETE: alerts.ruleDelete }, docs: { PATCH: act("Edit an alert rule (can_manage_monitoring)"), DELETE: act("Delete an alert rule (can_manage_monitoring)") } },
  { pattern: "/api/ui/alert-channels", methods: { GET: alerts.channelsList, POST: alerts.channelCreate }, docs: { GET: doc("Notification channels", true), POST: act("Add a notification channel", true) } },
  {
    pattern: "/api/ui/alert-channels/:id",
    methods: { PATCH: alerts.channelEdit, DELETE: alerts.channelDelete },
    docs: { PATCH: act("Edit a notification channel", true), DELETE: act("Delete a notification channel", true) },
  },
  { pattern: "/api/ui/alert-channels/:id/test", methods: { POST: alerts.channelTest }, docs: { POST: act("Send a test notice", true) } },
  { pattern: "/api/ui/alerts", methods: { GET: alerts.alertsList }, docs: { GET: doc("Alert history (machines the caller may list)") } },
  { pattern: "/api/ui/notifications", methods: { GET: alerts.notificationsList }, docs: { GET: doc("Notification attempts (the outbox)", true) } },
  { pattern: "/api/ui/maintenance", methods: { GET: alerts.maintenanceGet, PUT: alerts.maintenanceSet }, docs: { GET: doc("What is in maintenance: switches, scheduled windows, each machine now", true), PUT: act("Switch maintenance mode", true) } },
  { pattern: "/api/ui/maintenance/windows", methods: { POST: alerts.maintenanceWindowAdd }, docs: { POST: act("Schedule maintenance: a one-off or weekly window for a server, client or site", true) } },
  { pattern: "/api/ui/maintenance/windows/:id", methods: { DELETE: alerts.maintenanceWindowRemove }, docs: { DELETE: act("Remove a scheduled maintenance window", true) } },
  {
    pattern: "/api/ui/settings/public-status",
    methods: { GET: accounts.publicStatusGet, PUT: accounts.publicStatusSet },
    docs: { GET: doc("Whether the public status view is on", true), PUT: act("Turn the public status view on or off", true) },
  },
  { pattern: "/api/ui/audit", methods: { GET: accounts.auditLog }, docs: { GET: doc("The audit log", true) } },
];

export const uiDialect: Dialect = {
  name: "ui",
  prefixes: ["/api/ui"],
  internal: true,
  routes,
  notFound: uiNotFound,
  methodNotAllowed: uiMethodNotAllowed,
};

/** Routes anyone may call without signing in (the credential matrix expects no auth error). */
export const PUBLIC_UI_ROUTES = new Set(["POST /api/ui/setup"]);

registerDialect(uiDialect);
