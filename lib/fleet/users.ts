import { z } from "zod";
import { db, isUniqueViolation } from "../db";
import { audit } from "../audit";
import { hashPassword } from "../auth/password";
import { forgetUser } from "../auth/principal";
import { revoked } from "../auth/revocation";
import { clearSetupCode, setupCodeMatches } from "../auth/setup-code";
import type { Actor } from "./actor";
import { conflict, forbidden, invalid, notFound } from "./errors";

export { SYSTEM, type Actor } from "./actor";

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

export const TOKEN_CANNOT_CHANGE_OWNER = "A token cannot change its own owner's password or two-factor settings: sign in to do that";

export function userCount(): Promise<number> {
  return db.user.count();
}

export async function createUser(input: z.input<typeof newUserSchema>, actor: Actor) {
  const parsed = newUserSchema.safeParse(input);
  if (!parsed.success) throw invalid(parsed.error.issues[0].message);
  const { username, password, role } = parsed.data;
  if (await db.user.findUnique({ where: { username } })) throw conflict(`User "${username}" already exists`);
  // Checked above for the usual case; the unique index decides between two racing requests.
  const user = await db.user
    .create({ data: { username, role, passwordHash: await hashPassword(password) } })
    .catch((e: unknown) => {
      throw isUniqueViolation(e) ? conflict(`User "${username}" already exists`) : e;
    });
  await audit({ action: "user.create", actorId: actor.id, actorName: actor.name, target: username, detail: `role=${role}`, ip: actor.ip });
  return user;
}

const SETUP_DONE = "Setup is already done: an administrator exists";
/** The Setting row whose insertion claims the first administrator (its key is unique). */
const FIRST_ADMIN_KEY = "setup.firstAdmin";

/**
 * Creates the first admin only while no user exists (the /setup page and ADMIN_* variables), and
 * atomically: the transaction first inserts a fixed Setting row, whose primary key lets exactly one
 * of two racing requests (in one process or several, SQLite or PostgreSQL) get past it; the other
 * fails on the unique key and gets "already done". Check-then-insert would let both through.
 */
export async function createFirstAdmin(input: { username: string; password: string }, actor: Actor) {
  const parsed = newUserSchema.safeParse({ ...input, role: "admin" });
  if (!parsed.success) throw invalid(parsed.error.issues[0].message);
  const { username, password } = parsed.data;
  if ((await userCount()) > 0) throw conflict(SETUP_DONE);
  const passwordHash = await hashPassword(password);
  let user;
  try {
    user = await db.$transaction(async (tx) => {
      await tx.setting.create({ data: { key: FIRST_ADMIN_KEY, value: username } });
      if ((await tx.user.count()) > 0) throw conflict(SETUP_DONE);
      return tx.user.create({ data: { username, role: "admin", passwordHash } });
    });
  } catch (e) {
    if ((e as { code?: string }).code === "P2002" || /unique/i.test(String((e as Error).message))) throw conflict(SETUP_DONE);
    throw e;
  }
  clearSetupCode();
  await audit({ action: "user.create", actorId: actor.id, actorName: actor.name, target: username, detail: "role=admin (first administrator)", ip: actor.ip });
  return user;
}

/** The setup page: the first administrator, for whoever has the setup code from the panel's log. */
export async function setupFirstAdmin(input: { username: string; password: string; setupCode?: unknown }, actor: Actor) {
  if ((await userCount()) > 0) throw conflict(SETUP_DONE);
  if (!setupCodeMatches(input.setupCode)) {
    throw forbidden("The setup code is wrong: use the one-time code printed in the panel's log at start (look for \"setup code\")");
  }
  return createFirstAdmin({ username: input.username, password: input.password }, actor);
}

export const userPatchSchema = z.object({
  role: roleSchema.optional(),
  disabled: z.boolean().optional(),
  password: passwordSchema.optional(),
  canListAgents: z.boolean().optional(),
  canSendCmd: z.boolean().optional(),
  canManageWinupdates: z.boolean().optional(),
  canListClients: z.boolean().optional(),
  canManageClients: z.boolean().optional(),
  canListSites: z.boolean().optional(),
  canManageSites: z.boolean().optional(),
  canManageMonitoring: z.boolean().optional(),
  allowedClients: z.string().max(1000).optional(),
  allowedSites: z.string().max(1000).optional(),
  /** Uuids of the instances assigned to the user (MCSManager's model); replaces the whole list. */
  instances: z.array(z.string().min(1).max(200)).max(10_000).optional(),
});

export async function updateUser(id: number, patch: z.input<typeof userPatchSchema>, actor: Actor) {
  const parsed = userPatchSchema.safeParse(patch);
  if (!parsed.success) throw invalid(parsed.error.issues[0].message);
  const { password, instances, ...rest } = parsed.data;
  const user = await db.user.findUnique({ where: { id } });
  if (!user) throw notFound("user", "No such user");
  // A token has its owner's rights but cannot take the account over: no new password for its owner.
  if (actor.tokenId !== undefined && id === actor.id && password !== undefined) throw forbidden(TOKEN_CANNOT_CHANGE_OWNER);
  if (user.role === "admin" && (rest.role === "user" || rest.disabled) && (await activeAdmins()) <= 1) {
    throw invalid("The last active administrator cannot be demoted or disabled");
  }
  // Signing a user out everywhere: a new password, a new role or being disabled.
  const revokeSessions = password !== undefined || (rest.role !== undefined && rest.role !== user.role) || rest.disabled === true;
  const instanceIds = instances === undefined ? undefined : await instanceIdsOf(instances);
  const passwordHash = password !== undefined ? await hashPassword(password) : undefined;
  const updated = await db.$transaction(async (tx) => {
    if (instanceIds) {
      await tx.instanceAssignment.deleteMany({ where: { userId: id } });
      if (instanceIds.length) await tx.instanceAssignment.createMany({ data: instanceIds.map((instanceId) => ({ userId: id, instanceId })) });
    }
    return tx.user.update({
      where: { id },
      data: {
        ...rest,
        ...(passwordHash !== undefined ? { passwordHash } : {}),
        ...(revokeSessions ? { sessionVersion: { increment: 1 } } : {}),
      },
    });
  });
  forgetUser(id);
  await revoked();
  const changed = Object.keys(parsed.data).map((k) => (k === "password" ? "password" : `${k}=${String(parsed.data[k as keyof typeof parsed.data])}`));
  await audit({ action: "user.update", actorId: actor.id, actorName: actor.name, target: user.username, detail: changed.join(" "), ip: actor.ip });
  return updated;
}

export async function deleteUser(id: number, actor: Actor) {
  const user = await db.user.findUnique({ where: { id } });
  if (!user) throw notFound("user", "No such user");
  if (user.role === "admin" && !user.disabled && (await activeAdmins()) <= 1) throw invalid("The last active administrator cannot be deleted");
  await db.user.delete({ where: { id } });
  forgetUser(id);
  await revoked();
  await audit({ action: "user.delete", actorId: actor.id, actorName: actor.name, target: user.username, ip: actor.ip });
}

/** Instance uuids → row ids; an unknown uuid is a field error (nothing is half-assigned). */
async function instanceIdsOf(uuids: string[]): Promise<number[]> {
  const unique = [...new Set(uuids)];
  const rows = await db.instance.findMany({ where: { uuid: { in: unique } }, select: { id: true, uuid: true } });
  const missing = unique.filter((u) => !rows.some((r) => r.uuid === u));
  if (missing.length) throw invalid(`Unknown instance: ${missing.slice(0, 5).join(", ")}`, { instances: missing.slice(0, 20).map((u) => `Unknown instance ${u}`) });
  return rows.map((r) => r.id);
}

function activeAdmins(): Promise<number> {
  return db.user.count({ where: { role: "admin", disabled: false } });
}

export async function listUsers() {
  const rows = await db.user.findMany({
    orderBy: { id: "asc" },
    select: {
      id: true, username: true, role: true, disabled: true, totpEnabled: true, createdAt: true,
      canListAgents: true, canSendCmd: true, canManageWinupdates: true, canListClients: true, canManageClients: true,
      canListSites: true, canManageSites: true, canManageMonitoring: true, allowedClients: true, allowedSites: true,
      assignments: { select: { instance: { select: { uuid: true, name: true, server: { select: { id: true, agentId: true, name: true } } } } } },
    },
  });
  return rows.map(({ assignments, ...u }) => ({
    ...u,
    instances: assignments.map((a) => ({ uuid: a.instance.uuid, name: a.instance.name, daemonId: a.instance.server.agentId, serverId: a.instance.server.id, serverName: a.instance.server.name })),
  }));
}

export function findUserByName(username: string) {
  return db.user.findUnique({ where: { username } });
}
