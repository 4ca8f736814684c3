import { uiOk, uiRoute } from "@/lib/http/ui";
import { agentFor, requirePermission } from "@/lib/trmm/access";
import { parseCmdBody, runCommand } from "@/lib/trmm/commands";

export const POST = uiRoute(async (req, me) => {
  requirePermission(me, "canSendCmd");
  const entry = await agentFor(me, req.params.agentId);
  const input = parseCmdBody(await req.json());
  return uiOk(await runCommand(entry, me, input, req.ip));
});
