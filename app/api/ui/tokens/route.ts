import { uiOk, uiRoute } from "@/lib/http/ui";
import { issueToken, listTokens } from "@/lib/tokens-admin";

/** The caller's personal tokens (an admin sees everyone's, with their owner). */
export const GET = uiRoute(async (_req, me) => uiOk(await listTokens(me, "token")));

/** Answers the secret this once; afterwards only its prefix is ever shown. */
export const POST = uiRoute(async (req, me) => {
  const created = await issueToken(me, await req.json(), req.ip);
  return uiOk(created, 201);
});
