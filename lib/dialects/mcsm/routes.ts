import { z } from "zod";
import { registerDialect } from "../../http/route-registry";
import type { Dialect } from "../../http/router";
import { answerResult, type ApiRequest } from "../../http/api";
import { ApiError } from "../guard";
import { ensureTotals, totalsVersion } from "../../fleet/instance-counts";
import {
  createInstance,
  deleteInstances,
  instanceFor,
  instanceState,
  readInstanceOutput,
  runInstanceAction,
  sendInstanceInput,
  updateInstance,
} from "../../fleet/instances";
import { live } from "../../fleet/live";
import { fileRoutes } from "./files";
import { mcsmMethodNotAllowed, mcsmNotFound, mcsmOk, withMcsm } from "./envelope";
import { mcsmEncoded, mcsmRaw, mcsmTickAnswers, remoteServicesSystemJson, requireDaemon } from "./daemons";
import {
  batchBody,
  daemonBody,
  daemonCreate,
  daemonDelete,
  daemonLink,
  daemonUpdate,
  mcsmMe,
  mcsmUser,
  multiKill,
  multiOpen,
  multiRestart,
  multiStop,
  userCreate,
  userCreateBody,
  userDelete,
  userSearch,
  userSearchQuery,
  userUpdate,
  userUpdateBody,
  uuidQuery,
  whoAmI,
} from "./admin";
import { panelRecords } from "../../fleet/records";
import { overviewJson, overviewSchema, remoteServices, remoteServicesItem, remoteServicesList, selectInstances } from "./answers";
import {
  CTRL_C,
  daemonIdentity,
  daemonSystem,
  instanceConfig,
  instanceConfigOf,
  instanceDetail,
  instanceDetailOf,
  mcsmEnvelope,
} from "./shapes";

/**
 * MCSManager's API (`/api/service`, `/api/overview`, `/api/instance`, `/api/protected_instance`).
 * Daemon reads come from live state (never by asking each daemon in turn); instance actions go to
 * one agent with a short timeout. Parameter names follow MCSManager's routers; empty query
 * parameters mean "no filter"; every error is the `{status, data, time}` envelope.
 */

// ---- query parameters ---------------------------------------------------------------------------

/** The query as an object (first value of a repeated key), for zod. */
function queryOf(req: ApiRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of req.query) if (!(k in out)) out[k] = v;
  return out;
}

const daemonParams = {
  daemonId: z.string().max(200).optional().describe("The daemon's uuid"),
  remote_uuid: z.string().max(200).optional().describe("Alias of daemonId (older clients)"),
};
const instanceParams = { uuid: z.string().max(200).optional().describe("The instance's uuid (required)"), ...daemonParams };

const daemonQuery = z.object(daemonParams);
const instanceQuery = z.object(instanceParams);
const commandQuery = z.object({ ...instanceParams, command: z.string().max(4096).optional().describe("The line written to the instance's stdin (required)") });
const outputQuery = z.object({ ...instanceParams, size: z.string().max(20).optional().describe('Only the last bytes: "2048" or "4kb"; empty = everything kept') });
const instancesQuery = z.object({
  ...daemonParams,
  page: z.string().max(12).optional().describe("1-based page; default 1"),
  page_size: z.string().max(12).optional().describe("1–100; default 10"),
  instance_name: z.string().max(200).optional().describe("Case-insensitive substring of the name; empty = all"),
  status: z.string().max(4).optional().describe("-1 busy, 0 stopped, 1 stopping, 2 starting, 3 running; empty = all"),
  tag: z.string().max(2000).optional().describe("Accepted and ignored: Fleetdeck instances carry no tags"),
});

function parseQuery<T extends z.ZodObject>(schema: T, req: ApiRequest): z.infer<T> {
  return schema.parse(queryOf(req)) as z.infer<T>;
}

function daemonIdOf(q: { daemonId?: string; remote_uuid?: string }): string {
  const id = q.daemonId || q.remote_uuid;
  if (!id) throw new ApiError(400, "Missing parameter: daemonId (or remote_uuid)");
  return id;
}

function instanceUuidOf(q: { uuid?: string }): string {
  if (!q.uuid) throw new ApiError(400, "Missing parameter: uuid (the instance id)");
  return q.uuid;
}

/**
 * The instance a request names, as MCSManager resolves it: the daemon, then the instance on it;
 * a non-admin reaches only the instances assigned to them (the access policy), without seeing
 * anything else of that daemon.
 */
async function resolveInstance(p: Parameters<typeof instanceFor>[0], q: { uuid?: string; daemonId?: string; remote_uuid?: string }) {
  const daemon = requireDaemon(daemonIdOf(q));
  const row = await instanceFor(p, daemon.meta.id, instanceUuidOf(q));
  return { daemon, row };
}

// ---- bodies --------------------------------------------------------------------------------------

/** The InstanceConfig fields Fleetdeck keeps; the many others MCSManager clients send are ignored. */
export const instanceConfigBody = z.object({
  nickname: z.string().trim().min(1, "nickname is required").max(100),
  startCommand: z.string().trim().min(1, "startCommand is required").max(4000),
  stopCommand: z.string().max(1000).nullish().describe('A line written to stdin; "^C" or empty = a signal'),
  cwd: z.string().max(1000).nullish().describe("Working directory on the daemon; empty = the agent's"),
  eventTask: z
    .object({
      autoRestart: z.boolean().nullish(),
      autoStart: z.boolean().nullish().describe("Start the instance when its daemon's agent starts (agents of protocol 2 and later)"),
    })
    .nullish(),
});
export const instanceConfigPatch = instanceConfigBody.partial();
export const deleteBody = z.object({
  uuids: z.array(z.string().min(1).max(200)).max(1000).optional().describe("Instances to delete; default: the uuid query parameter"),
  deleteFile: z.boolean().optional().describe("Accepted and ignored: Fleetdeck never deletes an instance's files"),
});

/** MCSManager's "^C" (interrupt) is Fleetdeck's empty stop command (SIGTERM to the process group). */
const stopCommandOf = (s: string | null | undefined) => (s === undefined ? undefined : !s || s.trim() === CTRL_C ? "" : s);

function toInstanceInput(b: z.infer<typeof instanceConfigPatch>) {
  const out: { name?: string; startCommand?: string; stopCommand?: string; cwd?: string; autoRestart?: boolean; autoStart?: boolean } = {};
  if (b.nickname !== undefined) out.name = b.nickname;
  if (b.startCommand !== undefined) out.startCommand = b.startCommand;
  const stop = stopCommandOf(b.stopCommand);
  if (stop !== undefined) out.stopCommand = stop;
  if (b.cwd !== undefined) out.cwd = b.cwd ?? "";
  if (b.eventTask?.autoRestart !== undefined && b.eventTask.autoRestart !== null) out.autoRestart = b.eventTask.autoRestart;
  if (b.eventTask?.autoStart !== undefined && b.eventTask.autoStart !== null) out.autoStart = b.eventTask.autoStart;
  return out;
}

async function bodyOf<T extends z.ZodType>(schema: T, req: ApiRequest): Promise<z.infer<T>> {
  const raw = await req.json();
  return schema.parse(raw ?? {}) as z.infer<T>;
}

// ---- handlers ----------------------------------------------------------------------------------

/** The hot route: a pre-serialized array, only `time` made per request. */
export const remoteServicesSystem = withMcsm(
  async () => {
    await live.ready();
    await ensureTotals();
    return answerResult(mcsmEncoded("system", remoteServicesSystemJson()));
  },
  { admin: true },
);

export const remoteServicesListHandler = withMcsm(
  async () => {
    await live.ready();
    return answerResult(await mcsmTickAnswers.get("list", live.listStamp, () => mcsmRaw(JSON.stringify(remoteServicesList()))));
  },
  { admin: true },
);

export const remoteServicesHandler = withMcsm(
  async () => {
    await live.ready();
    await ensureTotals();
    const stamp = `${live.listStamp}:${totalsVersion()}`;
    return answerResult(await mcsmTickAnswers.get("services", stamp, async () => mcsmRaw(JSON.stringify(await remoteServices()))));
  },
  { admin: true },
);

export const overviewHandler = withMcsm(
  async () => {
    await live.ready();
    await ensureTotals();
    const records = await panelRecords();
    const stamp = `${live.listStamp}:${totalsVersion()}:${Object.values(records).join(",")}`;
    return answerResult(await mcsmTickAnswers.get("overview", stamp, () => mcsmRaw(overviewJson(records))));
  },
  { admin: true },
);

export const remoteServiceInstances = withMcsm(
  async (req) => {
    const q = parseQuery(instancesQuery, req);
    await live.ready();
    const daemon = requireDaemon(daemonIdOf(q));
    return mcsmOk(await selectInstances(daemon, q));
  },
  { admin: true },
);

export const instanceGet = withMcsm(async (req, p) => {
  await live.ready();
  const { daemon, row } = await resolveInstance(p, parseQuery(instanceQuery, req));
  return mcsmOk(instanceDetailOf(row, instanceState(daemon.meta.id, row.uuid), daemon));
});

export const instanceCreate = withMcsm(
  async (req, p, actor) => {
    const q = parseQuery(daemonQuery, req);
    const body = await bodyOf(instanceConfigBody, req);
    await live.ready();
    const daemon = requireDaemon(daemonIdOf(q));
    const row = await createInstance(p, actor, daemon.meta.id, { ...toInstanceInput(body), name: body.nickname, startCommand: body.startCommand });
    return mcsmOk({ instanceUuid: row.uuid, config: instanceConfigOf(row, daemon.host?.platform) });
  },
  { admin: true },
);

export const instanceUpdate = withMcsm(
  async (req, p, actor) => {
    const q = parseQuery(instanceQuery, req);
    const body = await bodyOf(instanceConfigPatch, req);
    await live.ready();
    const daemon = requireDaemon(daemonIdOf(q));
    const row = await updateInstance(p, actor, daemon.meta.id, instanceUuidOf(q), toInstanceInput(body));
    return mcsmOk({ instanceUuid: row.uuid });
  },
  { admin: true },
);

export const instanceDelete = withMcsm(
  async (req, p, actor) => {
    const q = parseQuery(instanceQuery, req);
    const body = await bodyOf(deleteBody, req);
    await live.ready();
    const daemon = requireDaemon(daemonIdOf(q));
    const uuids = body.uuids?.length ? body.uuids : q.uuid ? [q.uuid] : [];
    if (!uuids.length) throw new ApiError(400, "Missing parameter: uuids (in the body) or uuid (in the query)");
    return mcsmOk(await deleteInstances(p, actor, daemon.meta.id, [...new Set(uuids)]));
  },
  { admin: true },
);

function actionHandler(action: "start" | "stop" | "restart" | "kill") {
  return withMcsm(async (req, p, actor) => {
    await live.ready();
    const { daemon, row } = await resolveInstance(p, parseQuery(instanceQuery, req));
    await runInstanceAction(p, actor, daemon.meta.id, row.uuid, action);
    return mcsmOk({ instanceUuid: row.uuid });
  });
}

export const instanceOpen = actionHandler("start");
export const instanceStop = actionHandler("stop");
export const instanceRestart = actionHandler("restart");
export const instanceKill = actionHandler("kill");

export const instanceCommand = withMcsm(async (req, p, actor) => {
  const q = parseQuery(commandQuery, req);
  let command = q.command;
  // MCSManager reads the command from the query; a JSON body {"command": …} is accepted too.
  if (command === undefined && req.method !== "GET") {
    const body = await bodyOf(z.object({ command: z.string().max(4096).optional() }), req);
    command = body.command;
  }
  if (command === undefined) throw new ApiError(400, "Missing parameter: command");
  await live.ready();
  const { daemon, row } = await resolveInstance(p, q);
  await sendInstanceInput(p, actor, daemon.meta.id, row.uuid, command.replace(/\r?\n$/, ""));
  return mcsmOk({ instanceUuid: row.uuid });
});

/** "2048" → 2048 bytes, "4kb" → 4096; empty → no limit. */
function parseSize(size: string | undefined): number | null {
  if (!size) return null;
  const m = /^\s*(\d{1,9})\s*(kb)?\s*$/i.exec(size);
  if (!m) throw new ApiError(400, `size must be a number of bytes or "<n>kb", not "${size}"`);
  return Number(m[1]) * (m[2] ? 1024 : 1);
}

export const instanceOutputLog = withMcsm(async (req, p) => {
  const q = parseQuery(outputQuery, req);
  const size = parseSize(q.size);
  await live.ready();
  const { daemon, row } = await resolveInstance(p, q);
  const output = await readInstanceOutput(p, daemon.meta.id, row.uuid);
  return mcsmOk(size !== null && output.length > size ? output.slice(-size) : output);
});

// ---- the table ------------------------------------------------------------------------------------

const errors = {
  400: "Bad or missing parameter",
  403: "Missing, wrong or non-admin key; cookie session without X-Requested-With",
  404: "Unknown daemon or instance",
};
const agentErrors = { ...errors, 503: "The daemon is offline or did not answer within 3.5 s" };
const instanceRef = z.object({ instanceUuid: z.string() });

export const mcsmDialect: Dialect = {
  name: "mcsm",
  prefixes: ["/api/service", "/api/instance", "/api/protected_instance", "/api/overview", "/api/files"],
  routes: [
    ...fileRoutes,
    {
      pattern: "/api/service/remote_services_system",
      methods: { GET: remoteServicesSystem },
      docs: {
        GET: {
          summary: "Every online daemon with its system information (MCSManager)",
          description:
            "Answered from live state: latency does not depend on the number of daemons. Daemons that are offline (never connected, " +
            "or no report within the offline window) are left out, as MCSManager leaves out every daemon it cannot ask; " +
            "remote_services_list and remote_services list them with available: false.",
          admin: true,
          response: mcsmEnvelope(z.array(daemonSystem)),
          errors,
        },
      },
    },
    {
      pattern: "/api/service/remote_services_list",
      methods: { GET: remoteServicesListHandler },
      docs: { GET: { summary: "Every daemon, connection information only (MCSManager)", description: "Offline daemons included, with available: false.", admin: true, response: mcsmEnvelope(z.array(daemonIdentity)), errors } },
    },
    {
      pattern: "/api/service/remote_services",
      methods: { GET: remoteServicesHandler },
      docs: { GET: { summary: "Every daemon with its instances (MCSManager)", description: "Offline daemons included, with available: false and an empty instance list (MCSManager cannot ask them).", admin: true, response: mcsmEnvelope(z.array(remoteServicesItem)), errors } },
    },
    {
      pattern: "/api/overview",
      methods: { GET: overviewHandler },
      docs: { GET: { summary: "Panel overview with its online daemons (MCSManager)", description: "remote lists online daemons only (as remote_services_system); remoteCount counts every daemon: {available, total}.", admin: true, response: mcsmEnvelope(overviewSchema), errors } },
    },
    {
      pattern: "/api/service/remote_service_instances",
      methods: { GET: remoteServiceInstances },
      docs: {
        GET: {
          summary: "A daemon's instances, paged and filtered (MCSManager)",
          admin: true,
          query: instancesQuery,
          response: mcsmEnvelope(z.object({ page: z.number().int(), pageSize: z.number().int(), maxPage: z.number().int(), total: z.number().int(), data: z.array(instanceDetail) })),
          errors,
        },
      },
    },
    {
      pattern: "/api/instance",
      methods: { GET: instanceGet, POST: instanceCreate, PUT: instanceUpdate, DELETE: instanceDelete },
      docs: {
        GET: { summary: "One instance (MCSManager)", query: instanceQuery, response: mcsmEnvelope(instanceDetail), errors },
        POST: {
          summary: "Define an instance on a daemon (MCSManager)",
          admin: true,
          acts: true,
          query: daemonQuery,
          body: instanceConfigBody,
          response: mcsmEnvelope(z.object({ instanceUuid: z.string(), config: instanceConfig })),
          errors,
        },
        PUT: { summary: "Change an instance's definition (MCSManager)", admin: true, acts: true, query: instanceQuery, body: instanceConfigPatch, response: mcsmEnvelope(instanceRef), errors },
        DELETE: {
          summary: "Delete instances of a daemon (MCSManager)",
          acts: true,
          description: "Running instances are stopped by their agent. Answers the deleted uuids.",
          admin: true,
          query: instanceQuery,
          body: deleteBody,
          response: mcsmEnvelope(z.array(z.string())),
          errors,
        },
      },
    },
    ...(
      [
        ["open", instanceOpen, "Start an instance"],
        ["stop", instanceStop, "Stop an instance (its stop command, else SIGTERM; SIGKILL after 10 s)"],
        ["restart", instanceRestart, "Restart an instance"],
        ["kill", instanceKill, "Kill an instance's process group"],
      ] as const
    ).map(([name, handler, summary]) => ({
      pattern: `/api/protected_instance/${name}`,
      // MCSManager serves these on every method; GET and POST are what clients use.
      methods: { GET: handler, POST: handler },
      docs: {
        // Acts on either method: a GET here starts, stops or kills a process.
        GET: { summary: `${summary} (MCSManager)`, acts: true, query: instanceQuery, response: mcsmEnvelope(instanceRef), errors: { ...agentErrors, 400: "Bad parameter, the instance is already in that state, or its daemon does not run instances (agent started without --allow-instances)" } },
        POST: { summary: `${summary} (MCSManager)`, acts: true, query: instanceQuery, response: mcsmEnvelope(instanceRef), errors: agentErrors },
      },
    })),
    {
      pattern: "/api/protected_instance/command",
      methods: { GET: instanceCommand, POST: instanceCommand },
      docs: {
        GET: { summary: "Send a line to an instance's stdin (MCSManager)", acts: true, query: commandQuery, response: mcsmEnvelope(instanceRef), errors: agentErrors },
        POST: {
          summary: "Send a line to an instance's stdin (MCSManager)",
          acts: true,
          query: commandQuery,
          body: z.object({ command: z.string().max(4096).optional().describe("Used when the query has no command") }),
          response: mcsmEnvelope(instanceRef),
          errors: agentErrors,
        },
      },
    },
    {
      pattern: "/api/protected_instance/outputlog",
      methods: { GET: instanceOutputLog },
      docs: { GET: { summary: "An instance's recent console output (MCSManager)", query: outputQuery, response: mcsmEnvelope(z.string()), errors: agentErrors } },
    },
    {
      pattern: "/api/service/remote_service",
      methods: { POST: daemonCreate, PUT: daemonUpdate, DELETE: daemonDelete },
      docs: {
        POST: { acts: true,
          summary: "Add a daemon (MCSManager)",
          description:
            "In Fleetdeck a daemon is a server whose agent connects to the panel: this adds the server (named after remarks, else ip) " +
            "and answers its uuid. ip, port, prefix and apiKey are accepted and ignored (agents dial in with their own secret); the " +
            "agent's install line is on the server's page in the panel. The new daemon is offline until its agent connects: it is " +
            "listed by remote_services_list and remote_services with available: false and left out of remote_services_system.",
          admin: true,
          body: daemonBody,
          response: mcsmEnvelope(z.string().describe("The new daemon's uuid")),
          errors,
        },
        PUT: { acts: true,
          summary: "Change a daemon's remarks (MCSManager)",
          description: "Only remarks mean something here (ip, port, prefix, apiKey, setting are accepted and ignored). Answers true.",
          admin: true,
          query: uuidQuery,
          body: daemonBody,
          response: mcsmEnvelope(z.literal(true)),
          errors,
        },
        DELETE: { acts: true,
          summary: "Delete a daemon (MCSManager)",
          description: "Deletes the server; its agent is disconnected and refused from now on. Answers true.",
          admin: true,
          query: uuidQuery,
          response: mcsmEnvelope(z.literal(true)),
          errors,
        },
      },
    },
    {
      pattern: "/api/service/link_remote_service",
      methods: { GET: daemonLink },
      docs: {
        GET: {
          summary: "Whether a daemon is connected (MCSManager)",
          description: "Agents dial the panel, so there is nothing to reconnect from here: true when the daemon's agent is connected now, false when it is offline.",
          admin: true,
          query: uuidQuery,
          response: mcsmEnvelope(z.boolean()),
          errors,
        },
      },
    },
    {
      pattern: "/api/auth/search",
      methods: { GET: userSearch },
      docs: {
        GET: {
          summary: "Search users (MCSManager)",
          description: "Secrets are masked (passWord, salt and secret empty; apiKey masked). Both page_size and pageSize are read (the published SDKs send pageSize).",
          admin: true,
          query: userSearchQuery,
          response: mcsmEnvelope(z.object({ page: z.number().int(), pageSize: z.number().int(), maxPage: z.number().int(), total: z.number().int(), data: z.array(mcsmUser) })),
          errors,
        },
      },
    },
    {
      pattern: "/api/auth",
      methods: { GET: whoAmI, POST: userCreate, PUT: userUpdate, DELETE: userDelete },
      docs: {
        GET: {
          summary: "The caller (MCSManager)",
          description: "A cookie session must send X-Requested-With: XMLHttpRequest, as in MCSManager. An admin may name another user with ?uuid=.",
          query: z.object({ uuid: z.string().max(64).optional().describe("Admins only: another user's uuid") }),
          response: mcsmEnvelope(mcsmMe),
          errors: { ...errors, 404: "Unknown user uuid" },
        },
        POST: { acts: true,
          summary: "Add a user (MCSManager)",
          description: "permission: 10 admin, 1 user, 0 user without permissions (the same as 1 in Fleetdeck: new users have no grants), -1 disabled. JSON or form-encoded.",
          admin: true,
          body: userCreateBody,
          response: mcsmEnvelope(z.object({ uuid: z.string(), userName: z.string(), permission: z.number().int() })),
          errors: { ...errors, 409: "The user name is taken" },
        },
        PUT: { acts: true,
          summary: "Change a user (MCSManager)",
          description: "Only the given config fields change: permission, passWord (non-empty), instances (replaces the assigned instances). Answers true.",
          admin: true,
          body: userUpdateBody,
          response: mcsmEnvelope(z.literal(true)),
          errors: { ...errors, 404: "Unknown user uuid, or an instance not on the named daemon" },
        },
        DELETE: { acts: true,
          summary: "Delete users (MCSManager)",
          description: "The body is a JSON array of user uuids; nothing is deleted when one is unknown. Answers true.",
          admin: true,
          body: z.array(z.string()),
          response: mcsmEnvelope(z.literal(true)),
          errors: { ...errors, 404: "Unknown user uuid" },
        },
      },
    },
    ...(
      [
        ["open", multiOpen, "Start"],
        ["stop", multiStop, "Stop"],
        ["restart", multiRestart, "Restart"],
        ["kill", multiKill, "Kill"],
        // The JS SDK names the start action multi_start.
        ["start", multiOpen, "Start"],
      ] as const
    ).flatMap(([name, handler, verb]) =>
      ["/api/instance", "/api/protected_instance"].map((base) => ({
        pattern: `${base}/multi_${name}`,
        methods: { POST: handler },
        docs: {
          POST: { acts: true,
            summary: `${verb} many instances (MCSManager)`,
            description:
              `${base === "/api/instance" ? (name === "start" ? "Alias of multi_open. " : "") : "The path one published SDK posts to (with the list in the query); same as /api/instance/multi_" + (name === "start" ? "open" : name) + ". "}` +
              "Answers true at once once every item names a known instance of a known daemon; the actions then run in the background, " +
              "each audited. Instances on an offline daemon are skipped (their attempt is audited).",
            admin: true,
            body: batchBody,
            response: mcsmEnvelope(z.literal(true)),
            errors: { ...errors, 404: "Unknown daemon or instance (nothing is done)" },
          },
        },
      })),
    ),
  ],
  notFound: mcsmNotFound,
  methodNotAllowed: mcsmMethodNotAllowed,
};

registerDialect(mcsmDialect);
