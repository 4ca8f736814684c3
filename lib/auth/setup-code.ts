import crypto from "node:crypto";
import { singleton } from "../global";
import { db } from "../db";

/**
 * The first-run setup code. While no user exists, whoever reaches the panel first could make
 * themselves its administrator; so the setup page also asks for a code that only someone who can
 * read the panel's log has (as Jenkins and Portainer do). A new code is made at each start while
 * no user exists; it lives only in this process's memory.
 */
const ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"; // no 0/O, 1/I: read off a terminal
const state = singleton("setupCode", () => ({ code: null as string | null }));

/** A fresh code (4 groups of 4, 80 bits), remembered and returned for the log. */
export function newSetupCode(): string {
  const bytes = crypto.randomBytes(16);
  const chars = [...bytes].map((b) => ALPHABET[b % ALPHABET.length]).join("");
  state.code = chars.match(/.{4}/g)!.join("-");
  return state.code;
}

const SHARED_KEY = "auth.setupCode";

/**
 * Several panel processes (PostgreSQL): the setup page may be answered by any of them, so they
 * share one code through the Setting table. `fresh` (the first process of a fleet to start)
 * replaces the code a previous start left; the others adopt it, or make it if it is missing.
 */
export async function sharedSetupCode(fresh: boolean): Promise<string> {
  if (fresh) await db.setting.deleteMany({ where: { key: SHARED_KEY } });
  const mine = newSetupCode();
  // Whoever inserts first wins; the others' inserts fail on the key and they read the winner's.
  await db.setting.create({ data: { key: SHARED_KEY, value: mine } }).catch(() => undefined);
  const row = await db.setting.findUnique({ where: { key: SHARED_KEY } });
  state.code = row?.value ?? mine;
  return state.code;
}

/** Before the workers of PANEL_PROCESSES start: the code of a previous start is void. */
export async function voidSharedSetupCode(): Promise<void> {
  await db.setting.deleteMany({ where: { key: SHARED_KEY } });
}

export function clearSetupCode(): void {
  state.code = null;
}

const normal = (s: string) => s.toUpperCase().replace(/[^A-Z0-9]/g, "");

/** Whether `given` is the current code (compared in constant time; no code = nothing matches). */
export function setupCodeMatches(given: unknown): boolean {
  if (!state.code || typeof given !== "string" || given.length > 100) return false;
  const a = crypto.hash("sha256", normal(given), "buffer") as unknown as Buffer;
  const b = crypto.hash("sha256", normal(state.code), "buffer") as unknown as Buffer;
  return crypto.timingSafeEqual(a, b);
}

/** How the log announces it: impossible to miss, and says where it goes. */
export function setupCodeBanner(code: string, url: string): string {
  const line = "=".repeat(64);
  return [
    line,
    "fleetdeck: no administrator yet. Open the setup page and enter this one-time setup code:",
    "",
    `    ${code}`,
    "",
    `    ${url}/setup`,
    "",
    "(a new code is printed at each start until the first administrator exists)",
    line,
  ].join("\n");
}
