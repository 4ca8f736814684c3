import { requireUser } from "@/lib/auth/session";
import { DaemonsList } from "@/components/daemons/daemons-list";

export default async function DaemonsPage() {
  const me = await requireUser();
  return <DaemonsList isAdmin={me.role === "admin"} />;
}
