import { z } from "zod";
import { db } from "../db";
import { createToken, deleteTokens, flushTokenUse, forgetUserTokens, type CreatedToken } from "../auth/tokens";
import type { Principal } from "../auth/principal";
import { audit } from "../audit";
import { sha256, TOKEN_SHOWN_LENGTH } from "../auth/secrets";
import { apisSchema, cidrsSchema, columnsOf, narrowColumns, scopeView, type ApiName, type ScopeColumns, type ScopeInput } from "../auth/scope";
import { actorOf, type Actor } from "./actor";
import { forbidden, invalid, notFound } from "./errors";
import { canSeeToken, isAdmin } from "./policy";

/**
 * Personal API tokens (Nezha's model: made by their owner, with a note) and admin-issued keys
 * (Tactical RMM's model: an admin names a key that acts as a chosen user). Both are rows of the
 * one token table (lib/auth/tokens.ts) and authenticate the same way; this module holds the rules
 * the UI API, the Tactical RMM API and the CLI share.
 */

export const NOTE_MAX_LENGTH = 100;

export type TokenKind = "token" | "key";

/** A time without an offset is read as UTC, so a key's expiry does not depend on the server's zone. */
function toDate(iso: string): Date {
  const hasZone = /(?:[zZ]|[+-]\d\d:\d\d)$/.test(iso);
  return new Date(iso.length === 10 || hasZone ? iso : `${iso}Z`);
}

/** An expiry: an ISO 8601 date or date-time, in the future. */
export const expirationSchema = z
  .union([z.iso.datetime({ offset: true, local: true }), z.iso.date()], {
    error: "Expiration must be an ISO 8601 date or date-time (e.g. 2030-01-31T12:00:00Z)",
  })
  .transform(toDate)
  .refine((d) => d.getTime() > Date.now(), "Expiration must be in the future")
  .describe("ISO 8601 date or date-time (UTC when no offset is given); must be in the future");

export const noteSchema = z
  .string({ error: "Note must be a string" })
  .trim()
  .max(NOTE_MAX_LENGTH, `Note must be at most ${NOTE_MAX_LENGTH} characters`);

export const keyNameSchema = z
  .string({ error: "Name is required" })
  .trim()
  .min(1, "Name is required")
  .max(NOTE_MAX_LENGTH, `Name must be at most ${NOTE_MAX_LENGTH} characters`);

/** A user's id as a JSON number or a numeric string (HTML forms and some clients send strings). */
export const userRefSchema = z.union([z.number().int().positive(), z.string().regex(/^\d{1,12}$/).transform(Number)], {
  error: "User must be a user id",
});

/** A token's limits at creation (lib/auth/scope.ts); absent = no limit (or its parent's). */
export const scopeFields = {
  readOnly: z.boolean({ error: "readOnly must be true or false" }).optional().describe("Only routes that read; any route that changes or runs something answers 403"),
  apis: apisSchema.optional(),
  allowedCidrs: cidrsSchema.optional(),
};

/** The UI's "Add Token": a note and, optionally, an expiry and limits. The token is always the caller's own. */
export const tokenCreateSchema = z.object({
  note: noteSchema.default(""),
  expiresAt: expirationSchema.nullish(),
  ...scopeFields,
});

/** An admin-issued key. */
export const keyCreateSchema = z.object({
  name: keyNameSchema,
  userId: userRefSchema,
  expiresAt: expirationSchema.nullish(),
  ...scopeFields,
});

export const keyUpdateSchema = z.object({
  name: keyNameSchema.optional(),
  userId: userRefSchema.optional(),
  /** null removes the expiry. */
  expiresAt: expirationSchema.nullish(),
});

export type KeyCreate = z.output<typeof keyCreateSchema>;
export type KeyUpdate = z.output<typeof keyUpdateSchema>;

/** What a listing shows of a token: never the secret, only its first characters. */
export interface TokenView {
  id: number;
  kind: TokenKind;
  prefix: string;
  note: string;
  owner: { id: number; username: string };
  createdBy: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  /** Its limits: read-only, APIs (empty = all), source CIDRs (empty = anywhere). */
  scope: { readOnly: boolean; apis: ApiName[]; allowedCidrs: string[] };
  /** The token whose request made this one, if any: this one is bound by it and revoked with it. */
  parentId: number | null;
}

const rowInclude = { user: { select: { id: true, username: true } } } as const;
type TokenRow = Awaited<ReturnType<typeof findRows>>[number];

function findRows(where: { id?: number; userId?: number; kind?: TokenKind }) {
  return db.apiToken.findMany({ where, orderBy: { id: "asc" }, include: rowInclude });
}

async function toViews(rows: TokenRow[]): Promise<TokenView[]> {
  const creatorIds = [...new Set(rows.map((r) => r.createdById).filter((id): id is number => id !== null))];
  const creators = creatorIds.length
    ? new Map((await db.user.findMany({ where: { id: { in: creatorIds } }, select: { id: true, username: true } })).map((u) => [u.id, u.username]))
    : new Map<number, string>();
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind === "key" ? "key" : "token",
    prefix: r.prefix,
    note: r.note,
    owner: r.user,
    createdBy: r.createdById === null ? null : (creators.get(r.createdById) ?? null),
    createdAt: r.createdAt,
    lastUsedAt: r.lastUsedAt,
    expiresAt: r.expiresAt,
    scope: scopeView(r),
    parentId: r.parentId,
  }));
}

/**
 * The tokens of one kind a principal may see: its own, or everyone's for an admin. Last-used
 * times are batched in memory (lib/auth/tokens.ts); they are written first so the list is current.
 */
export async function listTokens(p: Principal, kind: TokenKind): Promise<TokenView[]> {
  await flushTokenUse();
  return toViews(await findRows(isAdmin(p) ? { kind } : { kind, userId: p.userId }));
}


/** A personal token for the caller (a token never carries more than its owner's rights). */
export function issueToken(p: Principal, input: unknown, ip?: string): Promise<CreatedToken> {
  return issueTokenFor(p.userId, input, actorOf(p, ip));
}

/** A token for `userId`, made by `actor` (the caller itself, or an operator at the CLI). */
export async function issueTokenFor(userId: number, input: unknown, actor: Actor): Promise<CreatedToken> {
  const { note, expiresAt, readOnly, apis, allowedCidrs } = tokenCreateSchema.parse(input ?? {});
  const bound = await boundByParent(actor, { readOnly, apis, allowedCidrs }, expiresAt ?? null);
  return createToken({ userId, note, kind: "token", ...bound, actor: { id: actor.id, name: actor.name }, ip: actor.ip });
}

/** Field names in error messages: the UI's camelCase by default, Tactical RMM's snake_case for its keys. */
export interface ScopeFieldNames {
  expiresAt: string;
  readOnly: string;
  apis: string;
  allowedCidrs: string;
}
const UI_FIELDS: ScopeFieldNames = { expiresAt: "expiresAt", readOnly: "readOnly", apis: "apis", allowedCidrs: "allowedCidrs" };

/**
 * Tokens cannot breed: a token or key made by a request that was itself authenticated by a token
 * gets that token as parent — never a broader scope, never a later expiry (none asked = the
 * parent's), and deleted with it (ApiToken.parent cascades). A request with a session or from the
 * CLI makes a token with exactly the scope asked.
 */
async function boundByParent(
  actor: Actor,
  scope: ScopeInput,
  expiresAt: Date | null,
  names: ScopeFieldNames = UI_FIELDS,
): Promise<{ scope: ScopeColumns; expiresAt: Date | null; parentId: number | null }> {
  if (actor.tokenId === undefined) return { scope: columnsOf(scope), expiresAt, parentId: null };
  const parent = await db.apiToken.findUnique({ where: { id: actor.tokenId }, select: { readOnly: true, apis: true, allowedCidrs: true, expiresAt: true } });
  if (!parent) throw forbidden("The token of this request was revoked");
  const narrowed = narrowColumns(parent, scope);
  if ("field" in narrowed) {
    const field = names[narrowed.field as keyof ScopeFieldNames] ?? narrowed.field;
    throw invalid(narrowed.message, { [field]: [narrowed.message] });
  }
  let expiry = expiresAt;
  if (parent.expiresAt) {
    if (!expiry) expiry = parent.expiresAt;
    else if (expiry > parent.expiresAt) {
      const message = `A token made with a token cannot outlive it (it expires ${parent.expiresAt.toISOString()})`;
      throw invalid(message, { [names.expiresAt]: [message] });
    }
  }
  return { scope: narrowed.columns, expiresAt: expiry, parentId: actor.tokenId };
}

/**
 * The tokens an operator means by `ref`: the whole secret, or the prefix a listing shows (which
 * two tokens share once in 64^6 times: the caller decides what to do with several).
 */
export async function tokensMatching(ref: string): Promise<TokenView[]> {
  const where = ref.length > TOKEN_SHOWN_LENGTH ? { hash: sha256(ref) } : { prefix: ref };
  return toViews(await db.apiToken.findMany({ where, orderBy: { id: "asc" }, include: rowInclude }));
}

/** Every token and key, for the operator (the CLI). */
export async function allTokens(): Promise<TokenView[]> {
  await flushTokenUse();
  return toViews(await findRows({}));
}

/**
 * Deletes a token the principal may see. Someone else's token is "not found" to a non-admin, so
 * ids cannot be probed.
 */
export async function revokeToken(p: Principal, id: number, kind: TokenKind, ip?: string): Promise<void> {
  const row = await db.apiToken.findUnique({ where: { id }, select: { userId: true, kind: true } });
  if (!row || row.kind !== kind || !canSeeToken(p, row.userId)) throw notFound(kind, notFoundMessage(kind));
  await deleteTokens([id], actorOf(p), ip);
}

export const notFoundMessage = (kind: TokenKind) => (kind === "key" ? "No such API key" : "No such token");

async function requireUser(userId: number, field: string): Promise<{ id: number; username: string }> {
  const user = await db.user.findUnique({ where: { id: userId }, select: { id: true, username: true } });
  if (!user) throw invalid(`User ${userId} does not exist`, { [field]: [`Invalid pk "${userId}" - object does not exist.`] });
  return user;
}

/** Admin-issued keys: all of them (admins only reach this). */
export async function listKeys(): Promise<TokenView[]> {
  await flushTokenUse();
  return toViews(await findRows({ kind: "key" }));
}

export async function findKey(id: number): Promise<TokenView | null> {
  const rows = await findRows({ id, kind: "key" });
  return rows.length ? (await toViews(rows))[0] : null;
}

/**
 * An admin issues a key acting as `userId`. `userField` names the body field in error messages
 * (the UI says userId, Tactical RMM says user).
 */
export async function issueKey(
  actor: Actor,
  input: KeyCreate,
  userField = "userId",
  names: ScopeFieldNames = UI_FIELDS,
): Promise<{ key: TokenView; secret: string }> {
  await requireUser(input.userId, userField);
  const bound = await boundByParent(actor, { readOnly: input.readOnly, apis: input.apis, allowedCidrs: input.allowedCidrs }, input.expiresAt ?? null, names);
  const created = await createToken({ userId: input.userId, note: input.name, kind: "key", ...bound, actor, ip: actor.ip });
  const key = await findKey(created.id);
  if (!key) throw notFound("key", notFoundMessage("key"));
  return { key, secret: created.token };
}

/** Renames a key, points it at another user or changes its expiry. */
export async function updateKey(actor: Actor, id: number, patch: KeyUpdate, userField = "userId", expiryField = "expiresAt"): Promise<TokenView> {
  const row = await db.apiToken.findUnique({ where: { id }, include: rowInclude });
  if (!row || row.kind !== "key") throw notFound("key", notFoundMessage("key"));
  if (actor.tokenId !== undefined && patch.expiresAt !== undefined) {
    // A token cannot make a key outlive itself either (no breeding by editing instead of creating).
    const own = await db.apiToken.findUnique({ where: { id: actor.tokenId }, select: { expiresAt: true } });
    if (!own) throw forbidden("The token of this request was revoked");
    if (own.expiresAt && (!patch.expiresAt || patch.expiresAt > own.expiresAt)) {
      const message = `A token cannot set an expiry later than its own (${own.expiresAt.toISOString()})`;
      throw invalid(message, { [expiryField]: [message] });
    }
  }
  const owner = patch.userId !== undefined ? await requireUser(patch.userId, userField) : row.user;
  await db.apiToken.update({
    where: { id },
    data: {
      ...(patch.name !== undefined ? { note: patch.name } : {}),
      ...(patch.userId !== undefined ? { userId: patch.userId } : {}),
      ...(patch.expiresAt !== undefined ? { expiresAt: patch.expiresAt } : {}),
    },
  });
  // The cache holds each token's owner and expiry; a changed key must be re-read at its next use, in every process.
  await forgetUserTokens();
  const changes = [
    patch.name !== undefined && `name="${patch.name}"`,
    patch.userId !== undefined && `user=${owner.username}`,
    patch.expiresAt !== undefined && `expires=${patch.expiresAt ? patch.expiresAt.toISOString() : "never"}`,
  ].filter(Boolean);
  await audit({
    action: "key.update",
    actorId: actor.id,
    actorName: actor.name,
    target: owner.username,
    detail: `#${row.id} ${row.prefix}… ${changes.join(" ")}`.trim(),
    ip: actor.ip,
  });
  const key = await findKey(id);
  if (!key) throw notFound("key", notFoundMessage("key"));
  return key;
}

export async function revokeKey(actor: Actor, id: number): Promise<void> {
  const row = await db.apiToken.findUnique({ where: { id }, select: { kind: true } });
  if (!row || row.kind !== "key") throw notFound("key", notFoundMessage("key"));
  await deleteTokens([id], actor, actor.ip);
}

/** A path parameter as a row id; anything else is simply not found. */
export function idParam(raw: string | undefined, kind: TokenKind): number {
  const id = Number(raw);
  if (!raw || !/^\d{1,12}$/.test(raw) || !Number.isSafeInteger(id) || id <= 0) throw notFound(kind, notFoundMessage(kind));
  return id;
}
