import crypto from "node:crypto";
import { db } from "../db";
import { singleton } from "../global";
import { clearAuthCaches } from "./cache";

/**
 * The revocation epoch: one row of the Setting table that every change which takes access away
 * (a token or key deleted or narrowed, a user disabled, deleted or changed, a session signed out)
 * rewrites. This process drops its caches at once when it makes such a change; every panel process
 * reads the row every POLL_MS (one primary-key read) and drops its caches when it changed, so a
 * change made by another process — another panel, or the CLI — applies within about a second.
 */
const KEY = "auth.revocationEpoch";
export const POLL_MS = 500;

const state = singleton("authRevocation", () => ({ seen: null as string | null, timer: null as NodeJS.Timeout | null, polling: false }));

/** Called after every change that revokes access: forget locally now, tell the other processes. */
export async function revoked(): Promise<void> {
  clearAuthCaches();
  const value = crypto.randomUUID();
  state.seen = value;
  await db.setting.upsert({ where: { key: KEY }, create: { key: KEY, value }, update: { value } });
  // A request that read the database before the write may have refilled a cache: drop it again.
  clearAuthCaches();
}

async function poll(): Promise<void> {
  if (state.polling) return;
  state.polling = true;
  try {
    const row = await db.setting.findUnique({ where: { key: KEY }, select: { value: true } });
    const value = row?.value ?? "";
    if (state.seen !== null && value !== state.seen) clearAuthCaches();
    state.seen = value;
  } catch {
    // The database is briefly unreachable: keep the caches (their TTLs still bound them) and retry.
  } finally {
    state.polling = false;
  }
}

/** Starts watching the epoch (the panel's processes; the CLI only writes it). */
export function watchRevocations(): () => void {
  if (!state.timer) {
    void poll();
    state.timer = setInterval(() => void poll(), POLL_MS);
    state.timer.unref();
  }
  return () => {
    if (state.timer) clearInterval(state.timer);
    state.timer = null;
  };
}
