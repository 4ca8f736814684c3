import { db } from "../db";
import { audit } from "../audit";
import { singleton } from "../global";
import type { Principal } from "../auth/principal";
import type { Actor } from "./actor";
import { requireAdmin } from "./policy";

/**
 * The optional public status view (as Nezha allows): when an administrator turns it on, callers
 * with no credential at all may read `/status` and Nezha's read routes, and see exactly the
 * servers not hidden from guests (`hide_for_guest`). Off by default: anonymous callers then get
 * each API's usual authentication error. One row of the Setting table, read at most every
 * couple of seconds per process (another process sees a change within that time).
 */
const KEY = "publicStatus";
const TTL_MS = 2_000;

const state = singleton("publicStatusSetting", () => ({ value: false, at: 0, loading: null as Promise<boolean> | null }));

export async function publicStatusEnabled(): Promise<boolean> {
  if (Date.now() - state.at < TTL_MS) return state.value;
  state.loading ??= db.setting
    .findUnique({ where: { key: KEY }, select: { value: true } })
    .then((row) => {
      state.value = row?.value === "on";
      state.at = Date.now();
      return state.value;
    })
    .finally(() => {
      state.loading = null;
    });
  return state.loading;
}

export async function setPublicStatus(p: Principal, actor: Actor, enabled: boolean): Promise<boolean> {
  requireAdmin(p);
  const value = enabled ? "on" : "off";
  await db.setting.upsert({ where: { key: KEY }, create: { key: KEY, value }, update: { value } });
  state.value = enabled;
  state.at = Date.now();
  await audit({ action: enabled ? "status.public.on" : "status.public.off", actorId: actor.id, actorName: actor.name, target: "public status view", ip: actor.ip });
  return enabled;
}
