import { uiOk, uiRoute } from "@/lib/http/ui";
import { agentFor, requirePermission } from "@/lib/trmm/access";
import { pendingUpdates, scanStartedMessage, scanStatus, startUpdateScan } from "@/lib/trmm/updates";

export const GET = uiRoute(async (req, me) => {
  requirePermission(me, "canManageWinupdates");
  const entry = await agentFor(me, req.params.agentId);
  return uiOk({ scan: scanStatus(entry.meta.id), updates: await pendingUpdates(entry) });
});

/** Starts a scan; the page polls GET until the scan is no longer running. */
export const POST = uiRoute(async (req, me) => {
  requirePermission(me, "canManageWinupdates");
  const entry = await agentFor(me, req.params.agentId);
  startUpdateScan(entry, me, req.ip);
  return uiOk({ message: scanStartedMessage(entry.host?.hostname || entry.meta.name), scan: scanStatus(entry.meta.id) });
});
