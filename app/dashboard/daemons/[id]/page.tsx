import { notFound } from "next/navigation";
import { requireUser } from "@/lib/auth/session";
import { DaemonDetail } from "@/components/daemons/daemon-detail";

export default async function DaemonPage({ params }: { params: Promise<{ id: string }> }) {
  const me = await requireUser();
  const id = Number((await params).id);
  if (!Number.isSafeInteger(id) || id <= 0) notFound();
  return <DaemonDetail daemonId={id} isAdmin={me.role === "admin"} />;
}
