import Link from "next/link";
import { getTranslations } from "next-intl/server";
import { userCount } from "@/lib/fleet/users";
import { SetupForm } from "@/components/setup-form";
import { LanguageSwitcher } from "@/components/language-switcher";

export const dynamic = "force-dynamic";

export default async function SetupPage() {
  const t = await getTranslations("setup");
  const done = (await userCount()) > 0;
  return (
    <main className="flex min-h-screen flex-col items-center justify-center gap-4 p-4">
      {done ? (
        <div className="card max-w-sm space-y-3">
          <p role="status">{t("done")}</p>
          <Link className="btn-primary" href="/login">{t("toLogin")}</Link>
        </div>
      ) : (
        <SetupForm />
      )}
      <LanguageSwitcher />
    </main>
  );
}
