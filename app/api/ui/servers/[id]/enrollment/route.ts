import { ApiError } from "@/lib/dialects/common";
import { uiOk, uiRoute } from "@/lib/http/ui";
import { db } from "@/lib/db";
import { createEnrollmentCode, installCommand } from "@/lib/fleet/enrollment";
import { panelUrlFor, serverIdSchema } from "@/lib/fleet/server-view";

/**
 * A one-time enrollment code for this server (valid an hour, usable once) and the install line
 * that carries it: the machine running the line receives a fresh secret for the server.
 */
export const POST = uiRoute(
  async (req, me) => {
    const id = serverIdSchema.safeParse(req.params.id);
    const server = id.success ? await db.server.findUnique({ where: { id: id.data }, select: { id: true, name: true } }) : null;
    if (!server) throw new ApiError(404, "No such server");
    const { code, expiresAt } = await createEnrollmentCode(server.id, { id: me.userId, name: me.username, ip: req.ip });
    const panelUrl = panelUrlFor(
      { host: req.header("host"), forwardedHost: req.header("x-forwarded-host"), forwardedProto: req.header("x-forwarded-proto") },
      process.env.NEXTAUTH_URL,
    );
    return uiOk({ id: server.id, name: server.name, code, expiresAt: new Date(expiresAt).toISOString(), panelUrl, command: installCommand(panelUrl, code) });
  },
  { admin: true },
);
