import { uiOk, uiRoute } from "@/lib/http/ui";
import { idParam, keyUpdateSchema, revokeKey, updateKey } from "@/lib/tokens-admin";

export const PATCH = uiRoute(
  async (req, me) => {
    const patch = keyUpdateSchema.parse((await req.json()) ?? {});
    return uiOk(await updateKey({ id: me.userId, name: me.username, ip: req.ip }, idParam(req.params.id, "key"), patch));
  },
  { admin: true },
);

export const DELETE = uiRoute(
  async (req, me) => {
    await revokeKey({ id: me.userId, name: me.username, ip: req.ip }, idParam(req.params.id, "key"));
    return uiOk({ ok: true });
  },
  { admin: true },
);
