import { z } from "zod";
import type { ApiRequest } from "../../http/api";
import { notFound } from "../../fleet/errors";
import { ensureTotals, instanceCounts } from "../../fleet/instance-counts";
import {
  createInstance,
  deleteInstances,
  instancesOf,
  instancesVisibleTo,
  instanceState,
  readInstanceOutput,
  runInstanceAction,
  sendInstanceInput,
  updateInstance,
} from "../../fleet/instances";
import { isOnline, live, type LiveEntry } from "../../fleet/live";
import { updateServer } from "../../fleet/servers";
import { bodyOf, idParam, uiOk, withUi } from "./envelope";

/**
 * The daemon pages of the panel UI (/api/ui/daemons/**) and a user's own instances
 * (/api/ui/instances). Daemons as a whole are for admins, as in MCSManager; an instance's
 * console and controls are for admins and the users it is assigned to (the access policy).
 */

export interface DaemonRow {
  id: number;
  uuid: string;
  name: string;
  remarks: string;
  hostname: string;
  online: boolean;
  version: string;
  running: number;
  total: number;
  /** Percent, 0–100. */
  cpu: number;
  memUsed: number;
  memTotal: number;
  lastActive: number | null;
}

export interface InstanceRowView {
  uuid: string;
  name: string;
  startCommand: string;
  cwd: string;
  stopCommand: string;
  autoRestart: boolean;
  autoStart: boolean;
  status: "stopped" | "starting" | "running" | "stopping";
  pid: number | null;
  exitCode: number | null;
  startedAt: number | null;
}

export function daemonRowOf(e: LiveEntry, now = Date.now()): DaemonRow {
  const c = instanceCounts(e);
  return {
    id: e.meta.id,
    uuid: e.meta.agentId,
    name: e.meta.name,
    remarks: e.meta.remarks,
    hostname: e.host?.hostname ?? "",
    online: isOnline(e, now),
    version: e.host?.agentVersion ?? "",
    running: c.running,
    total: c.total,
    cpu: e.state?.cpu ?? 0,
    memUsed: e.state?.memUsed ?? 0,
    memTotal: e.state?.memTotal || e.host?.memTotal || 0,
    lastActive: e.lastActive,
  };
}

async function daemonRows(): Promise<DaemonRow[]> {
  await live.ready();
  await ensureTotals();
  const now = Date.now();
  return live.all().map((e) => daemonRowOf(e, now));
}

/** The `[id]` path parameter as a daemon, or not found. */
async function daemonOf(req: ApiRequest): Promise<LiveEntry> {
  await live.ready();
  const id = idParam(req.params.id);
  const e = id === null ? undefined : live.get(id);
  if (!e) throw notFound("server", "No such daemon");
  return e;
}

function instanceView(serverId: number, r: { uuid: string; name: string; startCommand: string; cwd: string; stopCommand: string; autoRestart: boolean; autoStart: boolean }): InstanceRowView {
  const s = instanceState(serverId, r.uuid);
  return {
    uuid: r.uuid, name: r.name, startCommand: r.startCommand, cwd: r.cwd, stopCommand: r.stopCommand, autoRestart: r.autoRestart,
    autoStart: r.autoStart, status: s.status, pid: s.pid, exitCode: s.exitCode, startedAt: s.startedAt,
  };
}

async function daemonDetail(e: LiveEntry): Promise<{ daemon: DaemonRow; instances: InstanceRowView[] }> {
  await ensureTotals();
  const rows = await instancesOf(e.meta.id);
  return { daemon: daemonRowOf(e), instances: rows.map((r) => instanceView(e.meta.id, r)) };
}

const remarksBody = z.object({ remarks: z.string().max(2000) });
const instanceBody = z.object({
  name: z.string(),
  startCommand: z.string(),
  cwd: z.string().optional(),
  stopCommand: z.string().optional(),
  autoRestart: z.boolean().optional(),
  autoStart: z.boolean().optional(),
});
const instancePatchBody = instanceBody.partial();
const actionBody = z.object({ action: z.enum(["start", "stop", "restart", "kill"]) });
const commandBody = z.object({ command: z.string().max(4096) });

/** Every daemon with its live figures (the daemon list polls this). */
export const listDaemons = withUi(async () => uiOk(await daemonRows()), { admin: true });

/** One daemon and its instances with their live status, start commands included: admins only. */
export const getDaemon = withUi(async (req) => uiOk(await daemonDetail(await daemonOf(req))), { admin: true });

/** Edits the daemon's remarks (MCSManager's display name for a daemon). */
export const editDaemon = withUi(
  async (req, _me, actor) => {
    const e = await daemonOf(req);
    const { remarks } = remarksBody.parse(await bodyOf(req));
    await updateServer(e.meta.id, { remarks }, actor);
    return uiOk(daemonRowOf(live.get(e.meta.id) ?? e));
  },
  { admin: true },
);

/** Defines an instance on the daemon (the panel syncs it to the agent). */
export const addInstance = withUi(
  async (req, me, actor) => {
    const daemon = await daemonOf(req);
    const row = await createInstance(me, actor, daemon.meta.id, instanceBody.parse(await bodyOf(req)));
    return uiOk({ uuid: row.uuid }, 201);
  },
  { admin: true },
);

export const editInstance = withUi(
  async (req, me, actor) => {
    const daemon = await daemonOf(req);
    const row = await updateInstance(me, actor, daemon.meta.id, req.params.uuid ?? "", instancePatchBody.parse(await bodyOf(req)));
    return uiOk({ uuid: row.uuid });
  },
  { admin: true },
);

/** Deletes the definition; the agent stops the instance if it runs. */
export const removeInstance = withUi(
  async (req, me, actor) => {
    const daemon = await daemonOf(req);
    await deleteInstances(me, actor, daemon.meta.id, [req.params.uuid ?? ""]);
    return uiOk({ ok: true });
  },
  { admin: true },
);

/** start | stop | restart | kill; answers the instance's state afterwards. */
export const instanceAction = withUi(async (req, me, actor) => {
  const daemon = await daemonOf(req);
  const { action } = actionBody.parse(await bodyOf(req));
  return uiOk(await runInstanceAction(me, actor, daemon.meta.id, req.params.uuid ?? "", action));
});

/** Writes one line to the instance's stdin. */
export const instanceInput = withUi(async (req, me, actor) => {
  const daemon = await daemonOf(req);
  const { command } = commandBody.parse(await bodyOf(req));
  await sendInstanceInput(me, actor, daemon.meta.id, req.params.uuid ?? "", command);
  return uiOk({ ok: true });
});

/** The instance's recent console output (the console polls this every 1.5 s). */
export const instanceOutput = withUi(async (req, me) => {
  const daemon = await daemonOf(req);
  return uiOk({ output: await readInstanceOutput(me, daemon.meta.id, req.params.uuid ?? "") });
});

/** The instances the caller may use (assigned ones; every one for an admin), with their daemon. */
export const myInstances = withUi(async (_req, me) =>
  uiOk(
    (await instancesVisibleTo(me)).map(({ row, server }) => ({
      daemonId: server.meta.id,
      daemonUuid: server.meta.agentId,
      daemonName: server.meta.remarks || server.meta.name,
      online: isOnline(server),
      instance: instanceView(server.meta.id, row),
    })),
  ),
);
