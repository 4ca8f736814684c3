import type { Principal } from "../auth/principal";

/**
 * Who did something, from where: what the audit log records beside every action. Built once per
 * request by the dialect's wrapper (lib/dialects/guard.ts) and handed to the handler.
 */
export interface Actor {
  /** null for the panel itself (start-up, the CLI acting as the system). */
  id: number | null;
  name: string;
  ip?: string;
  /** The token that carried the request, when one did. */
  tokenId?: number;
}

export const SYSTEM: Actor = { id: null, name: "system" };

export function actorOf(p: Principal, ip?: string): Actor {
  return { id: p.userId, name: p.username, ip, ...(p.tokenId !== undefined ? { tokenId: p.tokenId } : {}) };
}
