/**
 * Update scans (`POST /winupdate/{agent_id}/scan/`): the agent lists what its package manager
 * would upgrade, and the panel keeps the latest list per server in PendingUpdate. Tactical RMM
 * answers the scan request at once and the scan runs in the background; so do we, and a machine
 * that is offline gets its scan when it is back.
 */
import { z } from "zod";
import type { PendingUpdate } from "../../agent/protocol";
import { audit } from "../audit";
import type { Principal } from "../auth/principal";
import { db } from "../db";
import type { Actor } from "./actor";
import { AgentRequestError, askAgent, isAgentConnected } from "./agents";
import { unavailable } from "./errors";
import type { LiveEntry } from "./live";
import { singleton } from "../global";
import { requirePermission } from "./policy";
import { queueJob } from "./queue";
import { metaChange, nodeId, onPeerChange, onPeerGone, onSharedValue, shareValue } from "./cluster";

/** The agent's own scan gives up after 120 s; allow it a little more to answer. */
const SCAN_ANSWER_MS = 130_000;

export interface ScanStatus {
  state: "running" | "done" | "failed";
  startedAt: string;
  finishedAt: string | null;
  manager: string | null;
  found: number | null;
  error: string | null;
}

const scans = singleton("trmmUpdateScans", () => new Map<number, ScanStatus>());
/**
 * Several panel processes: which process runs each scan (this one's id for its own). Every
 * process answers a scan's progress, whichever started it: a scan's status is shared with the
 * others as it changes (lib/fleet/cluster.ts shareValue), and a process that joins later asks
 * its peers for what they carry.
 */
const carriers = singleton("updateScanCarriers", () => new Map<number, string>());
/** The scans under way, so that a queued scan and a requested one share one agent request. */
const running = singleton("updateScansRunning", () => new Map<number, Promise<ScanStatus>>());
/**
 * Pending-update counts per server, so agent lists (has_patches_pending) never query per agent.
 * Loaded once from the database, then kept in step by every stored scan.
 */
const counts = singleton("trmmPendingCounts", () => ({ loaded: null as Promise<Map<number, number>> | null }));

// Another panel process stored a scan: reload the counts on next use.
onPeerChange("u", () => (counts.loaded = null));

const MAX_SHARED_ERROR = 500;

/** Tells the other processes where a scan this process runs stands. */
function share(serverId: number, status: ScanStatus): void {
  carriers.set(serverId, nodeId());
  shareValue("v", serverId, { ...status, error: status.error?.slice(0, MAX_SHARED_ERROR) ?? null });
}

/** A peer's scan status, as published by share(). */
const sharedScan = z.object({
  state: z.enum(["running", "done", "failed"]),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  manager: z.string().nullable(),
  found: z.number().nullable(),
  error: z.string().nullable(),
});

onSharedValue("v", {
  apply(serverId, value, from) {
    const parsed = sharedScan.safeParse(value);
    if (!parsed.success) return;
    const status: ScanStatus = parsed.data;
    // A scan this process runs itself is its own to report.
    if (running.has(serverId)) return;
    scans.set(serverId, status);
    carriers.set(serverId, from);
  },
  carried() {
    const me = nodeId();
    return [...carriers].filter(([, node]) => node === me).flatMap(([id]) => (scans.has(id) ? [[id, scans.get(id)] as [number, unknown]] : []));
  },
});

// The process running a scan is gone: its scan will never finish; say so rather than "running".
onPeerGone("updateScans", (node) => {
  for (const [serverId, carrier] of carriers) {
    const status = scans.get(serverId);
    if (carrier !== node || status?.state !== "running") continue;
    scans.set(serverId, {
      ...status,
      state: "failed",
      finishedAt: new Date().toISOString(),
      error: `interrupted: the panel process running the scan (${node}) stopped; scan again`,
    });
  }
});

export function pendingCounts(): Promise<Map<number, number>> {
  return (counts.loaded ??= db.pendingUpdate
    .groupBy({ by: ["serverId"], _count: { _all: true } })
    .then((rows) => new Map(rows.map((r) => [r.serverId, r._count._all])))
    .catch((e: unknown) => {
      counts.loaded = null;
      throw e;
    }));
}

export function scanStatus(serverId: number): ScanStatus | null {
  return scans.get(serverId) ?? null;
}

/**
 * Starts a scan unless one is already running for this server (the caller gets the same answer:
 * the running scan's result will be stored). An agent without an open connection gets the scan
 * queued (lib/fleet/queue.ts): it runs when the agent connects again, as Tactical RMM's answer
 * ("a scan will be performed") promises.
 */
export async function startUpdateScan(p: Principal, actor: Actor, entry: LiveEntry): Promise<"started" | "queued"> {
  requirePermission(p, "canManageWinupdates");
  const serverId = entry.meta.id;
  if (!isAgentConnected(serverId)) {
    await queueJob(p, actor, entry, { kind: "scan" });
    return "queued";
  }
  if (scans.get(serverId)?.state === "running") return "started";
  void audit({ action: "agent.updates.scan", actorId: actor.id, actorName: actor.name, target: entry.meta.name, detail: `server #${serverId}`, ip: actor.ip }).catch(() => undefined);
  void runUpdateScan(serverId).catch(() => undefined);
  return "started";
}

/**
 * Runs a scan now and settles when its result is stored (or it failed); no permission check (the
 * caller did it, now or when it queued the scan). Joins a scan already running on the server.
 */
export function runUpdateScan(serverId: number): Promise<ScanStatus> {
  const current = running.get(serverId);
  if (current) return current;
  if (!isAgentConnected(serverId)) return Promise.reject(unavailable("The agent is not connected", "offline"));
  const status: ScanStatus = { state: "running", startedAt: new Date().toISOString(), finishedAt: null, manager: null, found: null, error: null };
  scans.set(serverId, status);
  share(serverId, status);
  const done = askAgent(serverId, "updates.scan", {}, SCAN_ANSWER_MS)
    .then(async (r) => {
      await storeScan(serverId, r.manager, r.updates);
      Object.assign(status, { state: "done", manager: r.manager, found: r.updates.length });
    })
    .catch((e: unknown) => {
      const reason = e instanceof AgentRequestError ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e);
      Object.assign(status, { state: "failed", error: reason });
    })
    .then(() => {
      status.finishedAt = new Date().toISOString();
      running.delete(serverId);
      // The status object may have been replaced by a peer's meanwhile; this run's outcome wins.
      scans.set(serverId, status);
      share(serverId, status);
      return status;
    });
  running.set(serverId, done);
  return done;
}

/** Replaces a server's pending updates with a scan's result, in one transaction. */
async function storeScan(serverId: number, manager: string, updates: PendingUpdate[]): Promise<void> {
  const scannedAt = new Date();
  await db.$transaction([
    db.pendingUpdate.deleteMany({ where: { serverId } }),
    db.pendingUpdate.createMany({ data: updates.map((u) => ({ serverId, manager, scannedAt, ...u })) }),
  ]);
  (await pendingCounts()).set(serverId, updates.length);
  metaChange("u", serverId);
}

export type PendingUpdateRow = Awaited<ReturnType<typeof pendingUpdates>>[number];

export async function pendingUpdates(p: Principal, entry: LiveEntry) {
  requirePermission(p, "canManageWinupdates");
  return db.pendingUpdate.findMany({ where: { serverId: entry.meta.id }, orderBy: { name: "asc" } });
}
