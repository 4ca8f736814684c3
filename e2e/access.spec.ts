import { expect, test } from "@playwright/test";
import { createUser, signIn } from "./helpers";

/**
 * The access policy in the browser: an administrator assigns one instance to a user on the
 * users page; the user then finds exactly that instance under Instances, drives it from its
 * console, and is not offered the daemons pages.
 */
test("an assigned instance is the only one a user sees and controls", async ({ page, browser }) => {
  await signIn(page);
  const xhr = { "x-requested-with": "XMLHttpRequest" };
  const daemons = (await (await page.request.get("/api/ui/daemons")).json()) as { id: number; online: boolean }[];
  const daemon = daemons.find((d) => d.online) ?? daemons[0];
  const make = async (name: string) => {
    const res = await page.request.post(`/api/ui/daemons/${daemon.id}/instances`, {
      data: { name, startCommand: "sh -c 'while read l; do echo got:$l; done'" },
      headers: xhr,
    });
    expect(res.status()).toBe(201);
    return ((await res.json()) as { uuid: string }).uuid;
  };
  const made = [await make("assigned-to-ann"), await make("kept-from-ann")];
  await createUser(page, "ann", "ann-password-1");

  await page.goto("/dashboard/users");
  await page.getByRole("button", { name: "Edit access ann" }).click();
  const dialog = page.getByRole("dialog", { name: "Access of ann" });
  await dialog.getByLabel(/assigned-to-ann/).check();
  await dialog.getByRole("button", { name: "Save" }).click();
  await expect(dialog).toBeHidden();

  const context = await browser.newContext();
  const ann = await context.newPage();
  await signIn(ann, "ann", "ann-password-1");
  await expect(ann.getByRole("link", { name: "Daemons" })).toHaveCount(0);
  await ann.getByRole("link", { name: "Instances" }).first().click();
  await expect(ann.getByRole("heading", { name: "My instances" })).toBeVisible();
  await expect(ann.getByText("assigned-to-ann")).toBeVisible();
  await expect(ann.getByText("kept-from-ann")).toHaveCount(0);

  await ann.getByRole("button", { name: "Start assigned-to-ann", exact: true }).click();
  await ann.getByRole("button", { name: "Console assigned-to-ann" }).click();
  const line = ann.getByLabel("Command", { exact: true });
  await expect(ann.getByRole("button", { name: "Send" })).toBeEnabled();
  await line.fill("hello-ann");
  await line.press("Enter");
  await expect(ann.getByTestId("console-output")).toContainText("got:hello-ann");
  await ann.getByRole("button", { name: "Kill assigned-to-ann" }).click();
  await context.close();
  // Leave the daemon as the other specs expect it: without instances.
  for (const uuid of made) {
    expect((await page.request.delete(`/api/ui/daemons/${daemon.id}/instances/${uuid}`, { headers: xhr })).status()).toBe(200);
  }
});
