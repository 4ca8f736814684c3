import { requireAdmin } from "@/lib/auth/session";
import { AuditLog } from "./audit-log";

export default async function AuditPage() {
  await requireAdmin();
  return <AuditLog />;
}
