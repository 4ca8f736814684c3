import fs from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startPanel, type RunningPanel } from "../helpers/panel";
import { waitFor } from "./helpers";

/**
 * The panel's own agent runs the bundled file (what install.sh installs) with an environment
 * built from scratch: the panel's secrets must not reach it, nor the commands and instances it
 * starts.
 */
const NEXTAUTH_SECRET = "nextauth-secret-that-must-stay-in-the-panel";
let panel: RunningPanel;

beforeAll(async () => {
  panel = await startPanel({ FLEETDECK_LOCAL_AGENT: "1", FLEETDECK_AGENT_INTERVAL: "1", NEXTAUTH_SECRET, TZ: "Europe/Paris", LC_TIME: "C" });
});
afterAll(() => panel?.stop());

function childrenOf(pid: number): number[] {
  return fs
    .readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        const stat = fs.readFileSync(`/proc/${d}/stat`, "utf8");
        return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

it("runs the bundle with only PATH, HOME, locale, TZ and its own FLEETDECK_* variables", async () => {
  await waitFor("the local agent to connect", () => panel.logs().includes("connected to panel"), 60_000, panel.logs);
  const agentPid = childrenOf(panel.proc.pid!).find((pid) => fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("fleetdeck-agent.cjs"));
  expect(agentPid, "a child of the panel running dist/agent/fleetdeck-agent.cjs").toBeDefined();

  const cmdline = fs.readFileSync(`/proc/${agentPid}/cmdline`, "utf8").split("\0");
  expect(cmdline).not.toContain("tsx");
  expect(cmdline.some((a) => a.startsWith("--max-old-space-size="))).toBe(true);
  // Nothing a panel user supplies runs on the panel's own host unless its operator said so.
  expect(cmdline).not.toContain("--allow-commands");
  expect(cmdline).not.toContain("--allow-instances");

  const environ = fs.readFileSync(`/proc/${agentPid}/environ`, "utf8");
  const names = environ.split("\0").filter(Boolean).map((kv) => kv.slice(0, kv.indexOf("=")));
  expect(environ).not.toContain(NEXTAUTH_SECRET);
  expect(environ).not.toContain("admin-password-1");
  for (const name of names) expect(name).toMatch(/^(PATH|HOME|LANG|LC_[A-Z_]+|TZ|FLEETDECK_[A-Z_]+)$/);
  expect(names).not.toContain("NEXTAUTH_SECRET");
  expect(names).not.toContain("ADMIN_PASSWORD");
  expect(names).not.toContain("DATABASE_URL");
  expect(names).toEqual(expect.arrayContaining(["PATH", "TZ", "LC_TIME", "FLEETDECK_SECRET"]));
}, 90_000);
