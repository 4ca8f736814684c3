import fs from "node:fs";
import { expect, test } from "@playwright/test";
import { ADMIN, alertOf, hydrated } from "./helpers";

/** The one-time code the panel printed in its log (playwright.config.ts sends the log to this file). */
function setupCode(): string {
  const log = fs.readFileSync(process.env.FLEETDECK_E2E_LOG!, "utf8");
  const m = /setup code:\s*\n\s*\n\s*([A-Z0-9]{4}(?:-[A-Z0-9]{4}){3})/.exec(log);
  if (!m) throw new Error(`no setup code in the panel's log:\n${log}`);
  return m[1];
}

test("a new panel sends visitors to /setup, which creates the first admin once, with the code from the log", async ({ page }) => {
  await page.goto("/dashboard/servers");
  await expect(page).toHaveURL(/\/setup$/);
  await expect(page.getByText("printed in its log")).toBeVisible();
  await page.getByLabel("Setup code").fill("WRONG-CODE-0000-0000");
  await page.getByLabel("Username").fill(ADMIN.username);
  await page.getByLabel("Password", { exact: true }).fill(ADMIN.password);
  await page.getByLabel("Confirm password").fill("something-else");
  await page.getByRole("button", { name: "Create administrator" }).click();
  await expect(alertOf(page)).toHaveText("The passwords do not match.");
  await page.getByLabel("Confirm password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Create administrator" }).click();
  await expect(alertOf(page)).toContainText("setup code is wrong");
  await page.getByLabel("Setup code").fill(setupCode());
  await page.getByRole("button", { name: "Create administrator" }).click();
  await expect(page).toHaveURL(/\/login$/);

  // Setup is closed from now on, for the page and the API alike.
  await page.goto("/setup");
  await expect(page.getByRole("status")).toHaveText("Setup is already done: an administrator exists.");
  const again = await page.request.post("/api/ui/setup", { data: { username: "intruder", password: "intruder-password" } });
  expect(again.status()).toBe(409);
});

test("sign in, go back to the page asked for, use the avatar menu, sign out", async ({ page }) => {
  await page.goto("/dashboard/daemons");
  await expect(page).toHaveURL(/\/login\?callbackUrl=%2Fdashboard%2Fdaemons/);
  await page.getByLabel("Username").fill(ADMIN.username);
  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/dashboard\/daemons$/);

  await hydrated(page);
  await page.getByRole("button", { name: "Account menu" }).click();
  const menu = page.getByRole("menu");
  await expect(menu).toContainText(ADMIN.username);
  await expect(menu.getByRole("menuitem", { name: "API Token" })).toHaveAttribute("href", "/dashboard/tokens");
  await expect(menu.getByRole("menuitem", { name: "Profile" })).toBeVisible();
  await menu.getByRole("menuitem", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login/);
  await page.goto("/dashboard/servers");
  await expect(page).toHaveURL(/\/login/);
});
