/** The agents pages' API (Tactical RMM's view of the machines): details, commands, update scans. */
import type { Principal } from "../../auth/principal";
import type { ApiRequest } from "../../http/api";
import { commandHistory, commandRequestSchema, runCommand } from "../../fleet/commands";
import { rightsOf, scopeKey, serverFor, type Permission } from "../../fleet/policy";
import { live } from "../../fleet/live";
import { singleton } from "../../global";
import { answerResult } from "../../http/api";
import { TickCache } from "../../http/encoded";
import { serverPatchSchema, updateServer } from "../../fleet/servers";
import { pendingUpdates, scanStatus, startUpdateScan } from "../../fleet/updates";
import { agentDetail, listAgentDetails } from "../trmm/agents";
import { historyItemOf, winUpdateOf } from "../trmm/shapes";
import { bodyOf, uiOk, withUi } from "./envelope";
import { listJobs } from "../../fleet/queue";
import { moveServerToSite } from "../../fleet/clients";
import { z } from "zod";

// The agents pages show Tactical RMM's shapes of a machine (its wording is what those pages
// speak), so these handlers reuse that dialect's shapes; the rules are the domain's.

const agentOf = (req: ApiRequest, me: Principal, permission: Permission) => serverFor(me, { agentId: req.params.agentId ?? "" }, permission);

/** The agents list, kept one tick per access scope and rights (compressed once per tick, like the servers list). */
const agentLists = singleton("uiAgentLists", () => new TickCache(1_000, 200));
export const listAgents = withUi(
  async (_req, me) => {
    await live.ready();
    const rights = rightsOf(me);
    const key = `${scopeKey(me)}|${JSON.stringify(rights)}`;
    return answerResult(await agentLists.get(key, live.listStamp, async () => JSON.stringify({ rights, agents: await listAgentDetails(me) })));
  },
  { permission: "canListAgents" },
);

export const getAgent = withUi(
  async (req, me) => {
    const entry = await agentOf(req, me, "canListAgents");
    // Work queued while the machine is offline shows as pending on its page.
    const queued = await listJobs(me, { serverId: entry.meta.id, status: "queued" });
    return uiOk({ rights: rightsOf(me), agent: await agentDetail(entry), scan: scanStatus(entry.meta.id), queued });
  },
  { permission: "canListAgents" },
);

/**
 * The groups an agent belongs to (Tactical RMM's client, site, monitoring type, description).
 * `siteId` moves it to an existing site (what the page sends); client/site names are still read
 * (a pair that does not exist yet is made).
 */
const agentPatch = serverPatchSchema
  .pick({ client: true, site: true, monitoringType: true, description: true })
  .extend({ siteId: z.number({ error: "siteId must be a site's id" }).int().positive().optional() })
  .strict();

export const editAgent = withUi(
  async (req, me, actor) => {
    const entry = await agentOf(req, me, "canListAgents");
    const { siteId, ...rest } = agentPatch.parse(await bodyOf(req));
    if (siteId !== undefined) await moveServerToSite(me, actor, entry.meta.id, siteId);
    if (Object.keys(rest).length) await updateServer(entry.meta.id, rest, actor);
    return uiOk({ agent: await agentDetail(entry) });
  },
  { admin: true },
);

export const sendCommand = withUi(
  async (req, me, actor) => {
    const entry = await agentOf(req, me, "canSendCmd");
    const body = await bodyOf(req);
    // The page's "queue if offline" option: an offline agent gets the command when it is back.
    const queueIfOffline = typeof body === "object" && body !== null && (body as { queueIfOffline?: unknown }).queueIfOffline === true;
    return uiOk(await runCommand(me, actor, entry, commandRequestSchema.parse(body), { queueIfOffline }));
  },
  { permission: "canSendCmd" },
);

export const getCommandHistory = withUi(
  async (req, me) => {
    const entry = await agentOf(req, me, "canSendCmd");
    return uiOk((await commandHistory(me, entry)).map((r) => historyItemOf(r, entry.meta.agentId)));
  },
  { permission: "canSendCmd" },
);

export const getUpdates = withUi(
  async (req, me) => {
    const entry = await agentOf(req, me, "canManageWinupdates");
    return uiOk({ scan: scanStatus(entry.meta.id), updates: (await pendingUpdates(me, entry)).map(winUpdateOf) });
  },
  { permission: "canManageWinupdates" },
);

/** Starts a scan; the page polls GET until the scan is no longer running. */
export const scanUpdates = withUi(
  async (req, me, actor) => {
    const entry = await agentOf(req, me, "canManageWinupdates");
    const how = await startUpdateScan(me, actor, entry);
    const host = entry.host?.hostname || entry.meta.name;
    return uiOk({
      message: how === "queued" ? `${host} is offline: the scan is queued and runs when its agent connects again` : `A Windows update scan will be performed on ${host}`,
      queued: how === "queued",
      scan: scanStatus(entry.meta.id),
    });
  },
  { permission: "canManageWinupdates" },
);
