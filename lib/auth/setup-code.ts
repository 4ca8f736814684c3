import crypto from "node:crypto";
import { singleton } from "../global";

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
