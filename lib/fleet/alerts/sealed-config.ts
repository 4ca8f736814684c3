/**
 * Channel settings hold credentials the panel must read back (webhook URLs with tokens in them,
 * header values, SMTP passwords), so they are encrypted at rest with AES-256-GCM under the
 * panel's secret key: FLEETDECK_SECRET_KEY, or a key generated once into DATA_DIR/secret-key
 * (0600). A database copy alone then reveals no channel credential.
 *
 * This is the channels' own narrow door to that key (`sealConfig` / `openConfig`); when the
 * panel-wide sealing helper exists, these two functions are the only place to switch over.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { config } from "../../env";
import { singleton } from "../../global";

const PREFIX = "v1:";

function loadKey(): Buffer {
  const env = config();
  if (env.FLEETDECK_SECRET_KEY) return Buffer.from(env.FLEETDECK_SECRET_KEY, "base64");
  const file = path.join(env.DATA_DIR, "secret-key");
  try {
    const key = Buffer.from(fs.readFileSync(file, "utf8").trim(), "base64");
    if (key.length === 32) return key;
  } catch {
    // not there yet: made below
  }
  fs.mkdirSync(env.DATA_DIR, { recursive: true });
  const key = crypto.randomBytes(32);
  try {
    // "wx": two processes starting at once must not each write a different key.
    fs.writeFileSync(file, key.toString("base64") + "\n", { mode: 0o600, flag: "wx" });
    return key;
  } catch {
    return Buffer.from(fs.readFileSync(file, "utf8").trim(), "base64");
  }
}

const secretKey = () => singleton("alertsSecretKey", loadKey);

/** Encrypts a JSON-able value: `v1:` + base64url(iv ‖ tag ‖ ciphertext). */
export function sealConfig(value: unknown): string {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv("aes-256-gcm", secretKey(), iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(value), "utf8"), cipher.final()]);
  return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url");
}

/** Decrypts what sealConfig made; throws when the key is not the one it was sealed with. */
export function openConfig(sealed: string): unknown {
  if (!sealed.startsWith(PREFIX)) throw new Error("channel settings are not sealed with a known format");
  const raw = Buffer.from(sealed.slice(PREFIX.length), "base64url");
  const decipher = crypto.createDecipheriv("aes-256-gcm", secretKey(), raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  return JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8"));
}
