import { ApiError } from "@/lib/dialects/common";
import { uiOk, uiRoute } from "@/lib/http/ui";
import { deleteUser, updateUser } from "@/lib/users";
import type { ApiRequest } from "@/lib/http/api";

function idOf(req: ApiRequest): number {
  const id = Number(req.params.id);
  if (!Number.isSafeInteger(id) || id <= 0) throw new ApiError(404, "No such user");
  return id;
}

export const PATCH = uiRoute(
  async (req, me) => {
    const user = await updateUser(idOf(req), ((await req.json()) ?? {}) as Record<string, never>, { id: me.userId, name: me.username, ip: req.ip });
    return uiOk({ id: user.id, username: user.username, role: user.role, disabled: user.disabled });
  },
  { admin: true },
);

export const DELETE = uiRoute(
  async (req, me) => {
    await deleteUser(idOf(req), { id: me.userId, name: me.username, ip: req.ip });
    return uiOk({ ok: true });
  },
  { admin: true },
);
