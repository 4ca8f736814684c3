"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { signOut } from "next-auth/react";
import { useTranslations } from "next-intl";
import { useEffect, useRef, useState } from "react";
import { LanguageSwitcher } from "./language-switcher";
import { Logo } from "./logo";

export function AppHeader({ username, role, links }: { username: string; role: string; links: { href: string; label: string }[] }) {
  const t = useTranslations("nav");
  const pathname = usePathname();
  const [menuOpen, setMenuOpen] = useState(false);
  // A followed link closes the phone menu.
  useEffect(() => setMenuOpen(false), [pathname]);
  const linkClass = (href: string) =>
    `rounded px-3 py-1.5 text-sm ${pathname.startsWith(href) ? "bg-indigo-50 font-medium text-indigo-700" : "text-slate-600 hover:bg-slate-100"}`;
  const navLinks = links.map((l) => (
    <Link key={l.href} href={l.href} aria-current={pathname.startsWith(l.href) ? "page" : undefined} className={linkClass(l.href)}>
      {l.label}
    </Link>
  ));
  return (
    <header className="border-b border-slate-200 bg-white">
      <div className="mx-auto flex max-w-7xl items-center gap-3 px-4 py-2 md:gap-6">
        <button
          type="button"
          className="rounded p-1.5 text-slate-600 hover:bg-slate-100 md:hidden"
          aria-label={t("menu")}
          aria-expanded={menuOpen}
          aria-controls="main-menu"
          onClick={() => setMenuOpen((o) => !o)}
        >
          <svg aria-hidden="true" viewBox="0 0 20 20" fill="currentColor" className="h-5 w-5">
            <path fillRule="evenodd" d="M2 4.75A.75.75 0 0 1 2.75 4h14.5a.75.75 0 0 1 0 1.5H2.75A.75.75 0 0 1 2 4.75Zm0 5A.75.75 0 0 1 2.75 9h14.5a.75.75 0 0 1 0 1.5H2.75A.75.75 0 0 1 2 9.75Zm0 5a.75.75 0 0 1 .75-.75h14.5a.75.75 0 0 1 0 1.5H2.75a.75.75 0 0 1-.75-.75Z" clipRule="evenodd" />
          </svg>
        </button>
        <Link href="/dashboard/servers" className="flex items-center gap-2 text-lg font-bold text-indigo-700">
          <Logo />
          <span>Fleetdeck</span>
        </Link>
        <nav className="hidden gap-1 md:flex" aria-label="Main">
          {navLinks}
        </nav>
        <div className="ml-auto flex items-center gap-3">
          <LanguageSwitcher />
          <AccountMenu username={username} role={role} />
        </div>
      </div>
      {menuOpen && (
        <nav id="main-menu" className="flex flex-col gap-1 border-t border-slate-100 px-4 py-2 md:hidden" aria-label="Main">
          {navLinks}
        </nav>
      )}
    </header>
  );
}

function AccountMenu({ username, role }: { username: string; role: string }) {
  const t = useTranslations("nav");
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const close = (e: MouseEvent | KeyboardEvent) => {
      if (e instanceof KeyboardEvent ? e.key === "Escape" : !ref.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener("mousedown", close);
    document.addEventListener("keydown", close);
    return () => {
      document.removeEventListener("mousedown", close);
      document.removeEventListener("keydown", close);
    };
  }, [open]);
  return (
    <div className="relative" ref={ref}>
      <button
        type="button"
        aria-label={t("accountMenu")}
        aria-haspopup="menu"
        aria-expanded={open}
        onClick={() => setOpen((o) => !o)}
        className="flex h-9 w-9 items-center justify-center rounded-full bg-indigo-600 text-sm font-semibold uppercase text-white"
      >
        {username.slice(0, 1)}
      </button>
      {open && (
        <div role="menu" className="absolute right-0 z-20 mt-2 w-56 rounded-md border border-slate-200 bg-white py-1 shadow-lg">
          <div className="border-b border-slate-100 px-3 py-2 text-sm">
            <div className="font-medium">{username}</div>
            <div className="text-xs text-slate-500">{role}</div>
          </div>
          <Link role="menuitem" href="/dashboard/tokens" className="block px-3 py-2 text-sm hover:bg-slate-50" onClick={() => setOpen(false)}>{t("apiToken")}</Link>
          <Link role="menuitem" href="/dashboard/profile" className="block px-3 py-2 text-sm hover:bg-slate-50" onClick={() => setOpen(false)}>{t("profile")}</Link>
          <button role="menuitem" type="button" className="block w-full px-3 py-2 text-left text-sm hover:bg-slate-50" onClick={() => signOut({ callbackUrl: "/login" })}>
            {t("signOut")}
          </button>
        </div>
      )}
    </div>
  );
}
