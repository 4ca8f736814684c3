"use client";
import { signIn } from "next-auth/react";
import { useTranslations } from "next-intl";
import { useState } from "react";

const ERROR_KEYS: Record<string, "invalid" | "throttled" | "otpInvalid"> = {
  CredentialsSignin: "invalid",
  Throttled: "throttled",
  OtpInvalid: "otpInvalid",
};

export function LoginForm({ callbackUrl }: { callbackUrl: string }) {
  const t = useTranslations("login");
  const [needCode, setNeedCode] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function onSubmit(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setBusy(true);
    setError(null);
    const res = await signIn("credentials", {
      redirect: false,
      username: String(form.get("username") ?? ""),
      password: String(form.get("password") ?? ""),
      otp: String(form.get("otp") ?? ""),
      callbackUrl,
    });
    setBusy(false);
    if (res?.ok && !res.error) {
      window.location.assign(callbackUrl);
      return;
    }
    if (res?.error === "OtpRequired") {
      setNeedCode(true);
      return;
    }
    const key = ERROR_KEYS[res?.error ?? ""];
    setError(key ? t(key) : t("failed"));
  }

  return (
    <form onSubmit={onSubmit} className="card w-full max-w-sm space-y-4" aria-label={t("title")}>
      <h1 className="text-xl font-semibold">{t("title")}</h1>
      <div>
        <label className="label" htmlFor="username">{t("username")}</label>
        <input className="input" id="username" name="username" autoComplete="username" required maxLength={64} autoFocus />
      </div>
      <div>
        <label className="label" htmlFor="password">{t("password")}</label>
        <input className="input" id="password" name="password" type="password" autoComplete="current-password" required maxLength={256} />
      </div>
      {needCode && (
        <div>
          <label className="label" htmlFor="otp">{t("code")}</label>
          <input className="input" id="otp" name="otp" inputMode="numeric" autoComplete="one-time-code" pattern="\d{6}" maxLength={6} autoFocus />
          <p className="mt-1 text-xs text-slate-500">{t("codeHint")}</p>
        </div>
      )}
      {error && <p role="alert" className="rounded bg-red-50 px-3 py-2 text-sm text-red-700">{error}</p>}
      <button className="btn-primary w-full" type="submit" disabled={busy}>{t("signIn")}</button>
    </form>
  );
}
