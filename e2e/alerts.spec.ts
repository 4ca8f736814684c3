import http from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test } from "@playwright/test";
import { createUser, signIn } from "./helpers";

/**
 * Monitors and alerts as a new administrator meets them: add a monitor on the Monitors page;
 * add a webhook channel and press "Send test"; add a rule the panel's own agent trips at once
 * (memory in use above 0 %), see it on the Alerts page and its notice at the webhook.
 */
test("a monitor, a channel with a test notice, and a rule that fires", async ({ page, baseURL }) => {
  const received: { kind?: string; rule?: { name?: string } }[] = [];
  const hook = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      received.push(JSON.parse(body));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, "127.0.0.1", r));
  const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
  try {
    await signIn(page);
    await page.getByRole("link", { name: "Monitors" }).first().click();
    await page.getByRole("button", { name: "Add monitor" }).click();
    const form = page.getByRole("form", { name: "Monitor" });
    // An admin's monitor runs on every server unless told otherwise.
    await expect(form.getByLabel("Run on")).toHaveValue("0");
    await form.getByLabel("Name", { exact: true }).fill("panel port");
    await form.getByLabel("Type").selectOption({ label: "TCP connect" });
    await form.getByLabel("Target").fill("127.0.0.1");
    await form.getByLabel(/Interval/).fill("5");
    await form.getByRole("button", { name: "Save" }).click();
    // Field errors name the field.
    await expect(form.getByRole("alert")).toContainText("target");
    await expect(form.getByRole("alert")).toContainText("intervalSec");
    await form.getByLabel("Target").fill(`127.0.0.1:${new URL(baseURL!).port}`);
    await form.getByLabel(/Interval/).fill("10");
    await form.getByRole("button", { name: "Save" }).click();
    await expect(page.getByTestId("monitor-row").filter({ hasText: "panel port" })).toBeVisible();

    await page.getByRole("link", { name: "Alerts" }).first().click();
    await page.getByRole("link", { name: "Rules and channels" }).click();
    await page.getByRole("button", { name: "Add channel" }).click();
    const channel = page.getByRole("form", { name: "Notification channel" });
    await channel.getByLabel("Name", { exact: true }).fill("e2e hook");
    await channel.getByLabel("URL", { exact: true }).fill(hookUrl);
    await channel.getByRole("button", { name: "Save" }).click();
    const row = page.getByTestId("channel-row").filter({ hasText: "e2e hook" });
    await row.getByRole("button", { name: "Send test" }).click();
    await expect(row.getByRole("status")).toHaveText("Test notice sent.");
    expect(received.map((r) => r.kind)).toEqual(["test"]);

    await page.getByRole("button", { name: "Add rule" }).click();
    const rule = page.getByRole("form", { name: "Alert rule" });
    await rule.getByLabel("Name", { exact: true }).fill("e2e memory");
    await rule.getByLabel(/^Metric/).selectOption("memory");
    await rule.getByLabel("Above", { exact: true }).fill("0");
    await rule.getByLabel("For (seconds)").fill("0");
    await rule.getByLabel("e2e hook").check();
    await rule.getByRole("button", { name: "Save" }).click();
    await expect(page.getByTestId("rule-row").filter({ hasText: "e2e memory" })).toBeVisible();

    await page.getByRole("link", { name: "Alerts" }).first().click();
    await expect(page.getByTestId("alert-row").filter({ hasText: "e2e memory" })).toBeVisible({ timeout: 30_000 });
    await expect.poll(() => received.find((r) => r.kind === "fire")?.rule?.name, { timeout: 30_000 }).toBe("e2e memory");
    // Each notice unfolds into its attempts: when, result, HTTP status, error.
    const notice = page.getByTestId("alert-row").filter({ hasText: "e2e memory" }).first().getByTestId("notice").first();
    await expect(notice).toContainText("sent", { timeout: 30_000 });
    await notice.locator("summary").click();
    await expect(notice.getByTestId("attempt-row").first()).toContainText("204");

    // Maintenance on a schedule: a one-off window for the Default client; a wrong one names its field.
    await page.getByRole("link", { name: "Rules and channels" }).click();
    await page.getByRole("button", { name: "Schedule maintenance for Default" }).first().click();
    const windowForm = page.getByRole("form", { name: "Maintenance window for Default" });
    const local = (ms: number) => new Date(Date.now() + ms - new Date().getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
    await windowForm.getByLabel("Start", { exact: true }).fill(local(3600_000));
    await windowForm.getByLabel("End", { exact: true }).fill(local(-3600_000));
    await windowForm.getByRole("button", { name: "Add window" }).click();
    await expect(windowForm.getByRole("alert")).toContainText("endsAt");
    await windowForm.getByLabel("Start", { exact: true }).fill(local(-3600_000));
    await windowForm.getByLabel("End", { exact: true }).fill(local(3600_000));
    await windowForm.getByRole("button", { name: "Add window" }).click();
    const scheduled = page.getByTestId("maintenance-window").first();
    await expect(scheduled).toContainText("active now");
    await scheduled.getByRole("button", { name: "Remove window" }).click();
    await expect(page.getByTestId("maintenance-window")).toHaveCount(0);

    // Leave nothing firing for the other specs.
    const xhr = { "x-requested-with": "XMLHttpRequest" };
    const rules = (await (await page.request.get("/api/ui/alert-rules")).json()) as { rules: { id: number; name: string }[] };
    for (const r of rules.rules) await page.request.delete(`/api/ui/alert-rules/${r.id}`, { headers: xhr });
  } finally {
    hook.close();
  }
});

test("a user with the monitoring grant starts a new monitor on only the servers they pick", async ({ page, browser }) => {
  // Such a user reaches only some servers: "every server" would be refused by the panel, so the
  // form does not offer it as the starting point.
  await signIn(page);
  const user = await createUser(page, "monitor-keeper", "monitor-keeper-password");
  const granted = await page.request.patch(`/api/ui/users/${user.id}`, {
    data: { canManageMonitoring: true },
    headers: { "x-requested-with": "XMLHttpRequest" },
  });
  expect(granted.status()).toBe(200);
  const context = await browser.newContext();
  try {
    const theirs = await context.newPage();
    await signIn(theirs, "monitor-keeper", "monitor-keeper-password");
    await theirs.goto("/dashboard/monitors");
    await theirs.getByRole("button", { name: "Add monitor" }).click();
    await expect(theirs.getByRole("form", { name: "Monitor" }).getByLabel("Run on")).toHaveValue("1");
  } finally {
    await context.close();
  }
});
