import { ApiError } from "@/lib/dialects/common";
import { uiOk, uiRoute } from "@/lib/http/ui";
import { rotateSecret } from "@/lib/fleet/servers";
import { enrollment, serverIdSchema } from "@/lib/fleet/server-view";

/** A new agent secret, shown once: the old one is refused from now on and its agent cut off. */
export const POST = uiRoute(
  async (req, me) => {
    const id = serverIdSchema.safeParse(req.params.id);
    if (!id.success) throw new ApiError(404, "No such server");
    const { server, secret } = await rotateSecret(id.data, { id: me.userId, name: me.username, ip: req.ip });
    return uiOk({ id: server.id, name: server.name, ...enrollment(req, secret) });
  },
  { admin: true },
);
