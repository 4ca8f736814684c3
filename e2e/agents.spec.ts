import os from "node:os";
import { expect, test, type Page } from "@playwright/test";
import { alertOf, createUser, signIn } from "./helpers";

/** The panel's own agent (FLEETDECK_LOCAL_AGENT=1 with commands allowed) runs on this machine. */
const HOST = os.hostname();

async function openLocalAgent(page: Page) {
  await page.goto("/dashboard/agents");
  const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: HOST, exact: true }) });
  await expect(row).toContainText("Online");
  await row.getByRole("link", { name: HOST, exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: HOST })).toBeVisible();
}

test("send a command to an agent, see its output and history, scan for updates", async ({ page }) => {
  await signIn(page);
  await openLocalAgent(page);

  await page.getByRole("button", { name: "Send command" }).click();
  const dialog = page.getByRole("dialog", { name: /Send command/ });
  await expect(dialog.getByLabel("Shell")).toHaveValue("/bin/bash");
  await dialog.getByLabel("Command").fill("echo e2e-$((20+22))");
  await dialog.getByLabel("Timeout (seconds)").fill("10");
  await dialog.getByRole("button", { name: "Run" }).click();
  // Arithmetic expansion: only a real shell on the agent prints 42.
  await expect(dialog.getByTestId("command-output")).toHaveText("e2e-42");
  await expect(dialog).toContainText("Exit code 0");

  // A bad timeout is refused by the API with its own message, shown in the dialog.
  await dialog.getByLabel("Command").fill("sleep 30");
  await dialog.getByLabel("Timeout (seconds)").evaluate((el: HTMLInputElement) => el.removeAttribute("max"));
  await dialog.getByLabel("Timeout (seconds)").fill("9999");
  await dialog.getByRole("button", { name: "Run" }).click();
  await expect(dialog.getByRole("alert")).toContainText("less than or equal to 3600");
  await dialog.getByRole("button", { name: "Close" }).click();
  await expect(dialog).toBeHidden();

  const history = page.getByTestId("command-history");
  const run = history.getByRole("row").filter({ hasText: "echo e2e-$((20+22))" });
  await expect(run).toContainText("done");
  await expect(run).toContainText("admin");
  await run.getByText("Output").click();
  await expect(run.locator("pre")).toHaveText("e2e-42");

  await page.getByRole("button", { name: "Scan for updates" }).click();
  await expect(page.getByRole("button", { name: "Scanning…" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Scan for updates" })).toBeEnabled({ timeout: 130_000 });
  // Either the package manager's list or a clear "none": never a failure.
  await expect(page.getByText(/The last scan failed/)).toHaveCount(0);
  await expect(page.getByTestId("no-updates").or(page.getByRole("columnheader", { name: "Available" }))).toBeVisible();
});

test("an administrator adds a client and site, moves an agent there; the list filters by them", async ({ page }) => {
  await signIn(page);
  await page.goto("/dashboard/clients");
  await page.getByLabel("Client name").fill("E2E Corp");
  await page.getByLabel("First site").fill("Lab");
  await page.getByRole("button", { name: "Add client" }).click();
  await expect(page.getByTestId("client-E2E Corp")).toContainText("Lab");

  await openLocalAgent(page);
  await page.getByLabel("Client / site").selectOption({ label: "E2E Corp / Lab" });
  await page.getByLabel("Type").selectOption("workstation");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("status")).toHaveText("Saved.");

  await page.getByRole("link", { name: /All agents/ }).click();
  const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: HOST, exact: true }) });
  await expect(row).toContainText("E2E Corp");
  await expect(row).toContainText("Workstation");
  await page.getByLabel("Client").selectOption("E2E Corp");
  await page.getByLabel("Site").selectOption("Lab");
  await expect(row).toBeVisible();
  await page.getByLabel("Type").selectOption("server");
  await expect(row).toBeHidden();
  await expect(page.getByText("No agents match these filters.")).toBeVisible();

  // Put it back for the other specs.
  await openLocalAgent(page);
  await page.getByLabel("Client / site").selectOption({ label: "Default / Default" });
  await page.getByLabel("Type").selectOption("server");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("status")).toHaveText("Saved.");
});

test("a user without the agent permissions is told so, and sees no command button", async ({ browser }) => {
  const admin = await browser.newPage();
  await signIn(admin);
  const { id } = await createUser(admin, "agents-viewer", "agents-viewer-pw");
  await admin.close();

  const page = await browser.newPage();
  await signIn(page, "agents-viewer", "agents-viewer-pw");
  await page.goto("/dashboard/agents");
  await expect(alertOf(page)).toHaveText("You do not have permission to perform this action.");

  // Granted listing only: the agent page shows, without command or update actions.
  const grant = await browser.newPage();
  await signIn(grant);
  const res = await grant.request.patch(`/api/ui/users/${id}`, { data: { canListAgents: true }, headers: { "x-requested-with": "XMLHttpRequest" } });
  expect(res.status()).toBe(200);
  await grant.close();
  await openLocalAgent(page);
  await expect(page.getByRole("button", { name: "Send command" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Scan for updates" })).toHaveCount(0);
  await expect(page.getByRole("heading", { name: "Groups" })).toHaveCount(0);
  await page.close();
});

test("Swagger UI loads the document and works with a token", async ({ browser }) => {
  // A token issued to the admin; Swagger UI then runs in a browser that is not signed in.
  const admin = await browser.newPage();
  await signIn(admin);
  const issued = await admin.request.post("/api/ui/tokens", { data: { note: "swagger e2e" }, headers: { "x-requested-with": "XMLHttpRequest" } });
  expect(issued.status()).toBe(201);
  const token = /"(fdk_[A-Za-z0-9_-]+)"/.exec(await issued.text())![1];
  await admin.close();

  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto("/api/schema/swagger-ui/");
  await expect(page.getByRole("heading", { name: /Fleetdeck API/ })).toBeVisible();
  const op = page.locator("#operations-Tactical_RMM-trmm_get_agents");
  const status = op.locator(".live-responses-table tbody .response-col_status").first();
  await op.locator(".opblock-summary-control").click();
  await op.getByRole("button", { name: "Try it out" }).click();
  await op.getByRole("button", { name: "Execute" }).click();
  await expect(status).toHaveText("401");
  await expect(op.locator(".live-responses-table")).toContainText("Authentication credentials were not provided.");

  await page.getByRole("button", { name: "Authorize" }).first().click();
  const auth = page.locator(".auth-container").filter({ hasText: "X-API-KEY" });
  await auth.locator("input").fill(token);
  await auth.getByRole("button", { name: "Apply credentials" }).click();
  await auth.getByRole("button", { name: "Close" }).click();
  await op.getByRole("button", { name: "Execute" }).click();
  await expect(status).toHaveText("200");
  await expect(op.locator(".live-responses-table")).toContainText(HOST);
  await context.close();
});
