import { redirect } from "next/navigation";
import { userCount } from "@/lib/fleet/users";
import { currentPrincipal } from "@/lib/auth/session";
import { sameOriginPath } from "@/lib/auth/redirect";
import { LoginForm } from "@/components/login-form";
import { LanguageSwitcher } from "@/components/language-switcher";

export const dynamic = "force-dynamic";

/**
 * Only paths on this panel are followed after sign-in (no open redirect): the value is resolved as
 * a browser would resolve it (`/\evil.com` is another site) and kept only on the panel's origin.
 */
function safeCallback(value: string | string[] | undefined): string {
  return sameOriginPath(Array.isArray(value) ? value[0] : value, "http://panel.invalid");
}

export default async function LoginPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  if ((await userCount()) === 0) redirect("/setup");
  const params = await searchParams;
  const callbackUrl = safeCallback(params.callbackUrl);
  if (await currentPrincipal()) redirect(callbackUrl);
  return (
    <main className="flex min-h-screen flex-col items-center justify-center gap-4 p-4">
      <LoginForm callbackUrl={callbackUrl} />
      <LanguageSwitcher />
    </main>
  );
}
