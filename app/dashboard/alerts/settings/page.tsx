import { requireAdmin } from "@/lib/auth/session";
import { AlertSettings } from "@/components/alerts/rules-view";

// Rules and channels make the panel send requests and mail: administrators only.
export default async function AlertSettingsPage() {
  await requireAdmin();
  return <AlertSettings />;
}
