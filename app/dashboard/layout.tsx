import { getTranslations } from "next-intl/server";
import { requireUser } from "@/lib/auth/session";
import { AppHeader } from "@/components/app-header";

export const dynamic = "force-dynamic";

export default async function DashboardLayout({ children }: { children: React.ReactNode }) {
  const me = await requireUser();
  const t = await getTranslations("nav");
  const links = [
    { href: "/dashboard/servers", label: t("servers") },
    // Daemons as a whole are for administrators (as in MCSManager); users reach their assigned instances.
    ...(me.role === "admin" ? [{ href: "/dashboard/daemons", label: t("daemons") }] : []),
    { href: "/dashboard/instances", label: t("instances") },
    { href: "/dashboard/agents", label: t("agents") },
    { href: "/dashboard/clients", label: t("clients") },
    { href: "/dashboard/monitors", label: t("monitors") },
    { href: "/dashboard/alerts", label: t("alerts") },
    ...(me.role === "admin"
      ? [
          { href: "/dashboard/users", label: t("users") },
          { href: "/dashboard/audit", label: t("audit") },
        ]
      : []),
  ];
  return (
    <div className="min-h-screen">
      <AppHeader username={me.username} role={me.role} links={links} />
      <main className="mx-auto max-w-7xl p-4">{children}</main>
    </div>
  );
}
