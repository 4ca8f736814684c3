import { serverPatchSchema, updateServer } from "@/lib/fleet/servers";
import { uiOk, uiRoute } from "@/lib/http/ui";
import { agentFor, agentRights, requirePermission } from "@/lib/trmm/access";
import { agentDetail } from "@/lib/trmm/agents";
import { scanStatus } from "@/lib/trmm/updates";

export const GET = uiRoute(async (req, me) => {
  requirePermission(me, "canListAgents");
  const entry = await agentFor(me, req.params.agentId);
  return uiOk({ rights: agentRights(me), agent: await agentDetail(entry), scan: scanStatus(entry.meta.id) });
});

/** The groups an agent belongs to (Tactical RMM's client, site, monitoring type, description). */
const agentPatch = serverPatchSchema.pick({ client: true, site: true, monitoringType: true, description: true }).strict();

export const PATCH = uiRoute(
  async (req, me) => {
    const entry = await agentFor(me, req.params.agentId);
    const patch = agentPatch.parse((await req.json()) ?? {});
    await updateServer(entry.meta.id, patch, { id: me.userId, name: me.username, ip: req.ip });
    return uiOk({ agent: await agentDetail(entry) });
  },
  { admin: true },
);
