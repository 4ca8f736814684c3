import { requireUser } from "@/lib/auth/session";
import { MonitorsView } from "@/components/alerts/monitors-view";

export default async function MonitorsPage() {
  const me = await requireUser();
  return <MonitorsView canManage={me.role === "admin" || me.perms.canManageMonitoring} wholeFleet={me.role === "admin"} />;
}
