/**
 * Update scans (`POST /winupdate/{agent_id}/scan/`): the agent lists what its package manager
 * would upgrade, and the panel keeps the latest list per server in PendingUpdate. Tactical RMM
 * answers the scan request at once and the scan runs in the background; so do we.
 */
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
import { metaChange, onPeerChange } from "./cluster";

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
 * Pending-update counts per server, so agent lists (has_patches_pending) never query per agent.
 * Loaded once from the database, then kept in step by every stored scan.
 */
const counts = singleton("trmmPendingCounts", () => ({ loaded: null as Promise<Map<number, number>> | null }));

// Another panel process stored a scan: reload the counts on next use.
onPeerChange("u", () => (counts.loaded = null));

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
 * the running scan's result will be stored). An agent without an open connection is refused at
 * once rather than accepted and silently never scanned.
 */
export function startUpdateScan(p: Principal, actor: Actor, entry: LiveEntry): void {
  requirePermission(p, "canManageWinupdates");
  const serverId = entry.meta.id;
  if (!isAgentConnected(serverId)) throw unavailable("Unable to contact the agent: it is not connected", "offline");
  if (scans.get(serverId)?.state === "running") return;
  const status: ScanStatus = { state: "running", startedAt: new Date().toISOString(), finishedAt: null, manager: null, found: null, error: null };
  scans.set(serverId, status);
  void audit({ action: "agent.updates.scan", actorId: actor.id, actorName: actor.name, target: entry.meta.name, detail: `server #${serverId}`, ip: actor.ip }).catch(() => undefined);
  void askAgent(serverId, "updates.scan", {}, SCAN_ANSWER_MS)
    .then(async (r) => {
      await storeScan(serverId, r.manager, r.updates);
      Object.assign(status, { state: "done", manager: r.manager, found: r.updates.length });
    })
    .catch((e: unknown) => {
      const reason = e instanceof AgentRequestError ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e);
      Object.assign(status, { state: "failed", error: reason });
    })
    .finally(() => {
      status.finishedAt = new Date().toISOString();
    });
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
