import { uiOk, uiRoute } from "@/lib/http/ui";
import { idParam, revokeToken } from "@/lib/tokens-admin";

export const DELETE = uiRoute(async (req, me) => {
  await revokeToken(me, idParam(req.params.id, "token"), "token", req.ip);
  return uiOk({ ok: true });
});
