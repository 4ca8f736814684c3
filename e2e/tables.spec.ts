import os from "node:os";
import { expect, test, type Page } from "@playwright/test";
import { signIn } from "./helpers";

/** The panel's own agent (commands allowed in playwright.config.ts) runs on this machine. */
const HOST = os.hostname();
const LOCAL = "This panel's host";
const XRW = { "x-requested-with": "XMLHttpRequest" };

async function addServer(page: Page, name: string, tag: string) {
  const res = await page.request.post("/api/ui/servers", { data: { name, tag }, headers: XRW });
  expect(res.status()).toBe(201);
  return (await res.json()) as { id: number };
}

/** The server names in the order the table shows them. */
async function serverNames(page: Page, prefix: string) {
  const names = await page.getByRole("table", { name: "Servers" }).locator('td[data-column="name"] a').allTextContents();
  return names.filter((n) => n.startsWith(prefix));
}

test("the servers table searches, sorts, groups, and keeps all three in the URL", async ({ page }) => {
  await signIn(page);
  const suffix = Date.now().toString(36);
  for (const [name, tag] of [["charlie", "tbl-a"], ["alpha", "tbl-a"], ["bravo", "tbl-b"]]) await addServer(page, `tbl-${suffix}-${name}`, tag);
  await page.goto("/dashboard/servers");
  await expect(page.getByRole("link", { name: LOCAL })).toBeVisible();

  await page.getByRole("searchbox", { name: "Search" }).fill(`tbl-${suffix}`);
  await expect(page.getByRole("link", { name: LOCAL })).toHaveCount(0);
  await expect(page.getByTestId("table-count")).toHaveText(/^3 of \d+$/);
  await expect(page).toHaveURL(new RegExp(`[?&]q=tbl-${suffix}`));

  const nameHeader = page.getByRole("columnheader", { name: "Name" });
  await nameHeader.getByRole("button").click();
  await expect(nameHeader).toHaveAttribute("aria-sort", "ascending");
  expect(await serverNames(page, `tbl-${suffix}`)).toEqual(["alpha", "bravo", "charlie"].map((n) => `tbl-${suffix}-${n}`));
  await nameHeader.getByRole("button").click();
  await expect(nameHeader).toHaveAttribute("aria-sort", "descending");
  expect(await serverNames(page, `tbl-${suffix}`)).toEqual(["charlie", "bravo", "alpha"].map((n) => `tbl-${suffix}-${n}`));

  await page.getByLabel("Group by").selectOption("tag");
  await expect(page.locator('tr[data-group="tbl-a"]')).toContainText("(2)");
  await expect(page.locator('tr[data-group="tbl-b"]')).toContainText("(1)");
  // Inside a group the sort still holds: charlie before alpha under tbl-a.
  expect(await serverNames(page, `tbl-${suffix}`)).toEqual(["charlie", "alpha", "bravo"].map((n) => `tbl-${suffix}-${n}`));

  // A reload (or the same link in another tab) comes back to the same view.
  await page.reload();
  await expect(page.getByRole("searchbox", { name: "Search" })).toHaveValue(`tbl-${suffix}`);
  await expect(page.getByRole("columnheader", { name: "Name" })).toHaveAttribute("aria-sort", "descending");
  await expect(page.getByLabel("Group by")).toHaveValue("tag");
  await expect(page.locator('tr[data-group="tbl-a"]')).toBeVisible();
  await expect(page.getByLabel("Group by")).toHaveValue("tag");

  // A search that matches nothing says so.
  await page.getByRole("searchbox", { name: "Search" }).fill("no-such-server-anywhere");
  await expect(page.getByText("Nothing matches.")).toBeVisible();
});

test("bulk delete: the confirmation counts the servers, and each one reports its result", async ({ page }) => {
  await signIn(page);
  const suffix = Date.now().toString(36);
  for (const n of ["one", "two", "three"]) await addServer(page, `bulk-${suffix}-${n}`, "bulk");
  await page.goto(`/dashboard/servers?q=bulk-${suffix}`);
  await expect(page.getByTestId("table-count")).toHaveText(/^3 of \d+$/);

  await page.getByRole("checkbox", { name: "Select all shown" }).check();
  await page.getByRole("checkbox", { name: `Select bulk-${suffix}-three` }).uncheck();
  await expect(page.getByTestId("selected-count")).toHaveText("2 selected");
  await page.getByRole("button", { name: "Delete selected" }).click();

  const dialog = page.getByRole("dialog", { name: "Delete servers" });
  await expect(dialog.getByTestId("bulk-question")).toContainText("Delete 2 servers?");
  await dialog.getByRole("button", { name: "Delete 2 servers" }).click();
  await expect(dialog.getByTestId("bulk-summary")).toHaveText("2 done, 0 failed, 0 cancelled, 0 to go");
  await expect(dialog.locator('[data-status="ok"]')).toHaveCount(2);
  await dialog.getByRole("button", { name: "Close" }).click();

  await expect(page.getByRole("link", { name: `bulk-${suffix}-one` })).toHaveCount(0);
  await expect(page.getByRole("link", { name: `bulk-${suffix}-two` })).toHaveCount(0);
  await expect(page.getByRole("link", { name: `bulk-${suffix}-three` })).toBeVisible();
});

test("bulk command with mixed results: the online agent runs it, the offline one is refused", async ({ page }) => {
  await signIn(page);
  const suffix = Date.now().toString(36);
  const offline = `offline-${suffix}`;
  await addServer(page, offline, "bulk");
  await page.goto("/dashboard/agents");
  const local = page.getByRole("row").filter({ has: page.getByRole("link", { name: HOST, exact: true }) });
  await expect(local).toContainText("Online");
  await local.getByRole("checkbox").check();
  await page.getByRole("row").filter({ has: page.getByRole("link", { name: offline, exact: true }) }).getByRole("checkbox").check();
  await expect(page.getByTestId("selected-count")).toHaveText("2 selected");

  await page.getByRole("button", { name: "Run command" }).click();
  const dialog = page.getByRole("dialog", { name: "Run command" });
  await expect(dialog.getByTestId("bulk-question")).toContainText("2 agents");
  await dialog.getByLabel("Command").fill("echo bulk-$((40+2))");
  await dialog.getByRole("button", { name: "Run on 2 agents" }).click();

  await expect(dialog.getByTestId("bulk-summary")).toHaveText("1 done, 1 failed, 0 cancelled, 0 to go");
  const ok = dialog.locator('li[data-status="ok"]');
  await expect(ok).toContainText(HOST);
  await expect(ok).toContainText("Exit code 0: bulk-42");
  const failed = dialog.locator('li[data-status="error"]');
  await expect(failed).toContainText(offline);
  await expect(failed).toContainText("Unable to contact the agent");
  await dialog.getByRole("button", { name: "Close" }).click();
  await expect(dialog).toBeHidden();
});

test("at a phone's width no page overflows sideways, the menu folds, and row actions stay in view", async ({ page }) => {
  await page.setViewportSize({ width: 375, height: 740 });
  await signIn(page);
  const pages = ["/dashboard/servers", "/dashboard/agents", "/dashboard/daemons", "/dashboard/users", "/dashboard/audit", "/dashboard/tokens", "/dashboard/profile"];
  for (const path of pages) {
    await page.goto(path);
    await expect(page.locator("main h1").first()).toBeVisible();
    await page.waitForLoadState("networkidle").catch(() => undefined);
    const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
    expect(scrollWidth, `${path} is ${scrollWidth}px wide in a ${innerWidth}px window`).toBeLessThanOrEqual(innerWidth);
  }

  await page.goto("/dashboard/servers");
  const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: LOCAL }) });
  await expect(row.getByRole("button", { name: `Edit ${LOCAL}` })).toBeInViewport();
  await expect(row.getByRole("button", { name: `Delete ${LOCAL}` })).toBeInViewport();

  // The header's links fold into a menu.
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Agents" })).toBeHidden();
  await page.getByRole("button", { name: "Menu", exact: true }).click();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Agents" }).click();
  await expect(page).toHaveURL(/\/dashboard\/agents/);
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Agents" })).toBeHidden();
});

test("the favicon, logo and web app manifest are served by the panel itself", async ({ page }) => {
  await signIn(page);
  await expect(page.locator(`header a[href="/dashboard/servers"] svg`)).toBeVisible();
  const manifestHref = await page.locator('link[rel="manifest"]').getAttribute("href");
  expect(manifestHref).toBe("/manifest.webmanifest");
  const manifest = await page.request.get(manifestHref!);
  expect(manifest.status()).toBe(200);
  const body = (await manifest.json()) as { name: string; icons: { src: string }[] };
  expect(body.name).toBe("Fleetdeck");
  for (const icon of body.icons) expect((await page.request.get(icon.src)).status()).toBe(200);
  const ico = await page.request.get("/favicon.ico");
  expect(ico.status()).toBe(200);
  expect((await ico.body()).readUInt16LE(2)).toBe(1); // an ICO directory
  // Nothing on the page came from another origin.
  const origins = await page.evaluate(() => [...new Set(performance.getEntriesByType("resource").map((e) => new URL(e.name).origin))]);
  expect(origins).toEqual([new URL(page.url()).origin]);
});
