import { requireUser } from "@/lib/auth/session";
import { KeysAdmin } from "./keys-admin";
import { TokenManager } from "./token-manager";

export default async function TokensPage() {
  const me = await requireUser();
  const isAdmin = me.role === "admin";
  return (
    <div className="space-y-10">
      <TokenManager isAdmin={isAdmin} />
      {isAdmin && <KeysAdmin />}
    </div>
  );
}
