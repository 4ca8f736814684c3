import { expect, test } from "@playwright/test";
import { signIn } from "./helpers";

/**
 * The daemon view with the panel's real local agent: the list, remarks, and an instance created,
 * started, talked to through the console, stopped and deleted from the daemon page.
 */
test("daemons: list, remarks, and an instance driven from its console", async ({ page }) => {
  await signIn(page);
  await page.goto("/dashboard/daemons");
  await expect(page.getByRole("heading", { name: "Daemons" })).toBeVisible();

  // The panel's own host is a daemon, online once its agent has reported.
  const row = page.locator("tr[data-testid^='daemon-']").first();
  await expect(row.locator("[data-online='true']")).toBeVisible();
  const name = (await row.getByRole("link").textContent())!.trim();

  await row.getByRole("button", { name: `Edit remarks ${name}` }).click();
  await row.getByLabel(`Remarks ${name}`).fill("e2e rack");
  await row.getByLabel(`Remarks ${name}`).press("Enter");
  await expect(row.locator("[data-testid^='remarks-']")).toHaveText("e2e rack");

  await row.getByRole("link", { name }).click();
  await expect(page).toHaveURL(/\/dashboard\/daemons\/\d+$/);
  await expect(page.getByText("No instances on this daemon yet.")).toBeVisible();

  const form = page.getByRole("form", { name: "Create instance" });
  await form.getByLabel("Name").fill("e2e-echo");
  await form.getByLabel("Start command").fill("sh -c 'while read l; do echo e2e:$l; done'");
  await form.getByRole("button", { name: "Create instance" }).click();
  const instance = page.getByTestId("instance-e2e-echo");
  await expect(instance.locator("[data-status]")).toHaveAttribute("data-status", "stopped");

  await instance.getByRole("button", { name: "Start e2e-echo", exact: true }).click();
  await expect(instance.locator("[data-status]")).toHaveAttribute("data-status", "running");

  await instance.getByRole("button", { name: "Console e2e-echo" }).click();
  const consoleBox = page.getByRole("region", { name: "Console: e2e-echo" });
  await consoleBox.getByLabel("Command").fill("ping from the browser");
  await consoleBox.getByRole("button", { name: "Send" }).click();
  await expect(consoleBox.getByTestId("console-output")).toContainText("e2e:ping from the browser");

  // Stopping twice: the second is refused with a clear message, not a crash.
  await instance.getByRole("button", { name: "Stop e2e-echo", exact: true }).click();
  await expect(instance.locator("[data-status]")).toHaveAttribute("data-status", "stopped");
  await instance.getByRole("button", { name: "Stop e2e-echo", exact: true }).click();
  await expect(page.getByRole("alert").filter({ hasText: "not running" })).toBeVisible();

  await instance.getByRole("button", { name: "Delete e2e-echo" }).click();
  await page.getByRole("dialog", { name: "Delete instance e2e-echo?" }).getByRole("button", { name: "Delete", exact: true }).click();
  await expect(page.getByText("No instances on this daemon yet.")).toBeVisible();

  // The list counts instances: none left.
  await page.getByRole("link", { name: "All daemons" }).click();
  await expect(page.locator("tr[data-testid^='daemon-']").first().locator("[data-testid^='daemon-instances-']")).toHaveText("0 / 0");
});
