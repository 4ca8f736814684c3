import { uiOk, uiRoute } from "@/lib/http/ui";
import { agentFor, requirePermission } from "@/lib/trmm/access";
import { commandHistory } from "@/lib/trmm/commands";

export const GET = uiRoute(async (req, me) => {
  requirePermission(me, "canSendCmd");
  return uiOk(await commandHistory(await agentFor(me, req.params.agentId)));
});
