import { requireAdmin } from "@/lib/auth/session";
import { PublicStatusSwitch } from "@/components/public-status-switch";
import { AuditLog } from "./audit-log";

export default async function AuditPage() {
  await requireAdmin();
  return (
    <div className="space-y-4">
      <PublicStatusSwitch />
      <AuditLog />
    </div>
  );
}
