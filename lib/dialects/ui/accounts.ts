/** The UI's account pages: first-run setup, users, personal tokens, admin keys, profile, audit log. */
import { z } from "zod";
import { auditPage } from "../../audit";
import { notFound } from "../../fleet/errors";
import { changeOwnPassword, confirmTotp, disableTotp, profileOf, startTotp } from "../../fleet/profile";
import { idParam as tokenIdParam, issueKey, issueToken, keyCreateSchema, keyUpdateSchema, listKeys, listTokens, revokeKey, revokeToken, updateKey } from "../../fleet/tokens";
import { setupFirstAdmin, createUser, deleteUser, listUsers, roleSchema, updateUser, userPatchSchema } from "../../fleet/users";
import { bodyOf, idParam, publicUi, uiOk, withUi } from "./envelope";
import { publicStatusEnabled, setPublicStatus } from "../../fleet/public-status";
import { parseWith } from "../guard";

// ---- setup (anonymous, while no user exists) -------------------------------------------------------

const setupBody = z.object({ username: z.string(), password: z.string(), setupCode: z.string().max(100).optional() });

/**
 * Creates the first administrator while no user exists, for whoever has the one-time setup code
 * the panel printed in its log (403 without it); 409 afterwards.
 */
export const setup = publicUi(async (req) => {
  const input = setupBody.safeParse(await bodyOf(req));
  if (!input.success) return { status: 400, body: { error: "Send {username, password, setupCode} as JSON" } };
  const user = await setupFirstAdmin(input.data, { id: null, name: "setup", ip: req.ip });
  return uiOk({ id: user.id, username: user.username, role: user.role }, 201);
});

// ---- users (admins) ----------------------------------------------------------------------------------

const newUserBody = z.object({ username: z.string().max(1000).default(""), password: z.string().max(1000).default(""), role: roleSchema.optional() });

function userId(raw: string | undefined): number {
  const id = idParam(raw);
  if (id === null) throw notFound("user", "No such user");
  return id;
}

export const usersList = withUi(async () => uiOk(await listUsers()), { admin: true });

export const userCreate = withUi(
  async (req, _me, actor) => {
    const user = await createUser(newUserBody.parse(await bodyOf(req)), actor);
    return uiOk({ id: user.id, username: user.username, role: user.role }, 201);
  },
  { admin: true },
);

export const userEdit = withUi(
  async (req, _me, actor) => {
    const user = await updateUser(userId(req.params.id), userPatchSchema.parse(await bodyOf(req)), actor);
    return uiOk({ id: user.id, username: user.username, role: user.role, disabled: user.disabled });
  },
  { admin: true },
);

export const userDelete = withUi(
  async (req, _me, actor) => {
    await deleteUser(userId(req.params.id), actor);
    return uiOk({ ok: true });
  },
  { admin: true },
);

// ---- personal tokens (their owner; admins see everyone's) --------------------------------------------

/** The caller's personal tokens (an admin sees everyone's, with their owner). */
export const tokensList = withUi(async (_req, me) => uiOk(await listTokens(me, "token")));

/** Answers the secret this once; afterwards only its prefix is ever shown. */
export const tokenCreate = withUi(async (req, me, actor) => uiOk(await issueToken(me, await bodyOf(req), actor.ip), 201));

export const tokenDelete = withUi(async (req, me, actor) => {
  await revokeToken(me, tokenIdParam(req.params.id, "token"), "token", actor.ip);
  return uiOk({ ok: true });
});

// ---- admin-issued keys -------------------------------------------------------------------------------

export const keysList = withUi(async () => uiOk(await listKeys()), { admin: true });

/** Answers the secret this once, as `token`. */
export const keyCreate = withUi(
  async (req, _me, actor) => {
    const { key, secret } = await issueKey(actor, keyCreateSchema.parse(await bodyOf(req)));
    return uiOk({ key, token: secret }, 201);
  },
  { admin: true },
);

export const keyEdit = withUi(
  async (req, _me, actor) => uiOk(await updateKey(actor, tokenIdParam(req.params.id, "key"), keyUpdateSchema.parse(await bodyOf(req)))),
  { admin: true },
);

export const keyDelete = withUi(
  async (req, _me, actor) => {
    await revokeKey(actor, tokenIdParam(req.params.id, "key"));
    return uiOk({ ok: true });
  },
  { admin: true },
);

// ---- the caller's own profile ------------------------------------------------------------------------

const passwordBody = z.object({ current: z.string().max(1000).default(""), password: z.string().max(1000).default("") });
const totpConfirmBody = z.object({ secret: z.string().max(200).default(""), code: z.string().max(20).default("") });
const totpDisableBody = z.object({ password: z.string().max(1000).default("") });

export const passwordChange = withUi(async (req, me, actor) => {
  const body = passwordBody.parse(await bodyOf(req));
  await changeOwnPassword(me.userId, body.current, body.password, actor);
  return uiOk({ ok: true });
});

/** The user's 2FA state and a new secret + QR code to enable it with. */
export const totpState = withUi(async (_req, me) => {
  const profile = await profileOf(me.userId);
  return uiOk({ enabled: profile?.totpEnabled ?? false, ...(profile?.totpEnabled ? {} : await startTotp(me.username)) });
});

/** {secret, code}: enables 2FA once a code from that secret checks out. */
export const totpEnable = withUi(async (req, me, actor) => {
  const body = totpConfirmBody.parse(await bodyOf(req));
  await confirmTotp(me.userId, body.secret, body.code, actor);
  return uiOk({ enabled: true });
});

/** {password}: turns 2FA off. */
export const totpDisable = withUi(async (req, me, actor) => {
  const body = totpDisableBody.parse(await bodyOf(req));
  await disableTotp(me.userId, body.password, actor);
  return uiOk({ enabled: false });
});

// ---- audit log (admins) -------------------------------------------------------------------------------

/** `?before=<id>&limit=<1-200>&action=<action or family>`, newest first. */
export const auditLog = withUi(async (req) => uiOk(await auditPage(Object.fromEntries(req.query))), { admin: true });

/** The public status view's switch (lib/fleet/public-status.ts): admins only, audited. */
export const publicStatusGet = withUi(async () => uiOk({ enabled: await publicStatusEnabled() }), { admin: true });
export const publicStatusSet = withUi(
  async (req, me, actor) => {
    const { enabled } = parseWith(z.object({ enabled: z.boolean() }), await req.json());
    return uiOk({ enabled: await setPublicStatus(me, actor, enabled) });
  },
  { admin: true },
);
