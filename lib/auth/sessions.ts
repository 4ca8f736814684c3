import crypto from "node:crypto";
import { db } from "../db";
import { revoked } from "./revocation";

/**
 * Browser sessions on the server: each sign-in records a Session row whose id (`sid`) the
 * next-auth JWT carries; authenticate.ts refuses a cookie whose session was ended, so signing out
 * ends the session itself, not only the browser's copy of the cookie.
 */
export const SESSION_MAX_AGE_S = 7 * 24 * 3600;

export async function startSession(userId: number, ip: string, userAgent: string): Promise<string> {
  const id = crypto.randomBytes(24).toString("base64url");
  await db.session.create({
    data: { id, userId, ip: ip.slice(0, 64), userAgent: userAgent.slice(0, 300), expiresAt: new Date(Date.now() + SESSION_MAX_AGE_S * 1000) },
  });
  return id;
}

/** Ends one session, in this process at once and in the others within the revocation poll. */
export async function endSession(sid: string): Promise<void> {
  await db.session.updateMany({ where: { id: sid, revokedAt: null }, data: { revokedAt: new Date() } });
  await revoked();
}
