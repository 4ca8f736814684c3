import crypto from "node:crypto";

/** SHA-256 hex of a secret: what the database keeps instead of API tokens and agent secrets. */
export function sha256(secret: string): string {
  // The one-shot form costs a third of createHash's on a token-sized input, and every
  // token-authenticated request hashes its token.
  return crypto.hash("sha256", secret, "hex");
}

/**
 * A new secret: `prefix` + 32 random bytes (256 bits) in base64url, so only `[A-Za-z0-9_-]`
 * (safe in a header, a query string and a shell) and recognisable by its prefix.
 */
export function newSecret(prefix: string): string {
  return prefix + crypto.randomBytes(32).toString("base64url");
}

export const TOKEN_PREFIX = "fdk_";
export const AGENT_SECRET_PREFIX = "fda_";
/** How much of a token is shown after creation: the prefix plus a few characters. */
export const TOKEN_SHOWN_LENGTH = TOKEN_PREFIX.length + 6;
