import { uiOk, uiRoute } from "@/lib/http/ui";
import { issueKey, keyCreateSchema, listKeys } from "@/lib/tokens-admin";

export const GET = uiRoute(async () => uiOk(await listKeys()), { admin: true });

/** Answers the secret this once, as `token`. */
export const POST = uiRoute(
  async (req, me) => {
    const input = keyCreateSchema.parse((await req.json()) ?? {});
    const { key, secret } = await issueKey({ id: me.userId, name: me.username, ip: req.ip }, input);
    return uiOk({ key, token: secret }, 201);
  },
  { admin: true },
);
