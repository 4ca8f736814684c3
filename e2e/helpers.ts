import { expect, type Page } from "@playwright/test";

/** The first admin, created by e2e/auth.spec.ts through /setup (it runs first). */
export const ADMIN = { username: "admin", password: "e2e-admin-password" };

export async function signIn(page: Page, username = ADMIN.username, password = ADMIN.password) {
  await page.goto("/login");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("button", { name: "Account menu" })).toBeVisible();
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
