/**
 * Alert rules: what to watch (`kind` + `params`), over which machines (`scope`), told to which
 * channels, how often to repeat while it lasts. Admins write them, and users with the monitoring
 * grant for scopes within the machines they may list (they pick among the channels admins made,
 * never change them); every change is audited.
 */
import { z } from "zod";
import { db } from "../../db";
import { singleton } from "../../global";
import { audit } from "../../audit";
import type { Principal } from "../../auth/principal";
import type { Actor } from "../actor";
import { invalid, notFound, parseInput } from "../errors";
import { can, isAdmin, listsAll, requirePermission, seesWholeFleet } from "../policy";
import { live, type ServerMeta } from "../live";
import { cacheChanged, onPeerReload } from "../cluster";

/** Metrics a threshold rule may watch; percentages are of the machine's total. */
export const METRICS = {
  cpu: { label: "CPU %", max: 100 },
  memory: { label: "Memory %", max: 100 },
  swap: { label: "Swap %", max: 100 },
  disk: { label: "Disk %", max: 100 },
  load: { label: "Load (1 min)", max: 1e6 },
  net_in_speed: { label: "Network in (bytes/s)", max: 1e15 },
  net_out_speed: { label: "Network out (bytes/s)", max: 1e15 },
  net_in_transfer: { label: "Received since boot (bytes)", max: 1e18 },
  net_out_transfer: { label: "Sent since boot (bytes)", max: 1e18 },
} as const;
export type Metric = keyof typeof METRICS;

const duration = z.number().int("must be whole seconds").min(0, "must be at least 0 seconds").max(7 * 86_400, "must be at most a week");
const monitorRef = z.number().int().positive().nullable().default(null);

/** Each kind's parameters. */
export const ruleParamSchemas = {
  offline: z.object({ seconds: duration.default(60) }),
  metric: z
    .object({
      metric: z.enum(Object.keys(METRICS) as [Metric, ...Metric[]], { error: `must be one of ${Object.keys(METRICS).join(", ")}` }),
      above: z.number({ error: "must be a number" }).min(0, "must be at least 0"),
      forSec: duration.default(60),
    })
    .superRefine((p, ctx) => {
      if (p.above > METRICS[p.metric].max) ctx.addIssue({ code: "custom", path: ["above"], message: `must be at most ${METRICS[p.metric].max} for ${p.metric}` });
    }),
  /** A monitor (or any, when null) failing on a machine for `failures` results in a row. */
  monitor_down: z.object({ monitorId: monitorRef, failures: z.number().int().min(1).max(100).default(1) }),
  /** A monitor's latency outside its own min/max bounds. */
  monitor_latency: z.object({ monitorId: monitorRef }),
  /** An instance that exited without being asked to stop. */
  instance_exit: z.object({}),
  /** An HTTPS monitor's certificate expiring within `days`. */
  cert_expiry: z.object({ monitorId: monitorRef, days: z.number().min(0, "must be at least 0 days").max(3650).default(14) }),
} as const;
export type RuleKind = keyof typeof ruleParamSchemas;
export const RULE_KINDS = Object.keys(ruleParamSchemas) as RuleKind[];

export const scopeSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("all") }),
  z.object({ type: z.literal("tag"), tag: z.string().trim().min(1, "Tag is required").max(100) }),
  z.object({ type: z.literal("client"), client: z.string().trim().min(1, "Client is required").max(100), site: z.string().trim().max(100).default("") }),
  z.object({ type: z.literal("servers"), ids: z.array(z.number().int().positive()).min(1, "Pick at least one server").max(10_000) }),
]);
export type Scope = z.output<typeof scopeSchema>;

const ruleBase = z.object({
  name: z.string().trim().min(1, "Name is required").max(100),
  kind: z.enum(RULE_KINDS as [RuleKind, ...RuleKind[]], { error: `must be one of ${RULE_KINDS.join(", ")}` }),
  params: z.record(z.string(), z.unknown()).default({}),
  scope: scopeSchema.default({ type: "all" }),
  channelIds: z.array(z.number().int().positive()).max(50).default([]),
  repeatSec: z.number().int("must be whole seconds").min(0).max(7 * 86_400).default(0),
  muted: z.boolean().default(false),
  enabled: z.boolean().default(true),
});

export interface RuleDef {
  id: number;
  name: string;
  kind: RuleKind;
  params: Record<string, unknown>;
  scope: Scope;
  channelIds: number[];
  repeatSec: number;
  muted: boolean;
  enabled: boolean;
}

/** Validates a rule, its kind's parameters (errors under `params.<field>`) and its channels. */
async function validRule(input: unknown): Promise<Omit<RuleDef, "id">> {
  const base = parseInput(ruleBase, input);
  const params = ruleParamSchemas[base.kind].safeParse(base.params);
  if (!params.success) {
    const fields: Record<string, string[]> = {};
    for (const i of params.error.issues) (fields[["params", ...i.path].join(".")] ??= []).push(i.message);
    throw invalid(params.error.issues.map((i) => `params.${i.path.join(".")}: ${i.message}`).join("; "), fields);
  }
  if (base.repeatSec > 0 && base.repeatSec < 60) throw invalid("repeatSec: must be 0 (no repeats) or at least 60 seconds", { repeatSec: ["must be 0 (no repeats) or at least 60 seconds"] });
  const channelIds = [...new Set(base.channelIds)];
  if (channelIds.length) {
    const found = await db.alertChannel.count({ where: { id: { in: channelIds } } });
    if (found !== channelIds.length) throw invalid("channelIds: names a channel that does not exist", { channelIds: ["names a channel that does not exist"] });
  }
  return { ...base, params: params.data as Record<string, unknown>, channelIds };
}

type RuleRow = Awaited<ReturnType<typeof db.alertRule.findMany>>[number];

export function ruleOf(row: RuleRow): RuleDef {
  let params: Record<string, unknown> = {};
  let scope: Scope = { type: "all" };
  try {
    params = JSON.parse(row.params) as Record<string, unknown>;
    scope = scopeSchema.parse(JSON.parse(row.scope));
  } catch {
    // a row written by hand: the defaults
  }
  return {
    id: row.id, name: row.name, kind: row.kind as RuleKind, params, scope,
    channelIds: row.channelIds.split(",").filter(Boolean).map(Number), repeatSec: row.repeatSec, muted: row.muted, enabled: row.enabled,
  };
}

const rowData = (r: Omit<RuleDef, "id">) => ({
  name: r.name, kind: r.kind, params: JSON.stringify(r.params), scope: JSON.stringify(r.scope), channelIds: r.channelIds.join(","),
  repeatSec: r.repeatSec, muted: r.muted, enabled: r.enabled,
});

/** Whether a rule's scope covers a machine. */
export function inRuleScope(scope: Scope, meta: Pick<ServerMeta, "id" | "tag" | "client" | "site">): boolean {
  switch (scope.type) {
    case "all":
      return true;
    case "tag":
      return meta.tag === scope.tag;
    case "client":
      return meta.client === scope.client && (!scope.site || meta.site === scope.site);
    case "servers":
      return scope.ids.includes(meta.id);
  }
}

/** Listeners told when rules change (the evaluator reloads); one set for every module copy. */
const listeners = singleton("alertRuleListeners", () => new Set<() => void>());
export const onRulesChanged = (l: () => void) => listeners.add(l);
const reloadHere = () => listeners.forEach((l) => l());
/** Rules changed here: this process's evaluator reloads them, and so does every other process's. */
const changed = () => {
  reloadHere();
  cacheChanged("alertRules");
};
onPeerReload("alertRules", reloadHere);

/**
 * Whether a non-admin with the monitoring grant may manage a rule of this scope: one within the
 * machines they may list (all and tag scopes only when they see the whole fleet).
 */
export function mayManageScope(p: Principal, scope: Scope): boolean {
  if (isAdmin(p) || seesWholeFleet(p)) return true;
  if (!can(p, "canListAgents")) return false;
  switch (scope.type) {
    case "all":
    case "tag":
      return false;
    case "client":
      return p.perms.clients.includes(scope.client) || (scope.site !== "" && p.perms.sites.includes(scope.site));
    case "servers":
      return listsAll(p, scope.ids);
  }
}

function checkScope(p: Principal, scope: Scope): void {
  if (mayManageScope(p, scope)) return;
  const why =
    scope.type === "servers"
      ? { field: "scope.ids", message: "names a server you may not list" }
      : scope.type === "client"
        ? { field: "scope.client", message: "is outside the clients and sites you may list" }
        : { field: "scope.type", message: "must be a client, site or list of servers you may list (you do not see every server)" };
  throw invalid(`${why.field}: ${why.message}`, { [why.field]: [why.message] });
}

/** Admins: every rule; users with the monitoring grant: the rules they may manage. */
export async function listRules(p: Principal): Promise<RuleDef[]> {
  requirePermission(p, "canManageMonitoring");
  await live.ready();
  return (await db.alertRule.findMany({ orderBy: { id: "asc" } })).map(ruleOf).filter((r) => mayManageScope(p, r.scope));
}

/** A rule the principal may manage; a rule outside their reach is "no such rule" to them. */
async function manageableRule(p: Principal, id: number): Promise<RuleDef> {
  await live.ready();
  const row = await db.alertRule.findUnique({ where: { id } });
  const rule = row ? ruleOf(row) : null;
  if (!rule || !mayManageScope(p, rule.scope)) throw notFound("rule", "No such alert rule");
  return rule;
}

export async function loadRules(): Promise<RuleDef[]> {
  return (await db.alertRule.findMany({ orderBy: { id: "asc" } })).map(ruleOf);
}

const describe = (r: Omit<RuleDef, "id">) => `kind=${r.kind} params=${JSON.stringify(r.params)} scope=${JSON.stringify(r.scope)} channels=${r.channelIds.join(",")} repeat=${r.repeatSec}${r.muted ? " muted" : ""}${r.enabled ? "" : " disabled"}`;

export async function createRule(p: Principal, actor: Actor, input: unknown): Promise<RuleDef> {
  requirePermission(p, "canManageMonitoring");
  const r = await validRule(input);
  await live.ready();
  checkScope(p, r.scope);
  const row = await db.alertRule.create({ data: rowData(r) });
  changed();
  await audit({ action: "alert.rule.create", actorId: actor.id, actorName: actor.name, target: row.name, detail: `#${row.id} ${describe(r)}`, ip: actor.ip });
  return ruleOf(row);
}

export async function updateRule(p: Principal, actor: Actor, id: number, patch: unknown): Promise<RuleDef> {
  requirePermission(p, "canManageMonitoring");
  const current = await manageableRule(p, id);
  const next = await validRule({ ...current, ...(typeof patch === "object" && patch ? patch : {}) });
  checkScope(p, next.scope);
  const saved = await db.alertRule.update({ where: { id }, data: rowData(next) });
  changed();
  await audit({ action: "alert.rule.update", actorId: actor.id, actorName: actor.name, target: saved.name, detail: `#${id} ${describe(next)}`, ip: actor.ip });
  return ruleOf(saved);
}

export async function deleteRule(p: Principal, actor: Actor, id: number): Promise<void> {
  requirePermission(p, "canManageMonitoring");
  const rule = await manageableRule(p, id);
  // Gone already (a concurrent delete): the same answer as an unknown id.
  await db.alertRule.delete({ where: { id } }).catch(() => {
    throw notFound("rule", "No such alert rule");
  });
  changed();
  await audit({ action: "alert.rule.delete", actorId: actor.id, actorName: actor.name, target: rule.name, detail: `#${id}`, ip: actor.ip });
}
