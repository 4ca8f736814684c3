import { z } from "zod";
import type { ApiRequest } from "../../http/api";
import type { RouteDef } from "../../http/router";
import { expirationSchema, findKey, idParam, issueKey, keyNameSchema, listKeys, revokeKey, updateKey, userRefSchema, type TokenView } from "../../fleet/tokens";
import { apisSchema, cidrsSchema, API_NAMES } from "../../auth/scope";
import { ApiError } from "../guard";
import { TRMM_MESSAGES, withTrmm } from "./envelope";

/**
 * Tactical RMM's API keys (`/accounts/apikeys/`): an admin names a key that acts as a chosen user,
 * with an optional expiration. Two deliberate differences from Tactical RMM, which stores and lists
 * keys in plaintext: a listing never carries a secret (only its first characters, `prefix`), so
 * creation answers the new key once, in the field `key`, instead of "The API Key was added".
 */

export const trmmKeyCreateBody = z.object({
  name: keyNameSchema.describe("What the key is for (≤ 100 characters)"),
  user: userRefSchema.describe("The id of the user the key acts as: it has exactly that user's rights"),
  expiration: expirationSchema.nullish(),
  // Fleetdeck's additions (Tactical RMM has no key scopes): least privilege for a script's key.
  read_only: z.boolean().optional().describe("Fleetdeck addition: the key may call only routes that read; any route that changes or runs something answers 403"),
  apis: apisSchema.optional().describe(`Fleetdeck addition: the APIs the key may use, some of ${API_NAMES.join(", ")}; empty or absent = all`),
  allowed_ips: cidrsSchema.optional().describe("Fleetdeck addition: addresses or CIDRs (IPv4/IPv6) the key may be used from; empty or absent = anywhere"),
});

export const trmmKeyUpdateBody = z.object({
  name: keyNameSchema.optional(),
  user: userRefSchema.optional(),
  expiration: expirationSchema.nullish().describe("A new expiry in the future; null removes it"),
});

export const trmmKey = z.object({
  id: z.number().int(),
  name: z.string(),
  user: z.number().int().describe("The id of the user the key acts as"),
  username: z.string(),
  expiration: z.string().nullable().describe("ISO 8601; null = never expires"),
  created_by: z.string().nullable(),
  created_time: z.string(),
  prefix: z.string().describe("The key's first characters, to tell keys apart (the rest is never shown again)"),
  last_used: z.string().nullable(),
  read_only: z.boolean().describe("Fleetdeck addition: read-only key"),
  apis: z.array(z.enum(API_NAMES)).describe("Fleetdeck addition: the APIs it may use; empty = all"),
  allowed_ips: z.array(z.string()).describe("Fleetdeck addition: the CIDRs it may be used from; empty = anywhere"),
});

export const trmmKeyCreated = trmmKey.extend({ key: z.string().describe("The secret: shown this once, store it now") });

function trmmKeyOf(k: TokenView): z.output<typeof trmmKey> {
  return {
    id: k.id,
    name: k.note,
    user: k.owner.id,
    username: k.owner.username,
    expiration: k.expiresAt?.toISOString() ?? null,
    created_by: k.createdBy,
    created_time: k.createdAt.toISOString(),
    prefix: k.prefix,
    last_used: k.lastUsedAt?.toISOString() ?? null,
    read_only: k.scope.readOnly,
    apis: k.scope.apis,
    allowed_ips: k.scope.allowedCidrs,
  };
}

// Django's get_object_or_404 wording, as for agents.
const NO_KEY = "No APIKey matches the given query.";

function keyId(req: ApiRequest): number {
  try {
    return idParam(req.params.id, "key");
  } catch {
    throw new ApiError(404, NO_KEY);
  }
}

export const apiKeyList = withTrmm(async () => ({ status: 200, body: (await listKeys()).map(trmmKeyOf) }), { admin: true });

export const apiKeyCreate = withTrmm(
  async (req, _me, actor) => {
    const body = trmmKeyCreateBody.parse((await req.json()) ?? {});
    const { key, secret } = await issueKey(
      actor,
      { name: body.name, userId: body.user, expiresAt: body.expiration, readOnly: body.read_only, apis: body.apis, allowedCidrs: body.allowed_ips },
      "user",
      { expiresAt: "expiration", readOnly: "read_only", apis: "apis", allowedCidrs: "allowed_ips" },
    );
    return { status: 200, body: { ...trmmKeyOf(key), key: secret } };
  },
  { admin: true },
);

export const apiKeyUpdate = withTrmm(
  async (req, _me, actor) => {
    const id = keyId(req);
    // Tactical RMM's UI sends the whole key back, secret included: ignore it, a key's secret never changes.
    const body = trmmKeyUpdateBody.parse((await req.json()) ?? {});
    const key = await updateKey(actor, id, { name: body.name, userId: body.user, expiresAt: body.expiration }, "user", "expiration");
    return { status: 200, body: trmmKeyOf(key) };
  },
  { admin: true },
);

export const apiKeyDelete = withTrmm(
  async (req, _me, actor) => {
    await revokeKey(actor, keyId(req));
    return { status: 200, body: "The API Key was deleted" };
  },
  { admin: true },
);

/** One key (not in Tactical RMM, whose UI reads the listing; handy for scripts). */
export const apiKeyGet = withTrmm(
  async (req) => {
    const key = await findKey(keyId(req));
    if (!key) throw new ApiError(404, NO_KEY);
    return { status: 200, body: trmmKeyOf(key) };
  },
  { admin: true },
);

const errors = {
  400: "Field errors for a bad body (e.g. an expiration in the past, an unknown user)",
  403: TRMM_MESSAGES.forbidden,
};

export const trmmKeyRoutes: RouteDef[] = [
  {
    pattern: "/accounts/apikeys",
    methods: { GET: apiKeyList, POST: apiKeyCreate },
    docs: {
      GET: { summary: "List API keys (Tactical RMM)", description: "Admins only. Never contains a secret.", admin: true, response: z.array(trmmKey), errors: { 403: errors[403] } },
      POST: {
        summary: "Create an API key acting as a user (Tactical RMM)",
        acts: true,
        description: "Admins only. The answer carries the secret (`key`) this once; only its hash is stored.",
        admin: true,
        body: trmmKeyCreateBody,
        response: trmmKeyCreated,
        errors,
      },
    },
  },
  {
    pattern: "/accounts/apikeys/:id",
    methods: { GET: apiKeyGet, PUT: apiKeyUpdate, DELETE: apiKeyDelete },
    docs: {
      GET: { summary: "One API key (Fleetdeck addition)", admin: true, response: trmmKey, errors: { 403: errors[403], 404: NO_KEY } },
      PUT: {
        summary: "Rename an API key, change its user or expiration (Tactical RMM)",
        acts: true,
        description: "Admins only. A `key` field in the body is ignored: a key's secret never changes.",
        admin: true,
        body: trmmKeyUpdateBody,
        response: trmmKey,
        errors: { ...errors, 404: NO_KEY },
      },
      DELETE: {
        summary: "Delete an API key (Tactical RMM)",
        acts: true,
        description: "Admins only. The key is refused from its next request on.",
        admin: true,
        response: z.string().describe('"The API Key was deleted"'),
        errors: { 403: errors[403], 404: NO_KEY },
      },
    },
  },
];
