import { uiOk, uiRoute } from "@/lib/http/ui";
import { changeOwnPassword } from "@/lib/profile";

export const POST = uiRoute(async (req, me) => {
  const body = ((await req.json()) ?? {}) as { current?: string; password?: string };
  await changeOwnPassword(me.userId, String(body.current ?? ""), String(body.password ?? ""), { id: me.userId, name: me.username, ip: req.ip });
  return uiOk({ ok: true });
});
