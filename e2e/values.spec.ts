import { expect, test } from "@playwright/test";
import { signIn } from "./helpers";

const LOCAL = "This panel's host";

test("a server's page shows the machine's clock skew and country", async ({ page }) => {
  await signIn(page);
  await page.goto("/dashboard/servers");
  await page.getByRole("link", { name: LOCAL }).click();
  const host = page.getByTestId("host-panel");
  // The local agent shares the panel's clock: a skew of a fraction of a second, shown in seconds.
  await expect(page.getByTestId("clock-skew")).toHaveText(/^-?\d+\.\d s/);
  await expect(host.getByText("Clock skew")).toBeVisible();
  await expect(host.getByText("Country")).toBeVisible();
});

test("the public status page: off by default, then on with only servers not hidden from guests", async ({ page, browser, request }) => {
  await signIn(page);
  // A server hidden from guests, beside the (shown) local one.
  const hidden = await request.post("/api/v1/server/register", {
    headers: { cookie: (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join("; "), "x-requested-with": "XMLHttpRequest" },
    data: { Name: "e2e-hidden-from-guests", HideForGuest: true },
  });
  expect(hidden.status()).toBe(200);

  const guest = await browser.newPage({ storageState: { cookies: [], origins: [] } });
  await guest.goto("/status");
  await expect(guest.getByText("The public status page is off.")).toBeVisible();

  await page.goto("/dashboard/audit");
  const toggle = page.getByRole("checkbox", { name: "Public status page" });
  await expect(toggle).not.toBeChecked();
  await toggle.click(); // a controlled checkbox: it shows the saved state once the panel answers
  await expect(toggle).toBeChecked();

  await guest.reload();
  const table = guest.getByTestId("status-table");
  await expect(table).toContainText(LOCAL);
  await expect(table).not.toContainText("e2e-hidden-from-guests");

  await toggle.click();
  await expect(toggle).not.toBeChecked();
  await guest.reload();
  await expect(guest.getByText("The public status page is off.")).toBeVisible();
  await guest.close();
});
