import { expect, test, type Page } from "@playwright/test";
import { ADMIN, alertOf } from "./helpers";

const THROTTLED = "Too many failed attempts. Wait a minute and try again.";

/** One sign-in attempt through the form; the alert it shows once the panel has answered. */
async function attempt(page: Page, password: string): Promise<string> {
  await page.getByLabel("Password").fill(password);
  const answered = page.waitForResponse((r) => r.url().includes("/api/nextauth/callback/credentials"));
  await page.getByRole("button", { name: "Sign in" }).click();
  await answered;
  await expect(alertOf(page)).toBeVisible();
  return (await alertOf(page).textContent()) ?? "";
}

// Runs last: it locks this address out of signing in for a while.
test("repeated failures are throttled with a clear message, even for the right password", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Username").fill(ADMIN.username);
  // A refused attempt is not counted, and each counted failure doubles the wait: keep failing
  // until three attempts in a row are refused, so the wait outlasts a round trip on a slow machine.
  let refusedInARow = 0;
  for (let i = 0; i < 40 && refusedInARow < 3; i++) {
    refusedInARow = (await attempt(page, `wrong-${i}`)) === THROTTLED ? refusedInARow + 1 : 0;
  }
  expect(refusedInARow).toBe(3);
  expect(await attempt(page, ADMIN.password)).toBe(THROTTLED);
  await expect(page).toHaveURL(/\/login/);
});
