import QRCode from "qrcode";
import { db } from "../db";
import { audit } from "../audit";
import { verifyPassword } from "../auth/password";
import { newTotpSecret, totpStep, totpUri } from "../auth/totp";
import { forgetUser } from "../auth/principal";
import { isSealed, seal } from "../auth/sealed";
import type { Actor } from "./actor";
import { forbidden, invalid } from "./errors";
import { passwordSchema, TOKEN_CANNOT_CHANGE_OWNER, updateUser } from "./users";

/** Password and two-factor changes need the person, not a token they made (no account takeover). */
function refuseToken(actor: Actor): void {
  if (actor.tokenId !== undefined) throw forbidden(TOKEN_CANNOT_CHANGE_OWNER);
}

/** Changing one's own password needs the current one; it signs out every session. */
export async function changeOwnPassword(userId: number, current: string, next: string, actor: Actor) {
  refuseToken(actor);
  const user = await db.user.findUnique({ where: { id: userId } });
  if (!user || !(await verifyPassword(current, user.passwordHash))) throw forbidden("The current password is wrong");
  const parsed = passwordSchema.safeParse(next);
  if (!parsed.success) throw invalid(parsed.error.issues[0].message);
  await updateUser(userId, { password: next }, actor);
}

/** A fresh secret for the user to scan; nothing is stored until they confirm a code from it. */
export async function startTotp(username: string) {
  const secret = newTotpSecret();
  const uri = totpUri(username, secret);
  return { secret, uri, qr: await QRCode.toDataURL(uri) };
}

export async function confirmTotp(userId: number, secret: string, code: string, actor: Actor) {
  refuseToken(actor);
  if (!/^[A-Z2-7]{16,64}$/.test(secret)) throw invalid("Invalid secret");
  const step = totpStep(code, secret);
  if (step === null) throw invalid("That code does not match: check the time on your phone and try again");
  // Sealed with the key outside the database (lib/auth/sealed.ts); the confirming code is spent.
  await db.user.update({ where: { id: userId }, data: { totpSecret: seal(secret), totpEnabled: true, totpLastStep: step } });
  forgetUser(userId);
  await audit({ action: "user.2fa.enable", actorId: actor.id, actorName: actor.name, target: actor.name, ip: actor.ip });
}

export async function disableTotp(userId: number, password: string, actor: Actor) {
  refuseToken(actor);
  const user = await db.user.findUnique({ where: { id: userId } });
  if (!user || !(await verifyPassword(password, user.passwordHash))) throw forbidden("The password is wrong");
  await db.user.update({ where: { id: userId }, data: { totpSecret: null, totpEnabled: false } });
  forgetUser(userId);
  await audit({ action: "user.2fa.disable", actorId: actor.id, actorName: actor.name, target: actor.name, ip: actor.ip });
}

/** At start: seeds stored before they were sealed are sealed now (a copy of the database then holds none). */
export async function sealTotpSeeds(): Promise<number> {
  const rows = await db.user.findMany({ where: { totpSecret: { not: null } }, select: { id: true, totpSecret: true } });
  let sealed = 0;
  for (const row of rows) {
    if (!row.totpSecret || isSealed(row.totpSecret)) continue;
    await db.user.updateMany({ where: { id: row.id, totpSecret: row.totpSecret }, data: { totpSecret: seal(row.totpSecret) } });
    sealed++;
  }
  return sealed;
}

export async function profileOf(userId: number) {
  return db.user.findUnique({ where: { id: userId }, select: { id: true, username: true, role: true, totpEnabled: true } });
}
