"use client";
import { useTranslations } from "next-intl";
import { useState } from "react";
import { fetchJson } from "./fetch-json";

export function SetupForm() {
  const t = useTranslations("setup");
  const tl = useTranslations("login");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function onSubmit(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const password = String(form.get("password"));
    if (password !== String(form.get("confirm"))) return setError(t("mismatch"));
    setBusy(true);
    setError(null);
    try {
      await fetchJson("/api/ui/setup", {
        method: "POST",
        body: { username: String(form.get("username")), password, setupCode: String(form.get("setupCode") ?? "") },
      });
      window.location.assign("/login");
    } catch (err) {
      setError((err as Error).message);
      setBusy(false);
    }
  }

  return (
    <form onSubmit={onSubmit} className="card w-full max-w-sm space-y-4">
      <h1 className="text-xl font-semibold">{t("title")}</h1>
      <p className="text-sm text-slate-600">{t("intro")}</p>
      <div>
        <label className="label" htmlFor="setupCode">{t("code")}</label>
        <input className="input font-mono" id="setupCode" name="setupCode" required maxLength={100} autoComplete="off" spellCheck={false} aria-describedby="setupCodeHint" />
        <p id="setupCodeHint" className="mt-1 text-xs text-slate-500">{t("codeHint")}</p>
      </div>
      <div>
        <label className="label" htmlFor="username">{tl("username")}</label>
        <input className="input" id="username" name="username" required maxLength={64} autoComplete="username" />
      </div>
      <div>
        <label className="label" htmlFor="password">{tl("password")}</label>
        <input className="input" id="password" name="password" type="password" required minLength={8} maxLength={256} autoComplete="new-password" />
      </div>
      <div>
        <label className="label" htmlFor="confirm">{t("confirmPassword")}</label>
        <input className="input" id="confirm" name="confirm" type="password" required minLength={8} maxLength={256} autoComplete="new-password" />
      </div>
      {error && <p role="alert" className="rounded bg-red-50 px-3 py-2 text-sm text-red-700">{error}</p>}
      <button className="btn-primary w-full" type="submit" disabled={busy}>{t("submit")}</button>
    </form>
  );
}
