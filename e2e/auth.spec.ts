import { expect, test } from "@playwright/test";
import { authenticator } from "otplib";
import { ADMIN, alertOf, createUser, signIn } from "./helpers";

test("a wrong password gets one generic message", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Username").fill(ADMIN.username);
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(alertOf(page)).toHaveText("Incorrect username or password.");
  await page.getByLabel("Username").fill("nobody-by-this-name");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(alertOf(page)).toHaveText("Incorrect username or password.");
});

test("two-factor: enable on the Profile page, then the code is asked for at sign-in", async ({ browser }) => {
  // Each code is usable once: the sign-in below may wait up to one 30-s step for a fresh code.
  test.setTimeout(120_000);
  const admin = await browser.newPage();
  await signIn(admin);
  await createUser(admin, "totp-user", "totp-user-password");
  await admin.close();

  const page = await browser.newPage();
  await signIn(page, "totp-user", "totp-user-password");
  await page.getByRole("button", { name: "Account menu" }).click();
  await page.getByRole("menuitem", { name: "Profile" }).click();
  await page.getByRole("button", { name: "Enable two-factor" }).click();
  await expect(page.getByRole("img", { name: "QR code" })).toBeVisible();
  const secret = await page.getByLabel("Secret").inputValue();
  await page.getByLabel("Code from the app").fill("000000");
  await page.getByRole("button", { name: "Verify and enable" }).click();
  await expect(alertOf(page)).toContainText("does not match");
  const enabledWith = authenticator.generate(secret);
  await page.getByLabel("Code from the app").fill(enabledWith);
  await page.getByRole("button", { name: "Verify and enable" }).click();
  await expect(page.getByText("Two-factor authentication is on.").first()).toBeVisible();
  await page.getByRole("button", { name: "Account menu" }).click();
  await page.getByRole("menuitem", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login/);

  await page.getByLabel("Username").fill("totp-user");
  await page.getByLabel("Password").fill("totp-user-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByLabel("Authentication code")).toBeVisible();
  await page.getByLabel("Authentication code").fill("123456" === authenticator.generate(secret) ? "654321" : "123456");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(alertOf(page)).toHaveText("That authentication code is not valid.");
  // The code that turned two-factor on is spent: it is refused, and the next one signs in.
  await page.getByLabel("Authentication code").fill(enabledWith);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(alertOf(page)).toHaveText("That authentication code is not valid.");
  await expect.poll(() => authenticator.generate(secret), { timeout: 35_000 }).not.toBe(enabledWith);
  await page.getByLabel("Authentication code").fill(authenticator.generate(secret));
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("button", { name: "Account menu" })).toBeVisible();
  await page.close();
});

test("a disabled user is signed out at their next request", async ({ browser }) => {
  const admin = await browser.newPage();
  await signIn(admin);
  await createUser(admin, "soon-disabled", "soon-disabled-pw");

  const user = await browser.newPage();
  await signIn(user, "soon-disabled", "soon-disabled-pw");
  await user.goto("/dashboard/servers");
  await expect(user).toHaveURL(/\/dashboard\/servers$/);

  await admin.goto("/dashboard/users");
  const row = admin.getByTestId("user-soon-disabled");
  await row.getByRole("button", { name: "Disable", exact: true }).click();
  await expect(row).toContainText("Disabled");

  await user.goto("/dashboard/agents");
  await expect(user).toHaveURL(/\/login/);
  // And the API refuses the old cookie too.
  const res = await user.request.get("/api/ui/profile/totp");
  expect(res.status()).toBe(401);
  await admin.close();
  await user.close();
});

test("the language follows the browser, can be switched, and is remembered", async ({ browser }) => {
  const zh = await browser.newContext({ locale: "zh-CN" });
  const page = await zh.newPage();
  await page.goto("/login");
  await expect(page.getByRole("button", { name: "登录" })).toBeVisible();
  await page.getByLabel("语言").selectOption("en");
  await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();
  await page.reload();
  await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();
  await page.getByLabel("Language").selectOption("zh-CN");
  await expect(page.getByLabel("用户名")).toBeVisible();
  await zh.close();
});
