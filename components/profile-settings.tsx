"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { signOut } from "next-auth/react";
import { useTranslations } from "next-intl";
import { useState } from "react";
import { fetchJson } from "./fetch-json";

interface TotpState {
  enabled: boolean;
  secret?: string;
  uri?: string;
  qr?: string;
}

export function ProfileSettings({ username }: { username: string }) {
  const t = useTranslations("profile");
  const qc = useQueryClient();
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [enrolling, setEnrolling] = useState(false);
  const totp = useQuery({ queryKey: ["totp"], queryFn: () => fetchJson<TotpState>("/api/ui/profile/totp") });

  const run = async (fn: () => Promise<unknown>, ok?: string) => {
    try {
      await fn();
      if (ok) setMessage({ ok: true, text: ok });
      return true;
    } catch (e) {
      setMessage({ ok: false, text: (e as Error).message });
      return false;
    }
  };

  return (
    <section className="max-w-xl space-y-6">
      <h1 className="text-2xl font-semibold">{t("title")} · {username}</h1>
      {message && (
        <p role={message.ok ? "status" : "alert"} className={`rounded px-3 py-2 text-sm ${message.ok ? "bg-green-50 text-green-800" : "bg-red-50 text-red-700"}`}>
          {message.text}
        </p>
      )}
      <form
        className="card space-y-3"
        onSubmit={async (e) => {
          e.preventDefault();
          const f = new FormData(e.currentTarget);
          const ok = await run(() => fetchJson("/api/ui/profile/password", { method: "POST", body: { current: f.get("current"), password: f.get("password") } }), t("passwordChanged"));
          if (ok) setTimeout(() => signOut({ callbackUrl: "/login" }), 1500);
        }}
      >
        <h2 className="font-semibold">{t("changePassword")}</h2>
        <div>
          <label className="label" htmlFor="current">{t("currentPassword")}</label>
          <input className="input" id="current" name="current" type="password" required autoComplete="current-password" />
        </div>
        <div>
          <label className="label" htmlFor="new">{t("newPassword")}</label>
          <input className="input" id="new" name="password" type="password" required minLength={8} autoComplete="new-password" />
        </div>
        <button className="btn-primary" type="submit">{t("changePassword")}</button>
      </form>

      <div className="card space-y-3">
        <h2 className="font-semibold">{t("twoFactor")}</h2>
        {totp.data?.enabled ? (
          <form
            className="space-y-3"
            onSubmit={async (e) => {
              e.preventDefault();
              const f = new FormData(e.currentTarget);
              if (await run(() => fetchJson("/api/ui/profile/totp", { method: "DELETE", body: { password: f.get("password") } }))) {
                await qc.invalidateQueries({ queryKey: ["totp"] });
              }
            }}
          >
            <p>{t("twoFactorOn")}</p>
            <label className="label" htmlFor="totp-off-password">{t("currentPassword")}</label>
            <input className="input" id="totp-off-password" name="password" type="password" required />
            <button className="btn-secondary" type="submit">{t("disable2fa")}</button>
          </form>
        ) : !enrolling ? (
          <div className="space-y-3">
            <p>{t("twoFactorOff")}</p>
            <button className="btn-primary" type="button" onClick={() => setEnrolling(true)}>{t("enable2fa")}</button>
          </div>
        ) : (
          totp.data?.secret && (
            <form
              className="space-y-3"
              onSubmit={async (e) => {
                e.preventDefault();
                const f = new FormData(e.currentTarget);
                if (await run(() => fetchJson("/api/ui/profile/totp", { method: "POST", body: { secret: totp.data?.secret, code: f.get("code") } }), t("twoFactorOn"))) {
                  setEnrolling(false);
                  await qc.invalidateQueries({ queryKey: ["totp"] });
                }
              }}
            >
              <p className="text-sm text-slate-600">{t("scan")}</p>
              {/* eslint-disable-next-line @next/next/no-img-element */}
              <img src={totp.data.qr} alt="QR code" width={180} height={180} />
              <div>
                <label className="label" htmlFor="totp-secret">{t("secret")}</label>
                <input className="input font-mono" id="totp-secret" readOnly value={totp.data.secret} />
              </div>
              <div>
                <label className="label" htmlFor="totp-code">{t("confirmCode")}</label>
                <input className="input" id="totp-code" name="code" inputMode="numeric" pattern="\d{6}" maxLength={6} required />
              </div>
              <button className="btn-primary" type="submit">{t("verify")}</button>
            </form>
          )
        )}
      </div>
    </section>
  );
}
