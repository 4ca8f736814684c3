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
export type Access =
  | "public"
  | "user"
  | "admin"
  | "canListAgents"
  | "canSendCmd"
  | "canManageWinupdates"
  | "canListClients"
  | "canManageClients"
  | "canListSites"
  | "canManageSites";

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
  // MCSManager's users, daemons and batch actions: admins (GET /api/auth is the caller, anyone).
  "POST /api/service/remote_service": "admin",
  "PUT /api/service/remote_service": "admin",
  "DELETE /api/service/remote_service": "admin",
  "GET /api/service/link_remote_service": "admin",
  "GET /api/auth/search": "admin",
  "GET /api/auth": "user",
  "POST /api/auth": "admin",
  "PUT /api/auth": "admin",
  "DELETE /api/auth": "admin",
  "POST /api/instance/multi_open": "admin",
  "POST /api/instance/multi_stop": "admin",
  "POST /api/instance/multi_restart": "admin",
  "POST /api/instance/multi_kill": "admin",
  "POST /api/instance/multi_start": "admin",
  "POST /api/protected_instance/multi_open": "admin",
  "POST /api/protected_instance/multi_stop": "admin",
  "POST /api/protected_instance/multi_restart": "admin",
  "POST /api/protected_instance/multi_kill": "admin",
  "POST /api/protected_instance/multi_start": "admin",

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
  "GET /clients": "canListClients",
  "POST /clients": "canManageClients",
  "GET /clients/:id": "canListClients",
  "PUT /clients/:id": "canManageClients",
  "DELETE /clients/:id": "canManageClients",
  "GET /clients/sites": "canListSites",
  "POST /clients/sites": "canManageSites",
  "GET /clients/sites/:id": "canListSites",
  "PUT /clients/sites/:id": "canManageSites",
  "DELETE /clients/sites/:id": "canManageSites",

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
  "GET /api/ui/agents/:agentId/queue": "canListAgents",
  "GET /api/ui/queue": "canListAgents",
  "GET /api/ui/queue/:id": "canListAgents",
  "DELETE /api/ui/queue/:id": "canListAgents",
  "GET /api/ui/clients": "canListClients",
  "POST /api/ui/clients": "canManageClients",
  "PATCH /api/ui/clients/:id": "canManageClients",
  "DELETE /api/ui/clients/:id": "canManageClients",
  "POST /api/ui/sites": "canManageSites",
  "PATCH /api/ui/sites/:id": "canManageSites",
  "DELETE /api/ui/sites/:id": "canManageSites",
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
};
