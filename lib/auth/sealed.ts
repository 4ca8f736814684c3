import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { ConfigError, config, type Env } from "../env";
import { singleton } from "../global";

/**
 * Secrets the panel must read back (TOTP seeds; later SMTP passwords, webhook URLs carrying
 * tokens) are sealed with AES-256-GCM under a key kept OUTSIDE the database — FLEETDECK_SECRET_KEY,
 * or DATA_DIR/secret-key generated on first use (0600) — so a copy of the database or of a backup
 * reveals none of them. Format: `v1:` + base64url(iv[12] | tag[16] | ciphertext). The version
 * prefix leaves room for another algorithm or a rotated key; a value without a known prefix is
 * legacy plaintext, read as it is and sealed at its next write.
 */
const PREFIX = "v1:";
const IV_BYTES = 12;
const TAG_BYTES = 16;

const state = singleton("sealKey", () => ({ key: null as Buffer | null }));

function decodeKey(text: string): Buffer {
  const key = Buffer.from(text.trim().replace(/-/g, "+").replace(/_/g, "/"), "base64");
  if (key.length !== 32) throw new Error("the secret key must be 32 bytes in base64");
  return key;
}

/** The sealing key: from the environment, else the data directory's file (made once, 0600). */
export function sealingKey(): Buffer {
  if (state.key) return state.key;
  const env = config();
  if (env.FLEETDECK_SECRET_KEY) return (state.key = decodeKey(env.FLEETDECK_SECRET_KEY));
  const file = path.join(env.DATA_DIR, "secret-key");
  try {
    return (state.key = decodeKey(fs.readFileSync(file, "utf8")));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  fs.mkdirSync(env.DATA_DIR, { recursive: true });
  try {
    // "wx": two processes starting at once must not each write a different key.
    fs.writeFileSync(file, crypto.randomBytes(32).toString("base64") + "\n", { mode: 0o600, flag: "wx" });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  }
  return (state.key = decodeKey(fs.readFileSync(file, "utf8")));
}

export const isSealed = (value: string): boolean => value.startsWith(PREFIX);

const KEY_CHECK = "seal.keyCheck";
/** What tells keys apart without revealing one: an HMAC of a fixed text under the key. */
export const keyCheckOf = (key: Buffer): string => crypto.createHmac("sha256", key).update("fleetdeck sealing key check v1").digest("base64url");

/**
 * On PostgreSQL, processes on several hosts share one database but each reads its own sealing
 * key (by design not in the database). The first process records which key seals the fleet's
 * secrets (a Setting row holding keyCheckOf); a process started with another key refuses to
 * start, saying why, instead of serving a fleet whose two-factor seeds and notification channels
 * it cannot read (the one holding the background jobs would send no alert at all).
 */
export async function checkSharedSealingKey(env: Env): Promise<void> {
  // SQLite: one process, one data folder, one key.
  if (!/^postgres(ql)?:\/\//.test(env.DATABASE_URL)) return;
  const mine = keyCheckOf(sealingKey());
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: env.DATABASE_URL, connectionTimeoutMillis: 15_000 });
  await client.connect();
  try {
    await client.query(`INSERT INTO "Setting" ("key", "value", "updatedAt") VALUES ($1, $2, now()) ON CONFLICT ("key") DO NOTHING`, [KEY_CHECK, mine]);
    const r = await client.query<{ value: string }>(`SELECT "value" FROM "Setting" WHERE "key" = $1`, [KEY_CHECK]);
    if (r.rows[0]?.value !== mine) {
      throw new ConfigError(
        `invalid configuration: FLEETDECK_SECRET_KEY (or ${path.join(env.DATA_DIR, "secret-key")}) is not the key that sealed this database's secrets, which the other panel processes use: ` +
          `set the same key on every process (docs/deploy.md). If that key is lost for good, delete the Setting row "${KEY_CHECK}"; what it sealed stays unreadable`,
      );
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

export function seal(plaintext: string, key = sealingKey()): string {
  const iv = crypto.randomBytes(IV_BYTES);
  const cipher = crypto.createCipheriv("aes-256-gcm", key, iv);
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url");
}

/**
 * The plaintext of a sealed value (or of legacy plaintext). Throws when the value was sealed with
 * another key or altered: the caller must not treat a secret it cannot read as empty.
 */
export function open(value: string, key = sealingKey()): string {
  if (!isSealed(value)) return value;
  const raw = Buffer.from(value.slice(PREFIX.length), "base64url");
  if (raw.length < IV_BYTES + TAG_BYTES) throw new Error("sealed value is truncated");
  const decipher = crypto.createDecipheriv("aes-256-gcm", key, raw.subarray(0, IV_BYTES));
  decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString("utf8");
}
