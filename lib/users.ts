import { z } from "zod";
import { db } from "./db";
import { audit } from "./audit";
import { hashPassword } from "./auth/password";
import { forgetUser } from "./auth/principal";
import { forgetUserTokens } from "./auth/tokens";

export const usernameSchema = z
  .string()
  .trim()
  .min(1, "Username is required")
  .max(64, "Username must be at most 64 characters")
  .regex(/^[A-Za-z0-9_.@-]+$/, "Username may contain letters, digits and _ . @ - only");
export const passwordSchema = z
  .string()
  .min(8, "Password must be at least 8 characters")
  .max(256, "Password must be at most 256 characters");
export const roleSchema = z.enum(["admin", "user"]);

export const newUserSchema = z.object({
  username: usernameSchema,
  password: passwordSchema,
  role: roleSchema.default("user"),
});

export class UserError extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export interface Actor {
  id: number | null;
  name: string;
  ip?: string;
}

export const SYSTEM: Actor = { id: null, name: "system" };

export function userCount(): Promise<number> {
  return db.user.count();
}

export async function createUser(input: z.input<typeof newUserSchema>, actor: Actor) {
  const parsed = newUserSchema.safeParse(input);
  if (!parsed.success) throw new UserError(parsed.error.issues[0].message);
  const { username, password, role } = parsed.data;
  if (await db.user.findUnique({ where: { username } })) throw new UserError(`User "${username}" already exists`, 409);
  const user = await db.user.create({ data: { username, role, passwordHash: await hashPassword(password) } });
  await audit({ action: "user.create", actorId: actor.id, actorName: actor.name, target: username, detail: `role=${role}`, ip: actor.ip });
  return user;
}

/** Creates the first admin only while no user exists (the /setup page and ADMIN_* variables). */
export async function createFirstAdmin(input: { username: string; password: string }, actor: Actor) {
  if ((await userCount()) > 0) throw new UserError("Setup is already done: an administrator exists", 409);
  return createUser({ ...input, role: "admin" }, actor);
}

export const userPatchSchema = z.object({
  role: roleSchema.optional(),
  disabled: z.boolean().optional(),
  password: passwordSchema.optional(),
  canListAgents: z.boolean().optional(),
  canSendCmd: z.boolean().optional(),
  canManageWinupdates: z.boolean().optional(),
  allowedClients: z.string().max(1000).optional(),
  allowedSites: z.string().max(1000).optional(),
});

export async function updateUser(id: number, patch: z.input<typeof userPatchSchema>, actor: Actor) {
  const parsed = userPatchSchema.safeParse(patch);
  if (!parsed.success) throw new UserError(parsed.error.issues[0].message);
  const { password, ...rest } = parsed.data;
  const user = await db.user.findUnique({ where: { id } });
  if (!user) throw new UserError("No such user", 404);
  if (user.role === "admin" && (rest.role === "user" || rest.disabled) && (await activeAdmins()) <= 1) {
    throw new UserError("The last active administrator cannot be demoted or disabled");
  }
  // Signing a user out everywhere: a new password, a new role or being disabled.
  const revokeSessions = password !== undefined || (rest.role !== undefined && rest.role !== user.role) || rest.disabled === true;
  const updated = await db.user.update({
    where: { id },
    data: {
      ...rest,
      ...(password !== undefined ? { passwordHash: await hashPassword(password) } : {}),
      ...(revokeSessions ? { sessionVersion: { increment: 1 } } : {}),
    },
  });
  forgetUser(id);
  forgetUserTokens();
  const changed = Object.keys(parsed.data).map((k) => (k === "password" ? "password" : `${k}=${String(parsed.data[k as keyof typeof parsed.data])}`));
  await audit({ action: "user.update", actorId: actor.id, actorName: actor.name, target: user.username, detail: changed.join(" "), ip: actor.ip });
  return updated;
}

export async function deleteUser(id: number, actor: Actor) {
  const user = await db.user.findUnique({ where: { id } });
  if (!user) throw new UserError("No such user", 404);
  if (user.role === "admin" && !user.disabled && (await activeAdmins()) <= 1) throw new UserError("The last active administrator cannot be deleted");
  await db.user.delete({ where: { id } });
  forgetUser(id);
  forgetUserTokens();
  await audit({ action: "user.delete", actorId: actor.id, actorName: actor.name, target: user.username, ip: actor.ip });
}

function activeAdmins(): Promise<number> {
  return db.user.count({ where: { role: "admin", disabled: false } });
}

export function listUsers() {
  return db.user.findMany({
    orderBy: { id: "asc" },
    select: {
      id: true, username: true, role: true, disabled: true, totpEnabled: true, createdAt: true,
      canListAgents: true, canSendCmd: true, canManageWinupdates: true, allowedClients: true, allowedSites: true,
    },
  });
}

export function findUserByName(username: string) {
  return db.user.findUnique({ where: { username } });
}
