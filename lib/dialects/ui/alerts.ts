/** The monitors, alert rules, channels, alert history and maintenance pages' API. */
import { z } from "zod";
import type { ApiRequest } from "../../http/api";
import { notFound, type Subject } from "../../fleet/errors";
import { serverFor } from "../../fleet/policy";
import { createMonitor, deleteMonitor, listMonitors, serverMonitorSeries, updateMonitor } from "../../fleet/monitors";
import { createRule, deleteRule, listRules, METRICS, RULE_KINDS, updateRule } from "../../fleet/alerts/rules";
import { channelChoices, createChannel, deleteChannel, listChannels, updateChannel } from "../../fleet/alerts/channels";
import { sendTest } from "../../fleet/alerts/outbox";
import { alertHistory, recentNotifications } from "../../fleet/alerts/history";
import { addMaintenanceWindow, maintenanceState, removeMaintenanceWindow, setMaintenance } from "../../fleet/alerts/maintenance";
import { ApiError } from "../guard";
import { bodyOf, idParam, uiOk, withUi } from "./envelope";

function pathId(req: ApiRequest, subject: Subject, message: string): number {
  const id = idParam(req.params.id);
  if (id === null) throw notFound(subject, message);
  return id;
}

// ---- monitors ----------------------------------------------------------------------------------------

// Monitors and rules: admins, and users with the monitoring grant (within the machines they may
// list: the domain checks each monitor's servers and each rule's scope).
const MONITORING = { permission: "canManageMonitoring" } as const;

/** Every monitor, with its latest result on each machine the caller may list. */
export const monitorsList = withUi(async (_req, me) => uiOk(await listMonitors(me)));
export const monitorCreate = withUi(async (req, me, actor) => uiOk(await createMonitor(me, actor, await bodyOf(req)), 201), MONITORING);
export const monitorEdit = withUi(async (req, me, actor) => uiOk(await updateMonitor(me, actor, pathId(req, "monitor", "No such monitor"), await bodyOf(req))), MONITORING);
export const monitorDelete = withUi(async (req, me, actor) => {
  await deleteMonitor(me, actor, pathId(req, "monitor", "No such monitor"));
  return uiOk({ ok: true });
}, MONITORING);

const seriesQuery = z.object({ range: z.enum(["day", "month"]).default("day") });

/** A server page's latency and packet-loss charts, one series per monitor. */
export const serverMonitors = withUi(async (req, me) => {
  const entry = await serverFor(me, { id: pathId(req, "server", "No such server") });
  const q = seriesQuery.safeParse({ range: req.query.get("range") || undefined });
  if (!q.success) throw new ApiError(400, "range must be day or month");
  return uiOk(await serverMonitorSeries(entry.meta.id, q.data.range));
});

// ---- rules -------------------------------------------------------------------------------------------

/** The rules the caller may manage, and the channels (names only) a rule may name. */
export const rulesList = withUi(async (_req, me) => uiOk({ rules: await listRules(me), kinds: RULE_KINDS, metrics: METRICS, channels: await channelChoices() }), MONITORING);
export const ruleCreate = withUi(async (req, me, actor) => uiOk(await createRule(me, actor, await bodyOf(req)), 201), MONITORING);
export const ruleEdit = withUi(async (req, me, actor) => uiOk(await updateRule(me, actor, pathId(req, "rule", "No such alert rule"), await bodyOf(req))), MONITORING);
export const ruleDelete = withUi(async (req, me, actor) => {
  await deleteRule(me, actor, pathId(req, "rule", "No such alert rule"));
  return uiOk({ ok: true });
}, MONITORING);

// ---- channels (admins only: they make the panel send requests and mail) ---------------------------------

export const channelsList = withUi(async (_req, me) => uiOk(await listChannels(me)), { admin: true });
export const channelCreate = withUi(async (req, me, actor) => uiOk(await createChannel(me, actor, await bodyOf(req)), 201), { admin: true });
export const channelEdit = withUi(async (req, me, actor) => uiOk(await updateChannel(me, actor, pathId(req, "channel", "No such channel"), await bodyOf(req))), { admin: true });
export const channelDelete = withUi(
  async (req, me, actor) => {
    await deleteChannel(me, actor, pathId(req, "channel", "No such channel"));
    return uiOk({ ok: true });
  },
  { admin: true },
);
/** "Send test": one attempt now; the answer says whether it arrived, and why not. */
export const channelTest = withUi(
  async (req) => {
    const id = pathId(req, "channel", "No such channel");
    const r = await sendTest(id);
    if (!r.ok && r.error === "No such channel") throw notFound("channel", "No such channel");
    return uiOk(r);
  },
  { admin: true },
);

// ---- history and maintenance -----------------------------------------------------------------------------

/** Alert events, newest first (non-admins: those of the machines they may list). */
export const alertsList = withUi(async (req, me) => uiOk(await alertHistory(me, Object.fromEntries(req.query))));
export const notificationsList = withUi(async (req) => uiOk(await recentNotifications(Number(req.query.get("limit")) || 100)), { admin: true });

export const maintenanceGet = withUi(async (_req, me) => uiOk(await maintenanceState(me)), { admin: true });
export const maintenanceSet = withUi(async (req, me, actor) => uiOk(await setMaintenance(me, actor, await bodyOf(req))), { admin: true });
/** A scheduled window (one-off or weekly) for a server, client or site. */
export const maintenanceWindowAdd = withUi(async (req, me, actor) => uiOk(await addMaintenanceWindow(me, actor, await bodyOf(req)), 201), { admin: true });
export const maintenanceWindowRemove = withUi(
  async (req, me, actor) => {
    await removeMaintenanceWindow(me, actor, pathId(req, "window", "No such maintenance window"));
    return uiOk({ ok: true });
  },
  { admin: true },
);
