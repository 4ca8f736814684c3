import { requireUser } from "@/lib/auth/session";
import { AlertHistory } from "@/components/alerts/alert-history";

export default async function AlertsPage() {
  const me = await requireUser();
  return <AlertHistory isAdmin={me.role === "admin"} canManage={(me.role === "admin" || me.perms.canManageMonitoring)} />;
}
