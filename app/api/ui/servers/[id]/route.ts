import { ApiError } from "@/lib/dialects/common";
import { uiOk, uiRoute } from "@/lib/http/ui";
import type { ApiRequest } from "@/lib/http/api";
import { live } from "@/lib/fleet/live";
import { deleteServer, updateServer } from "@/lib/fleet/servers";
import { serverDetail, serverIdSchema, serverRow } from "@/lib/fleet/server-view";

function idOf(req: ApiRequest): number {
  const id = serverIdSchema.safeParse(req.params.id);
  if (!id.success) throw new ApiError(404, "No such server");
  return id.data;
}

/** One server: live metrics, host info and temperatures (from memory, like the list). */
export const GET = uiRoute(async (req, me) => {
  await live.ready();
  const entry = live.get(idOf(req));
  if (!entry) throw new ApiError(404, "No such server");
  return uiOk(serverDetail(entry, { admin: me.role === "admin" }));
});

export const PATCH = uiRoute(
  async (req, me) => {
    const id = idOf(req);
    await updateServer(id, (await req.json()) ?? {}, { id: me.userId, name: me.username, ip: req.ip });
    const entry = live.get(id);
    if (!entry) throw new ApiError(404, "No such server");
    return uiOk(serverRow(entry, { admin: true }));
  },
  { admin: true },
);

/** Deletes the server; its agent is disconnected and refused from now on. */
export const DELETE = uiRoute(
  async (req, me) => {
    await deleteServer(idOf(req), { id: me.userId, name: me.username, ip: req.ip });
    return uiOk({ ok: true });
  },
  { admin: true },
);
