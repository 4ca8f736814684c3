import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, expect, it } from "vitest";
import { ADMIN, listeningUrl, login, ROOT } from "../helpers/panel";

/**
 * `npm start` as the README gives it, stopped the way a service manager or `kill <pid>` stops it:
 * SIGTERM to npm. npm runs the script through `sh -c`, which does not pass the signal on, so the
 * panel must notice on its own, shut down cleanly (saving what it holds) and free the port.
 */
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "fleetdeck-start-"));
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

it("stops the panel and its local agent when npm is sent SIGTERM, saving last-active times", async () => {
  // PORT=0: the panel takes a port the system gives it and names it on its "listening on" line.
  const npm = spawn("npm", ["start"], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: "0",
      HOST: "127.0.0.1",
      DATA_DIR: dataDir,
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_PASSWORD: ADMIN.password,
      FLEETDECK_LOCAL_AGENT: "1",
      FLEETDECK_AGENT_INTERVAL: "1",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  npm.stdout!.on("data", (d) => (out += d));
  npm.stderr!.on("data", (d) => (out += d));
  const until = async (what: string, ok: () => boolean | Promise<boolean>, ms: number) => {
    const end = Date.now() + ms;
    while (!(await ok())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}:\n${out}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  await until("the panel to listen", () => listeningUrl(out) !== null, 90_000);
  const url = listeningUrl(out)!;
  const port = new URL(url).port;
  const answers = () => fetch(`${url}/api/v1/server/list`).then(() => true, () => false);

  // A report received: the panel has a last-active time to save.
  const { cookie } = await login(url, ADMIN.username, ADMIN.password);
  expect(cookie).toBeTruthy();
  const reported = async () => {
    const r = await fetch(`${url}/api/ui/servers`, { headers: { cookie: cookie!, "x-requested-with": "XMLHttpRequest" } });
    const rows = (await r.json()) as { lastActive: number | null }[];
    return rows.length === 1 && rows[0].lastActive !== null;
  };
  await until("the local agent to report", reported, 90_000);
  expect(await answers()).toBe(true);

  // The local agent: the one process whose command line names this panel's address.
  const agentPids = () =>
    fs
      .readdirSync("/proc")
      .filter((d) => /^\d+$/.test(d))
      .filter((pid) => {
        try {
          const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
          return cmd.includes("fleetdeck-agent") && cmd.includes(`127.0.0.1:${port}`);
        } catch {
          return false;
        }
      });
  expect(agentPids().length).toBe(1);

  npm.kill("SIGTERM");
  await until("the panel to free its port", async () => !(await answers()), 20_000);
  expect(out).toContain("SIGTERM: shutting down");
  await until("the local agent to stop too", () => agentPids().length === 0, 20_000);

  const db = new Database(path.join(dataDir, "fleetdeck.db"), { readonly: true });
  try {
    const local = db.prepare(`SELECT "lastActive" FROM "Server" WHERE "isLocal" = 1`).get() as { lastActive: string | null };
    expect(local.lastActive).not.toBeNull();
  } finally {
    db.close();
  }
}, 150_000);
