import { z } from "zod";
import { ApiError } from "../dialects/common";
import type { ApiRequest } from "../http/api";
import { isOnline, live, type LiveEntry } from "../fleet/live";
import { instancesOf, instanceState } from "../fleet/instances";
import { updateServer } from "../fleet/servers";
import type { Actor } from "../users";
import { toApiError } from "./control";
import { ensureTotals, instanceCounts } from "./daemons";

/** What the daemon pages of the panel UI show (/api/ui/daemons/**): plain view models. */

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

export async function daemonRows(): Promise<DaemonRow[]> {
  await live.ready();
  await ensureTotals();
  const now = Date.now();
  return live.all().map((e) => daemonRowOf(e, now));
}

/** The `[id]` path parameter as a live daemon, or 404. */
export async function daemonFromParams(req: ApiRequest): Promise<LiveEntry> {
  await live.ready();
  const id = Number(req.params.id);
  const e = Number.isSafeInteger(id) && id > 0 ? live.get(id) : undefined;
  if (!e) throw new ApiError(404, "No such daemon");
  return e;
}

export async function daemonDetail(e: LiveEntry): Promise<{ daemon: DaemonRow; instances: InstanceRowView[] }> {
  await ensureTotals();
  const rows = await instancesOf(e.meta.id);
  return {
    daemon: daemonRowOf(e),
    instances: rows.map((r) => {
      const s = instanceState(e.meta.id, r.uuid);
      return {
        uuid: r.uuid, name: r.name, startCommand: r.startCommand, cwd: r.cwd, stopCommand: r.stopCommand, autoRestart: r.autoRestart,
        status: s.status, pid: s.pid, exitCode: s.exitCode, startedAt: s.startedAt,
      };
    }),
  };
}

export const remarksBody = z.object({ remarks: z.string().max(2000) });

export async function setRemarks(e: LiveEntry, body: unknown, actor: Actor): Promise<DaemonRow> {
  const { remarks } = remarksBody.parse(body ?? {});
  try {
    await updateServer(e.meta.id, { remarks }, actor);
  } catch (err) {
    throw toApiError(err, "change the remarks");
  }
  return daemonRowOf(live.get(e.meta.id) ?? e);
}

export const actorOf = (req: ApiRequest, p: { userId: number; username: string }): Actor => ({ id: p.userId, name: p.username, ip: req.ip });

export const instanceBody = z.object({
  name: z.string(),
  startCommand: z.string(),
  cwd: z.string().optional(),
  stopCommand: z.string().optional(),
  autoRestart: z.boolean().optional(),
});
export const instancePatchBody = instanceBody.partial();
export const actionBody = z.object({ action: z.enum(["start", "stop", "restart", "kill"]) });
export const commandBody = z.object({ command: z.string().max(4096) });
