import { requireAdmin } from "@/lib/auth/session";
import { UsersAdmin } from "@/components/users-admin";

export default async function UsersPage() {
  const me = await requireAdmin();
  return <UsersAdmin myId={me.userId} />;
}
