import { ApiError } from "@/lib/dialects/common";
import { uiOk, uiRoute } from "@/lib/http/ui";
import { live } from "@/lib/fleet/live";
import { createServer, serverInputSchema } from "@/lib/fleet/servers";
import { enrollment, serverRow } from "@/lib/fleet/server-view";

/** Every server with its live metrics, in display order (the servers view polls this every 2 s). */
export const GET = uiRoute(async (_req, me) => {
  await live.ready();
  const admin = me.role === "admin";
  const now = Date.now();
  return uiOk(live.all().map((e) => serverRow(e, { admin }, now)));
});

/** Adds a server; the answer is the only time its secret (and the agent command) is shown. */
export const POST = uiRoute(
  async (req, me) => {
    const body = (await req.json()) ?? {};
    if (typeof body !== "object" || Array.isArray(body)) throw new ApiError(400, "The body must be a JSON object");
    const input = serverInputSchema.parse(body);
    const { server, secret } = await createServer(input, { id: me.userId, name: me.username, ip: req.ip });
    return uiOk({ id: server.id, name: server.name, ...enrollment(req, secret) }, 201);
  },
  { admin: true },
);
