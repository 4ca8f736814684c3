/**
 * Who may call each route, written by hand and kept apart from the routes themselves: the
 * credential matrix (credentials-matrix.test.ts) takes the routes from the router's tables and
 * the expectations from here, so a route whose wrapper forgets its admin or permission check
 * fails the matrix instead of passing it, and a new route without an entry here fails too.
 *
 * - "public": anyone, signed in or not (the first-run setup)
 * - "user": any signed-in user or token
 * - "admin": administrators only
 * - a grant: users who hold it (Tactical RMM's permission booleans), and administrators
 */
export type Access = "public" | "user" | "admin" | "canListAgents" | "canSendCmd" | "canManageWinupdates";

export const EXPECTED_ACCESS: Record<string, Access> = {
  // Nezha v0: reads are for every user (what they see is the access policy's business).
  "GET /api/v1/server/list": "user",
  "GET /api/v1/server/details": "user",
  "POST /api/v1/server/register": "admin",

  // MCSManager: daemons are admin-only, as in MCSManager; instances are for their assigned users.
  "GET /api/service/remote_services_system": "admin",
  "GET /api/service/remote_services_list": "admin",
  "GET /api/service/remote_services": "admin",
  "GET /api/overview": "admin",
  "GET /api/service/remote_service_instances": "admin",
  "GET /api/instance": "user",
  "POST /api/instance": "admin",
  "PUT /api/instance": "admin",
  "DELETE /api/instance": "admin",
  "GET /api/protected_instance/open": "user",
  "POST /api/protected_instance/open": "user",
  "GET /api/protected_instance/stop": "user",
  "POST /api/protected_instance/stop": "user",
  "GET /api/protected_instance/restart": "user",
  "POST /api/protected_instance/restart": "user",
  "GET /api/protected_instance/kill": "user",
  "POST /api/protected_instance/kill": "user",
  "GET /api/protected_instance/command": "user",
  "POST /api/protected_instance/command": "user",
  "GET /api/protected_instance/outputlog": "user",

  // Tactical RMM
  "GET /accounts/apikeys": "admin",
  "POST /accounts/apikeys": "admin",
  "GET /accounts/apikeys/:id": "admin",
  "PUT /accounts/apikeys/:id": "admin",
  "DELETE /accounts/apikeys/:id": "admin",
  "GET /agents": "canListAgents",
  "GET /agents/:agentId": "canListAgents",
  "POST /agents/:agentId/cmd": "canSendCmd",
  "GET /agents/:agentId/history": "canSendCmd",
  "GET /winupdate/:agentId": "canManageWinupdates",
  "POST /winupdate/:agentId/scan": "canManageWinupdates",

  // The panel UI's own API
  "POST /api/ui/setup": "public",
  "GET /api/ui/servers": "user",
  "POST /api/ui/servers": "admin",
  "GET /api/ui/servers/:id": "user",
  "PATCH /api/ui/servers/:id": "admin",
  "DELETE /api/ui/servers/:id": "admin",
  "GET /api/ui/servers/:id/history": "user",
  "POST /api/ui/servers/:id/secret": "admin",
  "POST /api/ui/servers/:id/enrollment": "admin",
  "GET /api/ui/agents": "canListAgents",
  "GET /api/ui/agents/:agentId": "canListAgents",
  "PATCH /api/ui/agents/:agentId": "admin",
  "POST /api/ui/agents/:agentId/cmd": "canSendCmd",
  "GET /api/ui/agents/:agentId/history": "canSendCmd",
  "GET /api/ui/agents/:agentId/updates": "canManageWinupdates",
  "POST /api/ui/agents/:agentId/updates": "canManageWinupdates",
  "GET /api/ui/daemons": "admin",
  "GET /api/ui/daemons/:id": "admin",
  "PATCH /api/ui/daemons/:id": "admin",
  "POST /api/ui/daemons/:id/instances": "admin",
  "PATCH /api/ui/daemons/:id/instances/:uuid": "admin",
  "DELETE /api/ui/daemons/:id/instances/:uuid": "admin",
  "POST /api/ui/daemons/:id/instances/:uuid/action": "user",
  "POST /api/ui/daemons/:id/instances/:uuid/command": "user",
  "GET /api/ui/daemons/:id/instances/:uuid/output": "user",
  "GET /api/ui/instances": "user",
  "GET /api/ui/users": "admin",
  "POST /api/ui/users": "admin",
  "PATCH /api/ui/users/:id": "admin",
  "DELETE /api/ui/users/:id": "admin",
  "GET /api/ui/tokens": "user",
  "POST /api/ui/tokens": "user",
  "DELETE /api/ui/tokens/:id": "user",
  "GET /api/ui/keys": "admin",
  "POST /api/ui/keys": "admin",
  "PATCH /api/ui/keys/:id": "admin",
  "DELETE /api/ui/keys/:id": "admin",
  "POST /api/ui/profile/password": "user",
  "GET /api/ui/profile/totp": "user",
  "POST /api/ui/profile/totp": "user",
  "DELETE /api/ui/profile/totp": "user",
  "GET /api/ui/audit": "admin",
  "GET /api/ui/settings/public-status": "admin",
  "PUT /api/ui/settings/public-status": "admin",
};

/**
 * Whether each route reads or acts, by meaning (not by HTTP method), written by hand: a read-only
 * token may call only the "read" ones. route-acts.test.ts checks the tables' `acts` flags against
 * this list, so a new route must be classified here, and a route cannot drift from its meaning.
 */
export type Effect = "read" | "act";

export const EXPECTED_EFFECT: Record<string, Effect> = {
  "GET /api/v1/server/list": "read",
  "GET /api/v1/server/details": "read",
  "POST /api/v1/server/register": "act",

  "GET /api/service/remote_services_system": "read",
  "GET /api/service/remote_services_list": "read",
  "GET /api/service/remote_services": "read",
  "GET /api/overview": "read",
  "GET /api/service/remote_service_instances": "read",
  "GET /api/instance": "read",
  "POST /api/instance": "act",
  "PUT /api/instance": "act",
  "DELETE /api/instance": "act",
  // MCSManager's instance actions act whatever the method: a GET here starts a process.
  "GET /api/protected_instance/open": "act",
  "POST /api/protected_instance/open": "act",
  "GET /api/protected_instance/stop": "act",
  "POST /api/protected_instance/stop": "act",
  "GET /api/protected_instance/restart": "act",
  "POST /api/protected_instance/restart": "act",
  "GET /api/protected_instance/kill": "act",
  "POST /api/protected_instance/kill": "act",
  "GET /api/protected_instance/command": "act",
  "POST /api/protected_instance/command": "act",
  "GET /api/protected_instance/outputlog": "read",

  "GET /accounts/apikeys": "read",
  "POST /accounts/apikeys": "act",
  "GET /accounts/apikeys/:id": "read",
  "PUT /accounts/apikeys/:id": "act",
  "DELETE /accounts/apikeys/:id": "act",
  "GET /agents": "read",
  "GET /agents/:agentId": "read",
  "POST /agents/:agentId/cmd": "act",
  "GET /agents/:agentId/history": "read",
  "GET /winupdate/:agentId": "read",
  // Makes the machine run a scan: an action, though it changes nothing there.
  "POST /winupdate/:agentId/scan": "act",

  "POST /api/ui/setup": "act",
  "GET /api/ui/servers": "read",
  "POST /api/ui/servers": "act",
  "GET /api/ui/servers/:id": "read",
  "PATCH /api/ui/servers/:id": "act",
  "DELETE /api/ui/servers/:id": "act",
  "GET /api/ui/servers/:id/history": "read",
  "POST /api/ui/servers/:id/secret": "act",
  "POST /api/ui/servers/:id/enrollment": "act",
  "GET /api/ui/agents": "read",
  "GET /api/ui/agents/:agentId": "read",
  "PATCH /api/ui/agents/:agentId": "act",
  "POST /api/ui/agents/:agentId/cmd": "act",
  "GET /api/ui/agents/:agentId/history": "read",
  "GET /api/ui/agents/:agentId/updates": "read",
  "POST /api/ui/agents/:agentId/updates": "act",
  "GET /api/ui/daemons": "read",
  "GET /api/ui/daemons/:id": "read",
  "PATCH /api/ui/daemons/:id": "act",
  "POST /api/ui/daemons/:id/instances": "act",
  "PATCH /api/ui/daemons/:id/instances/:uuid": "act",
  "DELETE /api/ui/daemons/:id/instances/:uuid": "act",
  "POST /api/ui/daemons/:id/instances/:uuid/action": "act",
  "POST /api/ui/daemons/:id/instances/:uuid/command": "act",
  "GET /api/ui/daemons/:id/instances/:uuid/output": "read",
  "GET /api/ui/instances": "read",
  "GET /api/ui/users": "read",
  "POST /api/ui/users": "act",
  "PATCH /api/ui/users/:id": "act",
  "DELETE /api/ui/users/:id": "act",
  "GET /api/ui/tokens": "read",
  "POST /api/ui/tokens": "act",
  "DELETE /api/ui/tokens/:id": "act",
  "GET /api/ui/keys": "read",
  "POST /api/ui/keys": "act",
  "PATCH /api/ui/keys/:id": "act",
  "DELETE /api/ui/keys/:id": "act",
  "POST /api/ui/profile/password": "act",
  // Shows a new, unsaved secret to scan: nothing is stored until it is confirmed (POST).
  "GET /api/ui/profile/totp": "read",
  "POST /api/ui/profile/totp": "act",
  "DELETE /api/ui/profile/totp": "act",
  "GET /api/ui/audit": "read",
  "GET /api/ui/settings/public-status": "read",
  "PUT /api/ui/settings/public-status": "act",
};
