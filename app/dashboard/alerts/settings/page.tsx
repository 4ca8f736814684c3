import { redirect } from "next/navigation";
import { requireUser } from "@/lib/auth/session";
import { AlertSettings } from "@/components/alerts/rules-view";

// Rules: administrators and users with the monitoring grant. Channels (they make the panel send
// requests and mail) and maintenance: administrators only.
export default async function AlertSettingsPage() {
  const me = await requireUser();
  if (!(me.role === "admin" || me.perms.canManageMonitoring)) redirect("/");
  return <AlertSettings isAdmin={me.role === "admin"} />;
}
