import { expect, test } from "@playwright/test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { signIn } from "./helpers";

/**
 * The file manager with the panel's real local agent, on a temporary instance folder: folders,
 * breadcrumbs, a file written in the code editor, an upload, a binary file refused by the editor,
 * rename and a confirmed delete — each checked on disk.
 */
test("files: browse, edit, upload, rename and delete in an instance's folder", async ({ page }) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleetdeck-e2e-files-"));
  fs.writeFileSync(path.join(dir, "level.dat"), Buffer.from([0, 1, 2, 3, 0, 255]));
  await signIn(page);
  await page.goto("/dashboard/daemons");
  const row = page.locator("tr[data-testid^='daemon-']").first();
  await expect(row.locator("[data-online='true']")).toBeVisible();
  await row.getByRole("link").first().click();
  await expect(page).toHaveURL(/\/dashboard\/daemons\/\d+$/);

  const form = page.getByRole("form", { name: "Create instance" });
  await form.getByLabel("Name").fill("e2e-files");
  await form.getByLabel("Start command").fill("cat");
  await form.getByLabel("Working directory").fill(dir);
  await form.getByRole("button", { name: "Create instance" }).click();
  await page.getByRole("button", { name: "Files e2e-files" }).click();
  const files = page.getByRole("region", { name: "Files of e2e-files" });
  await expect(files.getByTestId("file-level.dat")).toBeVisible();

  // A folder, entered through the list and left through the breadcrumbs.
  await files.getByRole("button", { name: "New folder" }).click();
  await page.getByRole("dialog", { name: "New folder" }).getByLabel("Path").fill("/conf");
  await page.getByRole("dialog", { name: "New folder" }).getByRole("button", { name: "Save" }).click();
  await files.getByRole("button", { name: "📁 conf" }).click();
  await expect(files.getByText("This folder is empty.")).toBeVisible();

  // A new file, written in the editor.
  await files.getByRole("button", { name: "New file" }).click();
  await page.getByRole("dialog", { name: "New file" }).getByLabel("Path").fill("/conf/server.properties");
  await page.getByRole("dialog", { name: "New file" }).getByRole("button", { name: "Save" }).click();
  await files.getByRole("button", { name: "server.properties", exact: true }).click();
  const editor = page.getByRole("dialog", { name: "Edit /conf/server.properties" });
  await editor.locator(".cm-content").click();
  await page.keyboard.type("motd=from the browser");
  await editor.getByRole("button", { name: "Save" }).click();
  await expect(editor).toBeHidden();
  expect(fs.readFileSync(path.join(dir, "conf", "server.properties"), "utf8")).toBe("motd=from the browser");

  // An upload into the current folder.
  await files.getByLabel("Upload").setInputFiles({ name: "mod.jar", mimeType: "application/java-archive", buffer: Buffer.alloc(200_000, 9) });
  await expect(files.getByTestId("file-mod.jar")).toBeVisible();
  expect(fs.statSync(path.join(dir, "conf", "mod.jar")).size).toBe(200_000);

  // Rename, then delete with confirmation.
  await files.getByRole("button", { name: "Rename or move mod.jar" }).click();
  await page.getByRole("dialog", { name: "Rename or move mod.jar" }).getByLabel("Path").fill("/conf/renamed.jar");
  await page.getByRole("dialog", { name: "Rename or move mod.jar" }).getByRole("button", { name: "Save" }).click();
  await expect(files.getByTestId("file-renamed.jar")).toBeVisible();
  await files.getByRole("button", { name: "Delete renamed.jar" }).click();
  await page.getByRole("dialog", { name: "Delete renamed.jar?" }).getByRole("button", { name: "Delete", exact: true }).click();
  await expect(files.getByTestId("file-renamed.jar")).toBeHidden();
  expect(fs.readdirSync(path.join(dir, "conf"))).toEqual(["server.properties"]);

  // Back to the root; a binary file is refused by the editor with the reason.
  await files.getByRole("navigation", { name: "Folder path" }).getByRole("button", { name: "e2e-files" }).click();
  await files.getByRole("button", { name: "level.dat", exact: true }).click();
  await expect(page.getByRole("dialog", { name: "Edit /level.dat" }).getByRole("alert")).toContainText("binary");
  fs.rmSync(dir, { recursive: true, force: true });
});
