/**
 * One-time enrollment codes: what the one-line install carries instead of an agent secret, so
 * no secret lands in a command line, `ps` or a shell history. An admin asks for a code for a
 * server; install.sh sends it once to `POST /agent/enroll` and receives a fresh secret for that
 * server (the secret is rotated at that moment: only its hash is ever stored).
 *
 * A code is valid for an hour and usable once. Codes are kept as SHA-256 hashes, like tokens.
 *
 * Storage sits behind EnrollmentCodeStore: the panel uses DatabaseEnrollmentCodeStore (the
 * EnrollmentCode table), so codes survive a restart and every panel process sees them; the
 * in-memory store serves unit tests.
 */
import { db } from "../db";
import { singleton } from "../global";
import { newSecret, sha256 } from "../auth/secrets";
import type { Actor } from "./actor";
import { asDomainError } from "./errors";
import { rotateSecret } from "./servers";

export const ENROLLMENT_CODE_PREFIX = "fde_";
export const ENROLLMENT_CODE_TTL_MS = 60 * 60_000;

export interface EnrollmentCode {
  codeHash: string;
  serverId: number;
  createdById: number | null;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
}

export interface EnrollmentCodeStore {
  save(code: EnrollmentCode): Promise<void>;
  /**
   * Marks the code used if it is unused and unexpired at `now`, atomically (two installs racing
   * with one code: one wins). Returns the code as it was found, and whether this call claimed it;
   * null for an unknown code.
   */
  claim(codeHash: string, now: number): Promise<{ code: EnrollmentCode; claimed: boolean } | null>;
  /** Forgets codes that expired before `before`. */
  prune(before: number): Promise<void>;
}

/** Codes in the panel's memory (see the note at the top of this file). */
export class InMemoryEnrollmentCodeStore implements EnrollmentCodeStore {
  private readonly codes = new Map<string, EnrollmentCode>();

  async save(code: EnrollmentCode): Promise<void> {
    this.codes.set(code.codeHash, { ...code });
  }

  async claim(codeHash: string, now: number): Promise<{ code: EnrollmentCode; claimed: boolean } | null> {
    const code = this.codes.get(codeHash);
    if (!code) return null;
    const found = { ...code };
    const claimed = code.usedAt === null && code.expiresAt > now;
    if (claimed) code.usedAt = now;
    return { code: found, claimed };
  }

  async prune(before: number): Promise<void> {
    for (const [hash, code] of this.codes) if (code.expiresAt < before) this.codes.delete(hash);
  }
}

/** Codes in the EnrollmentCode table; `claim` is one conditional UPDATE, so one racing install wins. */
export class DatabaseEnrollmentCodeStore implements EnrollmentCodeStore {
  async save(code: EnrollmentCode): Promise<void> {
    await db.enrollmentCode.create({
      data: { hash: code.codeHash, serverId: code.serverId, createdById: code.createdById, createdAt: new Date(code.createdAt), expiresAt: new Date(code.expiresAt) },
    });
  }

  async claim(codeHash: string, now: number): Promise<{ code: EnrollmentCode; claimed: boolean } | null> {
    const row = await db.enrollmentCode.findUnique({ where: { hash: codeHash } });
    if (!row) return null;
    const found: EnrollmentCode = {
      codeHash, serverId: row.serverId, createdById: row.createdById, createdAt: row.createdAt.getTime(), expiresAt: row.expiresAt.getTime(), usedAt: row.usedAt?.getTime() ?? null,
    };
    const { count } = await db.enrollmentCode.updateMany({ where: { hash: codeHash, usedAt: null, expiresAt: { gt: new Date(now) } }, data: { usedAt: new Date(now) } });
    return { code: found, claimed: count === 1 };
  }

  async prune(before: number): Promise<void> {
    await db.enrollmentCode.deleteMany({ where: { expiresAt: { lt: new Date(before - 24 * 3600_000) } } });
  }
}

const store = singleton<EnrollmentCodeStore>("enrollmentCodes", () => new DatabaseEnrollmentCodeStore());

export type EnrollmentRefusal = "unknown" | "used" | "expired" | "server_gone";

const REFUSALS: Record<EnrollmentRefusal, string> = {
  unknown: "this enrollment code is not known to the panel (check it was copied whole)",
  used: "this enrollment code was already used (codes work once): ask the panel for a new install line",
  expired: "this enrollment code has expired (codes are valid for an hour): ask the panel for a new install line",
  server_gone: "the server this code was made for has been deleted",
};

export class EnrollmentError extends Error {
  constructor(readonly reason: EnrollmentRefusal) {
    super(REFUSALS[reason]);
  }
}

/** A new code for a server, shown once. */
export async function createEnrollmentCode(serverId: number, actor: Actor, now = Date.now(), codes: EnrollmentCodeStore = store): Promise<{ code: string; expiresAt: number }> {
  await codes.prune(now);
  const code = newSecret(ENROLLMENT_CODE_PREFIX);
  const expiresAt = now + ENROLLMENT_CODE_TTL_MS;
  await codes.save({ codeHash: sha256(code), serverId, createdById: actor.id, createdAt: now, expiresAt, usedAt: null });
  return { code, expiresAt };
}

/** Exchanges a code for the server's (new) secret, once. */
export async function redeemEnrollmentCode(
  code: string,
  ip: string,
  now = Date.now(),
  codes: EnrollmentCodeStore = store,
): Promise<{ serverId: number; name: string; secret: string }> {
  if (!code.startsWith(ENROLLMENT_CODE_PREFIX) || code.length > 200) throw new EnrollmentError("unknown");
  const found = await codes.claim(sha256(code), now);
  if (!found) throw new EnrollmentError("unknown");
  if (!found.claimed) throw new EnrollmentError(found.code.usedAt !== null ? "used" : "expired");
  try {
    const { server, secret } = await rotateSecret(found.code.serverId, { id: found.code.createdById, name: "enrollment code", ip });
    return { serverId: server.id, name: server.name, secret };
  } catch (e) {
    if (asDomainError(e)?.kind === "not_found") throw new EnrollmentError("server_gone");
    throw e;
  }
}

/** The line an admin pastes on the new machine (as root): it carries the code, never the secret. */
export function installCommand(panelUrl: string, code: string): string {
  return `curl -fsSL ${panelUrl}/agent/install.sh | sudo sh -s -- --panel ${panelUrl} --code ${code}`;
}
