import { authenticator } from "otplib";

// One step of clock drift either way, as authenticator apps expect.
authenticator.options = { window: 1 };

export const newTotpSecret = () => authenticator.generateSecret();
export const totpUri = (username: string, secret: string) => authenticator.keyuri(username, "Fleetdeck", secret);
export const checkTotp = (code: string, secret: string) => /^\d{6}$/.test(code) && authenticator.check(code, secret);
