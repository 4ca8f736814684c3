import { notFound } from "next/navigation";
import { requireUser } from "@/lib/auth/session";
import { serverIdSchema } from "@/lib/dialects/ui/views";
import { ServerDetailView } from "@/components/servers/server-detail";

export default async function ServerPage({ params }: { params: Promise<{ id: string }> }) {
  const me = await requireUser();
  const id = serverIdSchema.safeParse((await params).id);
  if (!id.success) notFound();
  return <ServerDetailView id={id.data} isAdmin={me.role === "admin"} />;
}
