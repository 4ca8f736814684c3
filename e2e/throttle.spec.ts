import { expect, test } from "@playwright/test";
import { ADMIN, alertOf } from "./helpers";

// Runs last: it locks this address out of signing in for a minute.
test("repeated failures are throttled with a clear message, even for the right password", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Username").fill(ADMIN.username);
  for (let i = 0; i < 10; i++) {
    await page.getByLabel("Password").fill(`wrong-${i}`);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(alertOf(page)).toBeVisible();
  }
  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(alertOf(page)).toHaveText("Too many failed attempts. Wait a minute and try again.");
  await expect(page).toHaveURL(/\/login/);
});
