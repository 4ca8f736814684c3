"use client";
import { useLocale, useTranslations } from "next-intl";
import { useRouter } from "next/navigation";

const NAMES = { en: "English", "zh-CN": "简体中文" } as const;

/** Remembers the choice in a cookie (read by lib/i18n/request.ts) and re-renders the page. */
export function LanguageSwitcher() {
  const locale = useLocale();
  const router = useRouter();
  const t = useTranslations("common");
  return (
    <label className="flex items-center gap-2 text-sm text-slate-500">
      <span className="hidden sm:inline">{t("language")}</span>
      <select
        aria-label={t("language")}
        className="rounded border border-slate-300 bg-white px-2 py-1 text-sm"
        value={locale}
        onChange={(e) => {
          document.cookie = `NEXT_LOCALE=${e.target.value}; path=/; max-age=31536000; samesite=lax`;
          router.refresh();
        }}
      >
        {Object.entries(NAMES).map(([value, name]) => (
          <option key={value} value={value}>{name}</option>
        ))}
      </select>
    </label>
  );
}
