import { z } from "zod";
import { registerDialect } from "../../http/route-registry";
import type { Dialect, OperationDoc } from "../../http/router";
import type { Principal } from "../../auth/principal";
import { commandHistory, runCommand } from "../../fleet/commands";
import { scopeKey, serverFor, type Permission } from "../../fleet/policy";
import { live } from "../../fleet/live";
import { singleton } from "../../global";
import { answerResult } from "../../http/api";
import { TickCache } from "../../http/encoded";
import { pendingUpdates, startUpdateScan } from "../../fleet/updates";
import { updateServer } from "../../fleet/servers";
import { agentDetail, agentListQuery, listAgents } from "./agents";
import { cmdBody, parseCmdBody, queuedMessage, UNABLE_TO_CONTACT } from "./commands";
import { historyItemOf, trmmAgentBrief, trmmAgentDetail, trmmAgentRow, trmmHistoryItem, trmmWinUpdate, winUpdateOf } from "./shapes";
import { TRMM_MESSAGES, trmmMethodNotAllowed, trmmNotFound, withTrmm } from "./envelope";
import { trmmKeyRoutes } from "./keys";
import { trmmClientRoutes } from "./clients";

// Handlers only translate: the rules live in lib/fleet (shared with every other door).

/** The agent a path names, as the access policy lets this caller reach it. */
const agentOf = (me: Principal, agentId: string | undefined, permission: Permission) => serverFor(me, { agentId: agentId ?? "" }, permission);

export const scanStartedMessage = (hostname: string) => `A Windows update scan will be performed on ${hostname}`;

/**
 * The agents list, kept one tick per (access scope, query) so its compressed form is made at most
 * once per tick (lib/http/encoded.ts): principals of one scope see the same machines.
 */
const agentLists = singleton("trmmAgentLists", () => new TickCache(1_000, 200));
export const agentList = withTrmm(
  async (req, me) => {
    await live.ready();
    const key = `${scopeKey(me)}|${req.search ?? ""}`;
    return answerResult(await agentLists.get(key, live.listStamp, async () => JSON.stringify(await listAgents(me, req.query))));
  },
  { permission: "canListAgents" },
);

export const agentGet = withTrmm(async (req, me) => ({ status: 200, body: await agentDetail(await agentOf(me, req.params.agentId, "canListAgents")) }), {
  permission: "canListAgents",
});

/**
 * Tactical RMM's agent edit (`PUT /agents/{agent_id}/`), for the fields Fleetdeck keeps:
 * maintenance mode (mutes the agent's alerts) and the description. Admins only.
 */
export const agentEditBody = z
  .object({
    maintenance_mode: z.boolean().optional(),
    description: z.string().max(2000).optional(),
  })
  .describe("Fields Fleetdeck does not keep (policies, check intervals…) are ignored");
export const agentEdit = withTrmm(
  async (req, me, actor) => {
    const entry = await agentOf(me, req.params.agentId, "canListAgents");
    const b = agentEditBody.parse((await req.json()) ?? {});
    const patch = {
      ...(b.maintenance_mode !== undefined ? { maintenanceMode: b.maintenance_mode } : {}),
      ...(b.description !== undefined ? { description: b.description } : {}),
    };
    if (Object.keys(patch).length) await updateServer(entry.meta.id, patch, actor);
    return { status: 200, body: "The agent was updated successfully" };
  },
  { admin: true },
);

export const agentCmd = withTrmm(
  async (req, me, actor) => {
    const entry = await agentOf(me, req.params.agentId, "canSendCmd");
    const { input, queueIfOffline } = parseCmdBody(await req.json());
    const outcome = await runCommand(me, actor, entry, input, { queueIfOffline });
    if (outcome.status === "queued") return { status: 200, body: queuedMessage(outcome.job.hostname || entry.meta.name, outcome.job.id) };
    return { status: 200, body: outcome.output };
  },
  { permission: "canSendCmd" },
);

export const agentHistory = withTrmm(
  async (req, me) => {
    const entry = await agentOf(me, req.params.agentId, "canSendCmd");
    return { status: 200, body: (await commandHistory(me, entry)).map((r) => historyItemOf(r, entry.meta.agentId)) };
  },
  { permission: "canSendCmd" },
);

export const winupdateList = withTrmm(
  async (req, me) => ({ status: 200, body: (await pendingUpdates(me, await agentOf(me, req.params.agentId, "canManageWinupdates"))).map(winUpdateOf) }),
  { permission: "canManageWinupdates" },
);

export const winupdateScan = withTrmm(
  async (req, me, actor) => {
    const entry = await agentOf(me, req.params.agentId, "canManageWinupdates");
    await startUpdateScan(me, actor, entry);
    return { status: 200, body: scanStartedMessage(entry.host?.hostname || entry.meta.name) };
  },
  { permission: "canManageWinupdates" },
);

const agentErrors = { 403: TRMM_MESSAGES.forbidden, 404: TRMM_MESSAGES.noAgent };
const doc = (d: OperationDoc): OperationDoc => d;

export const trmmDialect: Dialect = {
  name: "trmm",
  prefixes: ["/agents", "/winupdate", "/accounts", "/clients"],
  routes: [
    ...trmmKeyRoutes,
    ...trmmClientRoutes,
    {
      pattern: "/agents",
      methods: { GET: agentList },
      docs: {
        GET: doc({
          summary: "List agents (Tactical RMM)",
          description:
            "Needs can_list_agents. A user restricted to clients/sites sees only their agents. " +
            "`detail=false` answers `[{id, hostname, agent_id, client, site}]`; otherwise the agent table's fields.",
          query: agentListQuery,
          response: z.union([z.array(trmmAgentBrief), z.array(trmmAgentRow)]),
          errors: { 400: "A bad filter value (field errors)", 403: TRMM_MESSAGES.forbidden },
        }),
      },
    },
    {
      pattern: "/agents/:agentId",
      methods: { GET: agentGet, PUT: agentEdit },
      docs: {
        GET: doc({ summary: "One agent (Tactical RMM)", description: "Needs can_list_agents.", response: trmmAgentDetail, errors: agentErrors }),
        PUT: doc({
          summary: "Edit an agent: maintenance mode, description (Tactical RMM)",
          description:
            "Admins only. `maintenance_mode: true` mutes the agent's alerts until it is turned off. The agent still reads `maintenance_mode: true` while its client or site is in maintenance or a scheduled window is active (set in the panel's Alerts → Rules and channels).",
          admin: true,
          acts: true,
          body: agentEditBody,
          response: z.string(),
          errors: agentErrors,
        }),
      },
    },
    {
      pattern: "/agents/:agentId/cmd",
      methods: { POST: agentCmd },
      docs: {
        POST: doc({
          summary: "Run a command on an agent (Tactical RMM)",
          acts: true,
          description:
            "Needs can_send_cmd. The agent runs the command in the requested shell, kills it at the timeout and answers " +
            "its combined output as a JSON string (cut at 64 KiB, with a note saying so; a killed command's output ends " +
            "with a note too). Every command is recorded in the agent's history. The agent must have been started with " +
            "--allow-commands. An offline agent answers 400 \"Unable to contact the agent\" (as Tactical RMM does) unless " +
            "the body has queue_if_offline: true; then the answer is 200 with a JSON string saying the command is queued and " +
            "for which host, and the command runs once when the agent connects again.",
          body: cmdBody,
          response: z.string().describe("The command's combined output; or, for a command queued with queue_if_offline, a sentence saying it is queued and for which host"),
          errors: {
            400: `Field errors for a bad body; {"detail":"${UNABLE_TO_CONTACT}"} when the agent is offline or does not answer; {"detail":…} when commands are disabled on the agent or its shell does not exist`,
            ...agentErrors,
          },
        }),
      },
    },
    {
      pattern: "/agents/:agentId/history",
      methods: { GET: agentHistory },
      docs: {
        GET: doc({
          summary: "An agent's command history, most recent first (Tactical RMM)",
          description: "Needs can_send_cmd (the history holds the commands' output). At most 200 entries.",
          response: z.array(trmmHistoryItem),
          errors: agentErrors,
        }),
      },
    },
    {
      pattern: "/winupdate/:agentId",
      methods: { GET: winupdateList },
      docs: {
        GET: doc({
          summary: "Pending updates found by the last scan (Tactical RMM)",
          description: "Needs can_manage_winupdates. On Linux these are the package manager's upgradable packages.",
          response: z.array(trmmWinUpdate),
          errors: agentErrors,
        }),
      },
    },
    {
      pattern: "/winupdate/:agentId/scan",
      methods: { POST: winupdateScan },
      docs: {
        POST: doc({
          summary: "Scan an agent for pending updates (Tactical RMM)",
          acts: true,
          description:
            "Needs can_manage_winupdates. Answers at once; the agent then asks its package manager (apt, dnf/yum, apk, " +
            "pacman, brew) from cached metadata and the result replaces the agent's pending updates. An offline agent gets " +
            "the same 200 answer, as in Tactical RMM: the scan is queued and runs when the agent connects again (within " +
            "FLEETDECK_QUEUE_EXPIRY_HOURS, default 24; one queued scan per agent).",
          response: z.string().describe('"A Windows update scan will be performed on {hostname}", whether the agent is online or offline'),
          errors: agentErrors,
        }),
      },
    },
  ],
  notFound: trmmNotFound,
  methodNotAllowed: trmmMethodNotAllowed,
};

registerDialect(trmmDialect);
