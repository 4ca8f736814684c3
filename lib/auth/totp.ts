import { authenticator } from "otplib";

// One step of clock drift either way, as authenticator apps expect.
authenticator.options = { window: 1 };

const STEP_S = 30;

export const newTotpSecret = () => authenticator.generateSecret();
export const totpUri = (username: string, secret: string) => authenticator.keyuri(username, "Fleetdeck", secret);
export const checkTotp = (code: string, secret: string) => /^\d{6}$/.test(code) && authenticator.check(code, secret);

/**
 * The time step a code belongs to, or null when it matches none in the window. A code is usable
 * once: sign-in accepts a step only above the user's `totpLastStep` and records it atomically.
 */
export function totpStep(code: string, secret: string, now = Date.now()): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const delta = authenticator.checkDelta(code, secret);
  return delta === null ? null : Math.floor(now / 1000 / STEP_S) + delta;
}
