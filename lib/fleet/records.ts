import { db } from "../db";
import { loginThrottle } from "../auth/throttle";
import { singleton } from "../global";

/**
 * MCSManager's overview `record` counters, from the panel's own records. MCSManager counts since
 * its process started; so does this (the audit log keeps everything, the counters only this run):
 * - logined: successful sign-ins (audit `auth.login`);
 * - loginFailed: refused sign-ins (audit `auth.login.fail`; attempts refused by the throttle
 *   before any password check are not counted);
 * - illegalAccess: API requests refused for a bad credential (audit `auth.fail`, which keeps at
 *   most one per address, carrier and reason a minute);
 * - banips: addresses the sign-in throttle refuses right now (over its per-address ceiling).
 */
export interface PanelRecords {
  logined: number;
  illegalAccess: number;
  banips: number;
  loginFailed: number;
}

const TTL_MS = 2_000;
const state = singleton("panelRecords", () => ({
  since: new Date(),
  value: { logined: 0, illegalAccess: 0, banips: 0, loginFailed: 0 } as PanelRecords,
  at: 0,
  loading: null as Promise<PanelRecords> | null,
}));

export function panelRecords(): Promise<PanelRecords> {
  if (Date.now() - state.at < TTL_MS) return Promise.resolve(state.value);
  return (state.loading ??= (async () => {
    const count = (action: string) => db.auditLog.count({ where: { action, at: { gte: state.since } } });
    const [logined, loginFailed, illegalAccess] = await Promise.all([count("auth.login"), count("auth.login.fail"), count("auth.fail")]);
    state.value = { logined, loginFailed, illegalAccess, banips: loginThrottle.blockedAddresses() };
    state.at = Date.now();
    return state.value;
  })().finally(() => {
    state.loading = null;
  }));
}
