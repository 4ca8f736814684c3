import { uiOk, uiRoute } from "@/lib/http/ui";
import { agentRights, requirePermission } from "@/lib/trmm/access";
import { listAgentDetails } from "@/lib/trmm/agents";

export const GET = uiRoute(async (_req, me) => {
  requirePermission(me, "canListAgents");
  return uiOk({ rights: agentRights(me), agents: await listAgentDetails(me) });
});
