import { expect, test, type Locator } from "@playwright/test";
import { signIn } from "./helpers";

const LOCAL = "This panel's host";

/** The percentage a usage meter shows ("12.3%"), as a number. */
async function percentIn(meterCell: Locator): Promise<number> {
  const text = (await meterCell.textContent()) ?? "";
  const m = /(\d+(?:\.\d+)?)%/.exec(text);
  return m ? Number(m[1]) : NaN;
}

test("the panel's own host is a live server with real metrics, refreshed in place", async ({ page }) => {
  await signIn(page);
  await page.goto("/dashboard/servers");
  await expect(page.getByRole("heading", { name: "Servers" })).toBeVisible();
  const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: LOCAL }) });
  await expect(row.getByText("Online")).toBeVisible();
  // Memory in use is never zero on a running machine; CPU can read 0.0 % on an idle sample, so
  // wait for a busy one (the view refreshes every 2 s).
  await expect.poll(() => percentIn(row.locator('[data-metric="memory"]'))).toBeGreaterThan(0);
  await expect.poll(() => percentIn(row.locator('[data-metric="cpu"]'))).toBeGreaterThan(0);
  await expect(row.locator('[data-metric="memory"]')).toContainText(/GiB|MiB/);
  // Uptime of a real machine, not a placeholder.
  await expect(row.locator('[data-column="uptime"]')).toHaveText(/\d+[dhms]/);
});

test("a server's page shows its host and draws the charts, even before any history", async ({ page }) => {
  await signIn(page);
  await page.goto("/dashboard/servers");
  await page.getByRole("link", { name: LOCAL }).click();
  await expect(page).toHaveURL(/\/dashboard\/servers\/\d+$/);
  await expect(page.getByRole("heading", { name: LOCAL })).toBeVisible();
  const host = page.getByTestId("host-panel");
  await expect(host.getByText("CPU model")).toBeVisible();
  await expect(host.getByText("Architecture")).toBeVisible();
  await expect(host).toContainText(/x64|arm64|ia32/);
  // What the machine's owner allowed (the local agent runs with both, see playwright.config.ts).
  const capabilities = page.getByTestId("capabilities");
  await expect(capabilities).toContainText("Allowed on this machine");
  await expect(capabilities.locator('[data-capability="commands"]')).toHaveText("Commands: allowed");
  await expect(capabilities.locator('[data-capability="instances"]')).toHaveText("Instances: allowed");
  // The panel's own agent never installs another agent over itself.
  await expect(capabilities.locator('[data-capability="selfUpdate"]')).toHaveText("Self-update: disabled");

  const charts = page.getByTestId("history-chart");
  await expect(charts).toHaveCount(4);
  for (const chart of await charts.all()) await expect(chart.locator("svg.recharts-surface").first()).toBeVisible();
  await expect(charts.first()).toContainText("CPU (%)");

  await page.getByRole("button", { name: "Last day" }).click();
  await expect(page.getByRole("button", { name: "Last day" })).toHaveAttribute("aria-pressed", "true");
  await expect(charts).toHaveCount(4);
  for (const chart of await charts.all()) await expect(chart.locator("svg.recharts-surface").first()).toBeVisible();
  await expect(page.locator("main").getByRole("alert")).toHaveCount(0);
});

test("an admin adds a server, sees its secret and agent command once, then deletes it", async ({ page }) => {
  await signIn(page);
  await page.goto("/dashboard/servers");
  await page.getByRole("button", { name: "Add server" }).click();
  const form = page.getByRole("dialog", { name: "Add server" });
  await form.getByLabel("Name").fill("e2e-new-server");
  await form.getByLabel("Tag").fill("e2e");
  await form.getByRole("button", { name: "Create" }).click();

  const secretDialog = page.getByRole("dialog", { name: "Agent secret for e2e-new-server" });
  await expect(secretDialog).toBeVisible();
  const secret = await secretDialog.getByLabel("Secret").inputValue();
  expect(secret).toMatch(/^fda_/);
  await expect(secretDialog.getByLabel("Agent command")).toHaveValue(`npm run agent -- --panel http://127.0.0.1:${new URL(page.url()).port} --secret ${secret}`);
  // The one-line install carries a one-time code, never the secret.
  const install = secretDialog.getByLabel(/Run this as root/);
  await expect(install).toHaveValue(/install\.sh .*--code fde_/);
  expect(await install.inputValue()).not.toContain(secret);
  await secretDialog.getByRole("button", { name: "Done" }).click();
  await expect(secretDialog).toBeHidden();

  const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: "e2e-new-server" }) });
  await expect(row.getByText("Never reported")).toBeVisible();
  // The tag chips filter the list.
  await page.getByRole("group", { name: "Filter by tag" }).getByRole("button", { name: "e2e" }).click();
  await expect(page.getByRole("link", { name: LOCAL })).toBeHidden();
  await expect(row).toBeVisible();

  // The new server's page renders with no history at all.
  await row.getByRole("link", { name: "e2e-new-server" }).click();
  await expect(page.getByTestId("no-history")).toBeVisible();
  await expect(page.getByTestId("history-chart")).toHaveCount(4);
  await expect(page.getByText("The agent has not sent host information yet.")).toBeVisible();
  await page.getByRole("button", { name: "Install agent e2e-new-server" }).click();
  const installDialog = page.getByRole("dialog", { name: "Install the agent on e2e-new-server" });
  await expect(installDialog.getByLabel(/Run this as root/)).toHaveValue(/--code fde_/);
  await installDialog.getByRole("button", { name: "Done" }).click();

  await page.getByRole("button", { name: "Delete e2e-new-server" }).click();
  await page.getByRole("dialog", { name: "Delete e2e-new-server?" }).getByRole("button", { name: "Delete", exact: true }).click();
  await expect(page).toHaveURL(/\/dashboard\/servers$/);
  await expect(page.getByRole("link", { name: "e2e-new-server" })).toHaveCount(0);
});
