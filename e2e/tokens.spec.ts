import { expect, test, type Page } from "@playwright/test";
import { createUser, signIn } from "./helpers";

/**
 * The API Token page as Nezha's document describes it: avatar → "API Token" → "Add Token", a note,
 * "Add"; the token is shown once; a script uses it; the delete icon on the right removes it, and the
 * script is refused from its next request.
 */

const TOKEN_FORMAT = /^fdk_[A-Za-z0-9_-]{43}$/;

/** What a script does: plain HTTP with the token, no browser, no cookie. */
async function script(page: Page, path: string, headers: Record<string, string>) {
  const base = new URL(page.url()).origin;
  const res = await fetch(base + path, { headers });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function addToken(page: Page, note: string): Promise<string> {
  await page.getByRole("button", { name: "Add Token" }).click();
  const dialog = page.getByRole("dialog", { name: "Add Token" });
  await dialog.getByLabel("Note").fill(note);
  await dialog.getByRole("button", { name: "Add", exact: true }).click();
  const field = dialog.getByLabel("Token", { exact: true });
  await expect(field).toHaveValue(TOKEN_FORMAT);
  await expect(field).not.toBeEditable();
  await expect(dialog.getByText("it is shown only once")).toBeVisible();
  const token = await field.inputValue();
  return token;
}

test("add a token with a note, use it from a script, delete it: the script is refused", async ({ page, context }) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  await signIn(page);
  await page.getByRole("button", { name: "Account menu" }).click();
  await page.getByRole("menuitem", { name: "API Token" }).click();
  await expect(page).toHaveURL(/\/dashboard\/tokens$/);
  await expect(page.getByRole("heading", { name: "API Tokens" })).toBeVisible();

  const note = `backup script ${Date.now()}`;
  const token = await addToken(page, note);
  const dialog = page.getByRole("dialog", { name: "Add Token" });
  await dialog.getByRole("button", { name: "Copy" }).click();
  await expect(dialog.getByRole("button", { name: "Copied" })).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(token);
  await dialog.getByRole("button", { name: "Done" }).click();
  await expect(dialog).toBeHidden();

  // Afterwards only the prefix is shown.
  const row = page.getByRole("row", { name: new RegExp(note) });
  await expect(row).toContainText(`${token.slice(0, 10)}…`);
  expect(await page.content()).not.toContain(token);

  // The token works in Nezha's header and in Tactical RMM's.
  const nezha = await script(page, "/api/v1/server/list", { authorization: token });
  expect(nezha.status).toBe(200);
  expect(nezha.json).toMatchObject({ code: 0, message: "success" });
  expect((await script(page, "/agents/?detail=false", { "x-api-key": token })).status).toBe(200);

  // Its last use shows up on the page.
  await page.reload();
  await expect(row.getByRole("cell").nth(4)).not.toHaveText("Never");

  // Cancelling the confirmation keeps it.
  await row.getByRole("button", { name: "Delete token" }).click();
  const confirm = page.getByRole("dialog", { name: "Delete token?" });
  await expect(confirm).toContainText(token.slice(0, 10));
  await confirm.getByRole("button", { name: "Cancel" }).click();
  await expect(row).toBeVisible();
  expect((await script(page, "/api/v1/server/list", { authorization: token })).status).toBe(200);

  await row.getByRole("button", { name: "Delete token" }).click();
  await confirm.getByRole("button", { name: "Delete", exact: true }).click();
  await expect(row).toHaveCount(0);

  const refused = await script(page, "/api/v1/server/list", { authorization: token });
  expect(refused.status).toBe(403);
  expect(refused.json).toMatchObject({ code: 403 });
  expect(await script(page, "/agents/", { "x-api-key": token })).toMatchObject({ status: 401, json: { detail: "Invalid token." } });

  // The audit log tells who did it, and never the token.
  await page.goto("/dashboard/audit");
  await page.getByLabel("Show").selectOption({ label: "API tokens" });
  await expect(page.getByRole("row").filter({ hasText: "token.delete" }).first()).toContainText(token.slice(0, 10));
  await expect(page.getByRole("row").filter({ hasText: "token.create" }).first()).toContainText(note);
  expect(await page.content()).not.toContain(token);
});

test("a note over 100 characters cannot be typed, and a past expiry is refused with a message", async ({ page }) => {
  await signIn(page);
  await page.goto("/dashboard/tokens");
  await page.getByRole("button", { name: "Add Token" }).click();
  const dialog = page.getByRole("dialog", { name: "Add Token" });
  await dialog.getByLabel("Note").fill("n".repeat(150));
  await expect(dialog.getByLabel("Note")).toHaveValue("n".repeat(100));
  await dialog.getByLabel("Expires").fill("2001-01-01T10:00");
  await dialog.getByRole("button", { name: "Add", exact: true }).click();
  await expect(dialog.getByRole("alert")).toContainText("in the future");
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toBeHidden();
});

test("a user sees only their own tokens; an admin sees everyone's with the owner", async ({ browser }) => {
  const admin = await browser.newPage();
  await signIn(admin);
  const suffix = Date.now().toString(36);
  await createUser(admin, `tok-user-${suffix}`, "tok-user-password");

  const user = await browser.newPage();
  await signIn(user, `tok-user-${suffix}`, "tok-user-password");
  await user.goto("/dashboard/tokens");
  await addToken(user, `user token ${suffix}`);
  await user.getByRole("button", { name: "Done" }).click();
  await expect(user.getByRole("row", { name: new RegExp(`user token ${suffix}`) })).toBeVisible();
  // No owner column and no keys section for a user.
  await expect(user.getByRole("columnheader", { name: "Owner" })).toHaveCount(0);
  await expect(user.getByRole("heading", { name: "API keys" })).toHaveCount(0);
  await expect(user.getByRole("row", { name: /backup script/ })).toHaveCount(0);

  await admin.goto("/dashboard/tokens");
  await expect(admin.getByRole("row", { name: new RegExp(`user token ${suffix}`) })).toContainText(`tok-user-${suffix}`);
  await admin.close();
  await user.close();
});

test("an admin issues a key acting as a user; it has that user's rights, and stops when deleted", async ({ browser }) => {
  const admin = await browser.newPage();
  await signIn(admin);
  const suffix = Date.now().toString(36);
  const username = `key-user-${suffix}`;
  await createUser(admin, username, "key-user-password");
  await admin.goto("/dashboard/tokens");
  await expect(admin.getByRole("heading", { name: "API keys" })).toBeVisible();

  await admin.getByRole("button", { name: "Add key" }).click();
  const dialog = admin.getByRole("dialog", { name: "Add key" });
  await dialog.getByLabel("Name").fill(`sync ${suffix}`);
  await dialog.getByLabel("User").selectOption({ label: `${username} (user)` });
  await dialog.getByRole("button", { name: "Add", exact: true }).click();
  const key = await dialog.getByLabel("Token", { exact: true }).inputValue();
  expect(key).toMatch(TOKEN_FORMAT);
  await dialog.getByRole("button", { name: "Done" }).click();

  const row = admin.getByRole("row", { name: new RegExp(`sync ${suffix}`) });
  await expect(row).toContainText(username);
  await expect(row).toContainText("admin");

  // The user may list servers (Nezha) but is no admin: the keys API refuses the key.
  expect((await script(admin, "/api/v1/server/list", { authorization: key })).status).toBe(200);
  expect(await script(admin, "/accounts/apikeys/", { "x-api-key": key })).toMatchObject({
    status: 403,
    json: { detail: "You do not have permission to perform this action." },
  });

  await row.getByRole("button", { name: "Delete key" }).click();
  await admin.getByRole("dialog", { name: "Delete API key?" }).getByRole("button", { name: "Delete", exact: true }).click();
  await expect(row).toHaveCount(0);
  expect((await script(admin, "/api/v1/server/list", { authorization: key })).status).toBe(403);
  await admin.close();
});
