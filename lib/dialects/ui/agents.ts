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
    return uiOk({ rights: rightsOf(me), agent: await agentDetail(entry), scan: scanStatus(entry.meta.id) });
  },
  { permission: "canListAgents" },
);

/** The groups an agent belongs to (Tactical RMM's client, site, monitoring type, description). */
const agentPatch = serverPatchSchema.pick({ client: true, site: true, monitoringType: true, description: true }).strict();

export const editAgent = withUi(
  async (req, me, actor) => {
    const entry = await agentOf(req, me, "canListAgents");
    await updateServer(entry.meta.id, agentPatch.parse(await bodyOf(req)), actor);
    return uiOk({ agent: await agentDetail(entry) });
  },
  { admin: true },
);

export const sendCommand = withUi(
  async (req, me, actor) => {
    const entry = await agentOf(req, me, "canSendCmd");
    return uiOk(await runCommand(me, actor, entry, commandRequestSchema.parse(await bodyOf(req))));
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
    startUpdateScan(me, actor, entry);
    return uiOk({ message: `A Windows update scan will be performed on ${entry.host?.hostname || entry.meta.name}`, scan: scanStatus(entry.meta.id) });
  },
  { permission: "canManageWinupdates" },
);
