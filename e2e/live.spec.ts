import { expect, test, type Page, type Request } from "@playwright/test";
import { signIn } from "./helpers";

/**
 * Live pages without polling: the push stream (/api/ui/stream) brings the real local agent's
 * reports and instance changes into the open page; the instance console is a terminal that shows
 * output and sends what is typed; bulk start/stop reports a result per instance.
 */

const LIST_ENDPOINTS = /\/api\/ui\/(servers|agents|daemons|instances)(\/\d+)?(\?|$)/;

/** Requests to the list endpoints from now on (what polling would make). */
function countListRequests(page: Page) {
  const seen: string[] = [];
  const onRequest = (r: Request) => {
    const path = new URL(r.url()).pathname;
    if (r.method() === "GET" && LIST_ENDPOINTS.test(path)) seen.push(path);
  };
  page.on("request", onRequest);
  return { seen, stop: () => page.off("request", onRequest) };
}

/** Resolves once the page's stream has said hello (the hooks stop polling from then on). */
async function streamOpen(page: Page) {
  await page.waitForResponse((r) => r.url().includes("/api/ui/stream") && r.status() === 200);
}

async function localDaemonPage(page: Page) {
  await page.goto("/dashboard/daemons");
  const row = page.locator("tr[data-testid^='daemon-']").first();
  await expect(row.locator("[data-online='true']")).toBeVisible();
  await row.getByRole("link").click();
  await expect(page).toHaveURL(/\/dashboard\/daemons\/\d+$/);
}

async function createInstance(page: Page, name: string, startCommand: string) {
  const form = page.getByRole("form", { name: "Create instance" });
  await form.getByLabel("Name").fill(name);
  await form.getByLabel("Start command").fill(startCommand);
  await form.getByRole("button", { name: "Create instance" }).click();
  await expect(page.getByTestId(`instance-${name}`).locator("[data-status]")).toHaveAttribute("data-status", "stopped");
}

test("the agent's reports reach the servers page through the stream, with no polling", async ({ page }) => {
  await signIn(page);
  const opened = streamOpen(page);
  await page.goto("/dashboard/servers");
  await opened;
  const row = page.locator("tr[data-testid^='server-']").first();
  await expect(row.locator("[data-metric='memory']")).toBeVisible();
  // Let the first fetch and the stream's hello settle, then watch for 10 s.
  await page.waitForTimeout(1_000);
  const requests = countListRequests(page);
  const before = await row.innerText();
  const texts = new Set<string>([before]);
  for (let i = 0; i < 20; i++) {
    await page.waitForTimeout(500);
    texts.add(await row.innerText());
  }
  requests.stop();
  // The local agent reports every few seconds: its figures moved on screen...
  expect(texts.size).toBeGreaterThan(1);
  // ...and not one list request was made for them.
  expect(requests.seen).toEqual([]);
});

test("a server's page follows the agent's reports through the stream, with no request for its detail", async ({ page }) => {
  await signIn(page);
  const servers = (await (await page.request.get("/api/ui/servers")).json()) as { id: number; connected: boolean }[];
  const id = servers.find((s) => s.connected)!.id;
  const opened = streamOpen(page);
  await page.goto(`/dashboard/servers/${id}`);
  await opened;
  const panel = page.getByTestId("live-panel");
  await expect(page.getByTestId("host-panel")).toBeVisible();
  await page.waitForTimeout(1_000);
  // The page does not name the server as a table row: its figures can only come as its detail.
  const detailRequests: string[] = [];
  const onRequest = (r: Request) => {
    if (new URL(r.url()).pathname === `/api/ui/servers/${id}`) detailRequests.push(r.method());
  };
  page.on("request", onRequest);
  const texts = new Set<string>([await panel.innerText()]);
  for (let i = 0; i < 20; i++) {
    await page.waitForTimeout(500);
    texts.add(await panel.innerText());
  }
  page.off("request", onRequest);
  expect(texts.size).toBeGreaterThan(1);
  expect(detailRequests).toEqual([]);
});

test("an agent's page follows its reports through the stream, with no request for its detail", async ({ page }) => {
  await signIn(page);
  const { agents } = (await (await page.request.get("/api/ui/agents")).json()) as { agents: { agent_id: string; connected: boolean }[] };
  const agentId = agents.find((a) => a.connected)!.agent_id;
  const opened = streamOpen(page);
  await page.goto(`/dashboard/agents/${agentId}`);
  await opened;
  // Its facts show when it was last seen, to the second: every report moves it.
  const facts = page.locator("dl").first();
  await expect(facts).toBeVisible();
  await page.waitForTimeout(1_000);
  const detailRequests: string[] = [];
  const onRequest = (r: Request) => {
    if (new URL(r.url()).pathname === `/api/ui/agents/${agentId}`) detailRequests.push(r.method());
  };
  page.on("request", onRequest);
  const texts = new Set<string>([await facts.innerText()]);
  for (let i = 0; i < 20; i++) {
    await page.waitForTimeout(500);
    texts.add(await facts.innerText());
  }
  page.off("request", onRequest);
  expect(texts.size).toBeGreaterThan(1);
  expect(detailRequests).toEqual([]);
});

test("an instance started by the agent shows as running without a reload or polling", async ({ page }) => {
  await signIn(page);
  await localDaemonPage(page);
  await createInstance(page, "live-sleeper", "sleep 300");
  await page.waitForTimeout(1_000);
  const requests = countListRequests(page);
  // Started through the API, not this page: only the agent's report can tell the page.
  const daemonId = new URL(page.url()).pathname.split("/").pop();
  const detail = await (await page.request.get(`/api/ui/daemons/${daemonId}`)).json();
  const uuid = detail.instances.find((i: { name: string }) => i.name === "live-sleeper").uuid;
  const started = await page.request.post(`/api/ui/daemons/${daemonId}/instances/${uuid}/action`, { data: { action: "start" }, headers: { "x-requested-with": "XMLHttpRequest" } });
  expect(started.status()).toBe(200);
  await expect(page.getByTestId("instance-live-sleeper").locator("[data-status]")).toHaveAttribute("data-status", "running");
  requests.stop();
  expect(requests.seen).toEqual([]);

  await page.getByTestId("instance-live-sleeper").getByRole("button", { name: "Kill live-sleeper" }).click();
  await expect(page.getByTestId("instance-live-sleeper").locator("[data-status]")).toHaveAttribute("data-status", "stopped");
  await page.getByTestId("instance-live-sleeper").getByRole("button", { name: "Delete live-sleeper" }).click();
  await page.getByRole("dialog", { name: "Delete instance live-sleeper?" }).getByRole("button", { name: "Delete", exact: true }).click();
  await expect(page.getByTestId("instance-live-sleeper")).toHaveCount(0);
});

test("the console is a terminal: output pushed as it is written, no polling, and what is typed sent line by line", async ({ page }) => {
  await signIn(page);
  await localDaemonPage(page);
  await createInstance(page, "term-echo", "sh -c 'echo ready; while read l; do echo term:$l; done'");
  const instance = page.getByTestId("instance-term-echo");
  await instance.getByRole("button", { name: "Start term-echo", exact: true }).click();
  await expect(instance.locator("[data-status]")).toHaveAttribute("data-status", "running");
  // Requests to the polled output route, from before the console opens to the end.
  const polls: string[] = [];
  page.on("request", (r) => {
    if (/\/instances\/[^/]+\/output(\?|$)/.test(new URL(r.url()).pathname)) polls.push(r.url());
  });
  const pushed = page.waitForResponse((r) => /\/instances\/[^/]+\/console$/.test(new URL(r.url()).pathname) && r.status() === 200);
  await instance.getByRole("button", { name: "Console term-echo" }).click();
  await pushed;

  const consoleBox = page.getByRole("region", { name: "Console: term-echo" });
  const terminal = consoleBox.getByTestId("console-terminal");
  await expect(terminal.locator(".xterm-rows")).toContainText("ready");
  await terminal.click();
  await page.keyboard.type("typed in the terminal");
  await page.keyboard.press("Enter");
  await expect(terminal.locator(".xterm-rows")).toContainText("term:typed in the terminal");
  // The plain field sends to the same terminal.
  await consoleBox.getByLabel("Command").fill("from the field");
  await consoleBox.getByRole("button", { name: "Send" }).click();
  await expect(terminal.locator(".xterm-rows")).toContainText("term:from the field");
  // Everything the instance wrote after the console opened came pushed: not one poll.
  expect(polls).toEqual([]);

  await instance.getByRole("button", { name: "Kill term-echo" }).click();
  await expect(instance.locator("[data-status]")).toHaveAttribute("data-status", "stopped");
  await instance.getByRole("button", { name: "Delete term-echo" }).click();
  await page.getByRole("dialog", { name: "Delete instance term-echo?" }).getByRole("button", { name: "Delete", exact: true }).click();
  await expect(instance).toHaveCount(0);
});

test("bulk stop with mixed results: the running instance stops, the stopped one is refused", async ({ page }) => {
  await signIn(page);
  await localDaemonPage(page);
  await createInstance(page, "bulk-running", "sleep 300");
  await createInstance(page, "bulk-stopped", "sleep 300");
  const running = page.getByTestId("instance-bulk-running");
  await running.getByRole("button", { name: "Start bulk-running", exact: true }).click();
  await expect(running.locator("[data-status]")).toHaveAttribute("data-status", "running");

  await page.getByRole("checkbox", { name: "Select bulk-running" }).check();
  await page.getByRole("checkbox", { name: "Select bulk-stopped" }).check();
  await page.getByRole("group", { name: "Bulk actions" }).getByRole("button", { name: "Stop", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Stop instances" });
  await expect(dialog.getByTestId("bulk-question")).toContainText("Stop 2 instances");
  await dialog.getByRole("button", { name: "Stop 2 instances" }).click();
  await expect(dialog.getByTestId("bulk-summary")).toHaveText("1 done, 1 failed, 0 cancelled, 0 to go");
  await expect(dialog.locator("[data-status='error']")).toContainText("bulk-stopped");
  await expect(dialog.locator("[data-status='error']")).toContainText("not running");
  await dialog.getByRole("button", { name: "Close" }).click();
  await expect(running.locator("[data-status]")).toHaveAttribute("data-status", "stopped");

  for (const name of ["bulk-running", "bulk-stopped"]) {
    await page.getByTestId(`instance-${name}`).getByRole("button", { name: `Delete ${name}` }).click();
    await page.getByRole("dialog", { name: `Delete instance ${name}?` }).getByRole("button", { name: "Delete", exact: true }).click();
    await expect(page.getByTestId(`instance-${name}`)).toHaveCount(0);
  }
});

test("bulk tag: the chosen servers get the tag, each with its result", async ({ page }) => {
  await signIn(page);
  const suffix = Date.now().toString(36);
  for (const n of ["a", "b"]) {
    const res = await page.request.post("/api/ui/servers", { data: { name: `tag-${suffix}-${n}` }, headers: { "x-requested-with": "XMLHttpRequest" } });
    expect(res.status()).toBe(201);
  }
  await page.goto(`/dashboard/servers?q=tag-${suffix}`);
  await page.getByRole("checkbox", { name: `Select tag-${suffix}-a` }).check();
  await page.getByRole("checkbox", { name: `Select tag-${suffix}-b` }).check();
  await page.getByRole("group", { name: "Bulk actions" }).getByRole("button", { name: "Set tag" }).click();
  const dialog = page.getByRole("dialog", { name: "Tag servers" });
  await dialog.getByLabel("New tag").fill(`t-${suffix}`);
  await dialog.getByRole("button", { name: "Tag 2 servers" }).click();
  await expect(dialog.getByTestId("bulk-summary")).toHaveText("2 done, 0 failed, 0 cancelled, 0 to go");
  await dialog.getByRole("button", { name: "Close" }).click();
  // The stream brings the edit into the table.
  await expect(page.locator(`tr[data-testid^='server-']`).filter({ hasText: `tag-${suffix}-a` })).toContainText(`t-${suffix}`);
  await expect(page.locator(`tr[data-testid^='server-']`).filter({ hasText: `tag-${suffix}-b` })).toContainText(`t-${suffix}`);
});
