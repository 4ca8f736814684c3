import { uiOk, uiRoute } from "@/lib/http/ui";
import { confirmTotp, disableTotp, profileOf, startTotp } from "@/lib/profile";

/** GET: the user's 2FA state and a new secret + QR code to enable it with. */
export const GET = uiRoute(async (_req, me) => {
  const profile = await profileOf(me.userId);
  return uiOk({ enabled: profile?.totpEnabled ?? false, ...(profile?.totpEnabled ? {} : await startTotp(me.username)) });
});

/** POST {secret, code}: enables 2FA once a code from that secret checks out. */
export const POST = uiRoute(async (req, me) => {
  const body = ((await req.json()) ?? {}) as { secret?: string; code?: string };
  await confirmTotp(me.userId, String(body.secret ?? ""), String(body.code ?? ""), { id: me.userId, name: me.username, ip: req.ip });
  return uiOk({ enabled: true });
});

/** DELETE {password}: turns 2FA off. */
export const DELETE = uiRoute(async (req, me) => {
  const body = ((await req.json()) ?? {}) as { password?: string };
  await disableTotp(me.userId, String(body.password ?? ""), { id: me.userId, name: me.username, ip: req.ip });
  return uiOk({ enabled: false });
});
