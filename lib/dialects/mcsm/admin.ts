/**
 * MCSManager's administration routes: users (`/api/auth…`), daemons (`/api/service/remote_service`,
 * `link_remote_service`) and batch instance actions (`/api/instance/multi_*`). Parameter names and
 * answers follow MCSManager's routers (panel 10.x); where widely used clients send something else
 * (both SDKs' `pageSize`, the JS SDK's `/api/protected_instance/multi_start` with the list in the
 * query, the Python SDK's form-encoded bodies) the request is read leniently. The rules are the
 * domain's (lib/fleet/users.ts, servers.ts, instances.ts); this file only translates.
 */
import crypto from "node:crypto";
import qs from "qs";
import { z } from "zod";
import type { ApiRequest } from "../../http/api";
import type { Principal } from "../../auth/principal";
import { db } from "../../db";
import { config } from "../../env";
import type { Actor } from "../../fleet/actor";
import { isAgentConnected } from "../../fleet/agents";
import { runInstanceAction, type InstanceAction } from "../../fleet/instances";
import { live } from "../../fleet/live";
import { createServer, deleteServer, updateServer } from "../../fleet/servers";
import { createUser, deleteUser, updateUser } from "../../fleet/users";
import { ApiError } from "../guard";
import { requireDaemon } from "./daemons";
import { mcsmOk, withMcsm } from "./envelope";

// ---- bodies: JSON, or form-encoded as the Python SDK sends them --------------------------------------

/** Credentials some clients repeat in the body; never data. */
const CREDENTIAL_KEYS = new Set(["apikey", "token"]);

/**
 * The request body as a value: JSON, or a form-encoded body read with nested keys
 * (`a[b]=c`), without the credentials the Python SDK copies into every body. Empty → undefined.
 */
export async function mcsmBody(req: ApiRequest): Promise<unknown> {
  const type = (req.header("content-type") ?? "").toLowerCase();
  if (type.includes("application/x-www-form-urlencoded")) {
    const text = await req.text();
    if (!text.trim()) return undefined;
    const parsed = qs.parse(text, { depth: 5, arrayLimit: 1000, parameterLimit: 2000 }) as Record<string, unknown>;
    for (const k of CREDENTIAL_KEYS) delete parsed[k];
    return Object.keys(parsed).length ? parsed : undefined;
  }
  return req.json();
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** An object body, or MCSManager's 400 in its envelope. */
async function objectBody(req: ApiRequest, what: string): Promise<Record<string, unknown>> {
  const body = await mcsmBody(req);
  if (body === undefined) return {};
  if (!isObject(body)) throw new ApiError(400, `The request body must be a JSON object (${what})`);
  return body;
}

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : typeof v === "number" ? String(v) : undefined);

// ---- users -----------------------------------------------------------------------------------------

/**
 * A user's MCSManager uuid: 32 hex digits derived from the user's id and the panel's session
 * secret (HMAC-SHA256), so it is stable across restarts without a column, and not guessable from
 * the id. It changes if NEXTAUTH_SECRET changes (as every session does).
 */
export function mcsmUserUuid(userId: number): string {
  return crypto.createHmac("sha256", config().NEXTAUTH_SECRET || "fleetdeck").update(`mcsm-user:${userId}`).digest("hex").slice(0, 32);
}

/** MCSManager's roles: 10 admin, 1 user, 0 user without permissions, -1 banned. */
export const ROLE = { admin: 10, user: 1, guest: 0, banned: -1 } as const;
const permissionOf = (u: { role: string; disabled: boolean }) => (u.disabled ? ROLE.banned : u.role === "admin" ? ROLE.admin : ROLE.user);

/** MCSManager writes times with toLocaleString(); this is its usual "2024/5/1 10:00:00" form. */
function mcsmTime(d: Date | null | undefined): string {
  if (!d) return "";
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}/${d.getMonth() + 1}/${d.getDate()} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** Shown instead of a key, as MCSManager masks it. */
const MASK = "__MCSM_SECRET_DATA__";

export const mcsmUser = z.object({
  uuid: z.string().describe("32 hex digits, derived from the user's id and the panel secret (stable)"),
  userName: z.string(),
  passWord: z.literal("").describe("Always empty"),
  passWordType: z.number().int().describe("Always 1 (bcrypt-like: Fleetdeck stores only a hash)"),
  salt: z.literal("").describe("Always empty"),
  permission: z.number().int().describe("10 admin, 1 user, -1 disabled (a user created with 0 reads back as 1: both have no grants)"),
  registerTime: z.string(),
  loginTime: z.string().describe("The last sign-in, or empty"),
  instances: z.array(z.object({ instanceUuid: z.string(), daemonId: z.string() })),
  apiKey: z.string().describe(`"${MASK}" when the user has a token, else empty`),
  isInit: z.boolean(),
  secret: z.literal("").describe("Always empty"),
  open2FA: z.boolean(),
});
type McsmUser = z.infer<typeof mcsmUser>;

async function allUsers(): Promise<(McsmUser & { id: number })[]> {
  const [rows, logins] = await Promise.all([
    db.user.findMany({
      orderBy: { id: "asc" },
      select: {
        id: true, username: true, role: true, disabled: true, totpEnabled: true, createdAt: true,
        _count: { select: { tokens: true } },
        assignments: { select: { instance: { select: { uuid: true, server: { select: { agentId: true } } } } } },
      },
    }),
    db.session.groupBy({ by: ["userId"], _max: { createdAt: true } }),
  ]);
  const lastLogin = new Map(logins.map((l) => [l.userId, l._max.createdAt]));
  return rows.map((u) => ({
    id: u.id,
    uuid: mcsmUserUuid(u.id),
    userName: u.username,
    passWord: "",
    passWordType: 1,
    salt: "",
    permission: permissionOf(u),
    registerTime: mcsmTime(u.createdAt),
    loginTime: mcsmTime(lastLogin.get(u.id)),
    instances: u.assignments.map((a) => ({ instanceUuid: a.instance.uuid, daemonId: a.instance.server.agentId })),
    apiKey: u._count.tokens > 0 ? MASK : "",
    isInit: false,
    secret: "",
    open2FA: u.totpEnabled,
  }));
}

const publicUser = ({ id: _id, ...u }: McsmUser & { id: number }): McsmUser => u;

async function userByUuid(uuid: string): Promise<McsmUser & { id: number }> {
  const u = (await allUsers()).find((x) => x.uuid === uuid);
  if (!u) throw new ApiError(404, `User not found: ${uuid}`);
  return u;
}

export const userSearchQuery = z.object({
  page: z.string().max(12).optional().describe("1-based; default 1"),
  page_size: z.string().max(12).optional().describe("1–50; default 10"),
  pageSize: z.string().max(12).optional().describe("Alias of page_size (what both published SDKs send)"),
  userName: z.string().max(200).optional().describe("Case-insensitive substring; empty = all"),
  role: z.string().max(4).optional().describe("10, 1, 0 or -1; empty = all"),
});

/** MCSManager reads numbers leniently: anything not a number falls back to the default. */
const numberOr = (v: string | undefined, fallback: number) => (v !== undefined && v.trim() !== "" && Number.isFinite(Number(v)) ? Number(v) : fallback);

export const userSearch = withMcsm(
  async (req) => {
    const q = userSearchQuery.parse(Object.fromEntries(req.query));
    const page = Math.max(1, Math.floor(numberOr(q.page, 1)));
    const pageSize = Math.min(50, Math.max(1, Math.floor(numberOr(q.page_size ?? q.pageSize, 10))));
    const name = q.userName && q.userName !== "undefined" ? q.userName.toLowerCase() : "";
    const role = q.role && q.role !== "undefined" && q.role !== "null" ? Number(q.role) : null;
    if (role !== null && !Number.isFinite(role)) throw new ApiError(400, `role must be 10, 1, 0 or -1, not "${q.role}"`);
    // A user created as 0 (no grants) reads back as 1: searching 0 finds the same users as 1.
    const wanted = role === ROLE.guest ? ROLE.user : role;
    const all = (await allUsers()).filter((u) => (!name || u.userName.toLowerCase().includes(name)) && (wanted === null || u.permission === wanted));
    const maxPage = Math.max(1, Math.ceil(all.length / pageSize));
    return mcsmOk({ page, pageSize, maxPage, total: all.length, data: all.slice((page - 1) * pageSize, page * pageSize).map(publicUser) });
  },
  { admin: true },
);

/** A role as Fleetdeck stores it. */
function roleOf(permission: unknown): { role: "admin" | "user"; disabled: boolean } {
  const n = typeof permission === "number" ? permission : typeof permission === "string" && permission.trim() !== "" ? Number(permission) : NaN;
  if (n === ROLE.admin) return { role: "admin", disabled: false };
  if (n === ROLE.user || n === ROLE.guest) return { role: "user", disabled: false };
  if (n === ROLE.banned) return { role: "user", disabled: true };
  throw new ApiError(400, `permission must be 10 (admin), 1 (user), 0 (user without permissions) or -1 (disabled), not ${JSON.stringify(permission)}`);
}

export const userCreateBody = z.object({
  username: z.string().describe("Letters, digits and _ . @ - (Fleetdeck's rule)"),
  password: z.string().describe("At least 8 characters (Fleetdeck's rule)"),
  permission: z.union([z.number().int(), z.string()]).describe("10 admin, 1 user, 0 user without permissions, -1 disabled"),
});

export const userCreate = withMcsm(
  async (req, _p, actor) => {
    const body = await objectBody(req, "{username, password, permission}");
    for (const key of ["username", "password", "permission"]) {
      if (body[key] === undefined || body[key] === null || body[key] === "") throw new ApiError(400, `Validator failed: "${key}" is required!`);
    }
    const { role, disabled } = roleOf(body.permission);
    const user = await createUser({ username: String(body.username), password: String(body.password), role }, actor);
    if (disabled) await updateUser(user.id, { disabled: true }, actor);
    return mcsmOk({ uuid: mcsmUserUuid(user.id), userName: user.username, permission: permissionOf({ role, disabled }) });
  },
  { admin: true },
);

export const userUpdateBody = z.object({
  uuid: z.string(),
  config: z
    .object({
      permission: z.number().int().optional(),
      passWord: z.string().optional().describe("A new password; empty = unchanged"),
      instances: z.array(z.object({ instanceUuid: z.string(), daemonId: z.string() })).optional().describe("Replaces the assigned instances"),
      userName: z.string().optional().describe("Must be the current name: Fleetdeck does not rename users"),
    })
    .passthrough()
    .describe("Only the given fields change; MCSManager's other fields (apiKey, isInit, secret…) are accepted and ignored"),
});

export const userUpdate = withMcsm(
  async (req, _p, actor) => {
    const body = await objectBody(req, "{uuid, config}");
    const uuid = str(body.uuid);
    if (!uuid) throw new ApiError(400, 'Validator failed: "uuid" is required!');
    if (!isObject(body.config)) throw new ApiError(400, "config must be an object of the fields to change (send the body as JSON)");
    const cfg = body.config;
    const user = await userByUuid(uuid);
    const patch: Parameters<typeof updateUser>[1] = {};
    if (cfg.userName !== undefined && cfg.userName !== user.userName) throw new ApiError(400, "userName cannot be changed: Fleetdeck does not rename users");
    if (cfg.permission !== undefined && cfg.permission !== null && cfg.permission !== "") Object.assign(patch, roleOf(cfg.permission));
    if (typeof cfg.passWord === "string" && cfg.passWord !== "") patch.password = cfg.passWord;
    if (cfg.instances !== undefined) patch.instances = await instanceUuidsOf(cfg.instances);
    await updateUser(user.id, patch, actor);
    return mcsmOk(true);
  },
  { admin: true },
);

/** MCSManager's `[{instanceUuid, daemonId}]`, each checked to be that daemon's instance. */
async function instanceUuidsOf(raw: unknown): Promise<string[]> {
  const items = Array.isArray(raw) ? raw : isObject(raw) ? Object.values(raw) : null;
  if (!items) throw new ApiError(400, "config.instances must be a list of {instanceUuid, daemonId}");
  const wanted = items.map((it, i) => {
    const instanceUuid = isObject(it) ? str(it.instanceUuid) : undefined;
    const daemonId = isObject(it) ? str(it.daemonId) : undefined;
    if (!instanceUuid || !daemonId) throw new ApiError(400, `config.instances[${i}] needs instanceUuid and daemonId`);
    return { instanceUuid, daemonId };
  });
  const rows = await db.instance.findMany({ where: { uuid: { in: wanted.map((w) => w.instanceUuid) } }, select: { uuid: true, server: { select: { agentId: true } } } });
  for (const w of wanted) {
    const row = rows.find((r) => r.uuid === w.instanceUuid);
    if (!row || row.server.agentId !== w.daemonId) throw new ApiError(404, `Instance not found: ${w.instanceUuid} on daemon ${w.daemonId}`);
  }
  return wanted.map((w) => w.instanceUuid);
}

export const userDelete = withMcsm(
  async (req, p, actor) => {
    const body = await mcsmBody(req);
    // MCSManager's body is the bare array; `{uuids: […]}` (or a form's repeated `uuids`) is read too.
    const list = Array.isArray(body) ? body : isObject(body) ? (Object.values(body).find(Array.isArray) ?? null) : null;
    if (!list || !list.length || !list.every((x) => typeof x === "string")) throw new ApiError(400, "The body must be a JSON array of user uuids");
    const users = [];
    for (const uuid of new Set(list as string[])) users.push(await userByUuid(uuid));
    for (const u of users) {
      if (u.id === p.userId) throw new ApiError(400, "You cannot delete yourself");
    }
    for (const u of users) await deleteUser(u.id, actor);
    return mcsmOk(true);
  },
  { admin: true },
);

export const mcsmMe = z.object({
  uuid: z.string(),
  userName: z.string(),
  loginTime: z.string(),
  registerTime: z.string(),
  instances: z.array(z.object({ instanceUuid: z.string(), daemonId: z.string() })),
  permission: z.number().int(),
  apiKey: z.string(),
  isInit: z.boolean(),
  open2FA: z.boolean(),
});

/** The caller (an admin may name another user with `?uuid=`, as in MCSManager). */
export const whoAmI = withMcsm(async (req, p) => {
  let target: McsmUser & { id: number };
  const asked = req.query.get("uuid");
  if (asked && p.role === "admin") target = await userByUuid(asked);
  else {
    const me = (await allUsers()).find((u) => u.id === p.userId);
    if (!me) throw new ApiError(404, "User not found");
    target = me;
  }
  const { uuid, userName, loginTime, registerTime, instances, permission, apiKey, isInit, open2FA } = target;
  return mcsmOk({ uuid, userName, loginTime, registerTime, instances, permission, apiKey, isInit, open2FA });
});

// ---- daemons ---------------------------------------------------------------------------------------

export const daemonBody = z.object({
  remarks: z.string().optional().describe("The daemon's remarks; also the new server's name"),
  ip: z.string().optional().describe("Accepted; used as the name when there are no remarks (agents dial the panel: no address is needed)"),
  port: z.union([z.number(), z.string()]).optional().describe("Accepted and ignored: agents dial the panel"),
  prefix: z.string().optional().describe("Accepted and ignored"),
  apiKey: z.string().optional().describe("Accepted and ignored: each agent has its own secret, given by the panel"),
});
const uuidQuery = z.object({ uuid: z.string().max(200).optional().describe("The daemon's uuid (required)") });

function daemonUuidOf(req: ApiRequest): string {
  const uuid = req.query.get("uuid");
  if (!uuid) throw new ApiError(400, 'Validator failed: "uuid" is required!');
  return uuid;
}

/**
 * Creates a daemon: in Fleetdeck, a server whose agent will connect in. The answer is its uuid
 * (the server's agent id); the install line for its agent is on the server's page in the panel.
 */
export const daemonCreate = withMcsm(
  async (req, _p, actor) => {
    const body = await objectBody(req, "{ip, port, remarks, apiKey}");
    const remarks = (str(body.remarks) ?? "").trim();
    const ip = (str(body.ip) ?? "").trim();
    const name = (remarks || ip || "daemon").slice(0, 100);
    const { server } = await createServer({ name, remarks: remarks.slice(0, 2000) }, actor);
    return mcsmOk(server.agentId);
  },
  { admin: true },
);

export const daemonUpdate = withMcsm(
  async (req, _p, actor) => {
    await live.ready();
    const daemon = requireDaemon(daemonUuidOf(req));
    const body = await objectBody(req, "{remarks, …}");
    if (body.remarks !== undefined) await updateServer(daemon.meta.id, { remarks: String(str(body.remarks) ?? "").slice(0, 2000) }, actor);
    return mcsmOk(true);
  },
  { admin: true },
);

export const daemonDelete = withMcsm(
  async (req, _p, actor) => {
    await live.ready();
    const daemon = requireDaemon(daemonUuidOf(req));
    await deleteServer(daemon.meta.id, actor);
    return mcsmOk(true);
  },
  { admin: true },
);

/** Agents dial the panel: there is nothing to connect to from here; answers whether it is connected. */
export const daemonLink = withMcsm(
  async (req) => {
    await live.ready();
    const daemon = requireDaemon(daemonUuidOf(req));
    return mcsmOk(isAgentConnected(daemon.meta.id));
  },
  { admin: true },
);

// ---- batch instance actions --------------------------------------------------------------------------

interface BatchItem {
  instanceUuid: string;
  daemonId: string;
}

/** An item as any client sends it: `{instanceUuid, daemonId}`, `{uuid, daemonId}`, or a JSON string of one. */
function itemOf(raw: unknown): Partial<BatchItem> {
  let v = raw;
  if (typeof v === "string") {
    try {
      v = JSON.parse(v);
    } catch {
      return {};
    }
  }
  if (!isObject(v)) return {};
  return { instanceUuid: str(v.instanceUuid) ?? str(v.uuid), daemonId: str(v.daemonId) ?? str(v.remote_uuid) };
}

/**
 * The list from wherever the client put it: MCSManager's JSON array body; the JS SDK's query
 * (`0[daemonId]=…&0[instanceUuid]=…`, or older axios' `0={"daemonId":…}`); a form body with
 * the same nesting, or with parallel `uuid`/`instanceUuid` and `daemonId` values.
 */
async function batchItems(req: ApiRequest): Promise<BatchItem[]> {
  let source: unknown = await mcsmBody(req);
  if (source === undefined || (isObject(source) && !Object.keys(source).length)) {
    const query = qs.parse((req.search ?? "").replace(/^\?/, ""), { depth: 5, arrayLimit: 1000, parameterLimit: 2000 }) as Record<string, unknown>;
    for (const k of CREDENTIAL_KEYS) delete query[k];
    source = query;
  }
  let raw: unknown[];
  if (Array.isArray(source)) raw = source;
  else if (isObject(source)) {
    const ids = source.instanceUuid ?? source.uuid;
    if (ids !== undefined && source.daemonId !== undefined) {
      const a = ([] as unknown[]).concat(ids);
      const d = ([] as unknown[]).concat(source.daemonId);
      if (a.length !== d.length) throw new ApiError(400, "Each instance uuid needs its daemonId");
      raw = a.map((instanceUuid, i) => ({ instanceUuid, daemonId: d[i] }));
    } else raw = Object.values(source);
  } else raw = [];
  if (!raw.length) throw new ApiError(400, "The body must be a JSON array of {instanceUuid, daemonId}");
  if (raw.length > 1000) throw new ApiError(400, "At most 1000 instances at once");
  return raw.map((r, i) => {
    const item = itemOf(r);
    if (!item.instanceUuid || !item.daemonId) throw new ApiError(400, `Item ${i} needs instanceUuid (or uuid) and daemonId`);
    return item as BatchItem;
  });
}

/** Checks every item names a known instance of a known daemon (before answering), then acts in the background. */
function batchHandler(action: InstanceAction) {
  return withMcsm(
    async (req, p, actor) => {
      const items = await batchItems(req);
      await live.ready();
      const resolved: { serverId: number; uuid: string }[] = [];
      const rows = await db.instance.findMany({ where: { uuid: { in: items.map((i) => i.instanceUuid) } }, select: { uuid: true, serverId: true } });
      for (const it of items) {
        const daemon = requireDaemon(it.daemonId);
        const row = rows.find((r) => r.uuid === it.instanceUuid);
        if (!row || row.serverId !== daemon.meta.id) throw new ApiError(404, `Instance not found: ${it.instanceUuid}`);
        resolved.push({ serverId: daemon.meta.id, uuid: row.uuid });
      }
      void runBatch(p, actor, action, resolved);
      return mcsmOk(true);
    },
    { admin: true },
  );
}

/**
 * As MCSManager, the answer does not wait: each action is audited by the domain and tried on its
 * agent; an offline daemon's instances are audited as tried and skipped.
 */
async function runBatch(p: Principal, actor: Actor, action: InstanceAction, items: { serverId: number; uuid: string }[]): Promise<void> {
  await Promise.all(items.map((it) => runInstanceAction(p, actor, it.serverId, it.uuid, action).catch(() => undefined)));
}

export const multiOpen = batchHandler("start");
export const multiStop = batchHandler("stop");
export const multiRestart = batchHandler("restart");
export const multiKill = batchHandler("kill");

export const batchBody = z
  .array(z.object({ instanceUuid: z.string(), daemonId: z.string() }))
  .describe("Also read: items as {uuid, daemonId}; the list in the query (0[instanceUuid]=…&0[daemonId]=…); form-encoded bodies");
export { uuidQuery };
