import { uiOk, uiRoute } from "@/lib/http/ui";
import { createUser, listUsers } from "@/lib/users";

export const GET = uiRoute(async () => uiOk(await listUsers()), { admin: true });

export const POST = uiRoute(
  async (req, me) => {
    const body = (await req.json()) as { username?: string; password?: string; role?: "admin" | "user" } | undefined;
    const user = await createUser(
      { username: body?.username ?? "", password: body?.password ?? "", role: body?.role },
      { id: me.userId, name: me.username, ip: req.ip },
    );
    return uiOk({ id: user.id, username: user.username, role: user.role }, 201);
  },
  { admin: true },
);
