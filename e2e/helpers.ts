import { expect, type Page } from "@playwright/test";

/** The first admin, created by e2e/auth.spec.ts through /setup (it runs first). */
export const ADMIN = { username: "admin", password: "e2e-admin-password" };

export async function signIn(page: Page, username = ADMIN.username, password = ADMIN.password) {
  await page.goto("/login");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("button", { name: "Account menu" })).toBeVisible();
  await hydrated(page);
}

/**
 * Waits until React has taken over the page's server-rendered header (hydration): a click before
 * that reaches a button with no handler yet and is lost, which on a loaded machine can take
 * seconds. React marks each element it has hydrated with a `__reactProps$…` property.
 */
export async function hydrated(page: Page) {
  const menu = page.getByRole("button", { name: "Account menu" });
  await expect.poll(() => menu.evaluate((el) => Object.keys(el).some((k) => k.startsWith("__reactProps$"))), { timeout: 30_000 }).toBe(true);
}

/** Creates a user through the admin API with the page's cookie session. */
export async function createUser(page: Page, username: string, password: string, role: "admin" | "user" = "user") {
  const res = await page.request.post("/api/ui/users", {
    data: { username, password, role },
    headers: { "x-requested-with": "XMLHttpRequest" },
  });
  expect(res.status()).toBe(201);
  return (await res.json()) as { id: number };
}

/** The page's own alert (Next adds an empty role="alert" route announcer outside <main>). */
export function alertOf(page: Page) {
  return page.locator("main").getByRole("alert");
}
