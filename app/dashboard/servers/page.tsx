import { requireUser } from "@/lib/auth/session";
import { ServersView } from "@/components/servers/servers-view";

export default async function ServersPage() {
  const me = await requireUser();
  return <ServersView isAdmin={me.role === "admin"} />;
}
