import { cache } from "react";
import { cookies, headers } from "next/headers";
import { redirect } from "next/navigation";
import { SESSION_COOKIES, sessionPrincipal } from "./authenticate";
import type { Principal } from "./principal";
import { PATH_HEADER } from "../http/api";

/** The signed-in user of this page request, or null (forged, expired, disabled, signed out). */
export const currentPrincipal = cache(async (): Promise<Principal | null> => {
  const jar = await cookies();
  for (const name of SESSION_COOKIES) {
    const value = jar.get(name)?.value;
    if (value) return sessionPrincipal(value);
  }
  return null;
});


async function loginRedirect(): Promise<never> {
  const path = (await headers()).get(PATH_HEADER) || "/";
  redirect(`/login?callbackUrl=${encodeURIComponent(path)}`);
}

export async function requireUser(): Promise<Principal> {
  return (await currentPrincipal()) ?? loginRedirect();
}

export async function requireAdmin(): Promise<Principal> {
  const p = await requireUser();
  if (p.role !== "admin") redirect("/");
  return p;
}
