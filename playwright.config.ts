import { defineConfig } from "@playwright/test";
import os from "node:os";
import path from "node:path";

/**
 * Browser tests drive Debian's Chromium against a real panel (server.ts over the production
 * build) on a fresh SQLite directory, with the real local agent reporting. The panel
 * binds a port the system gives it (PORT=0) unless E2E_PORT names one; Playwright reads the port
 * from its "listening on" line into FLEETDECK_E2E_PORT, which the workers it then forks inherit.
 */
const fixedPort = process.env.E2E_PORT;
const dataDir = path.join(os.tmpdir(), `fleetdeck-e2e-${process.pid}`);
// The panel's log, where e2e/setup.spec.ts reads the one-time setup code. Set once by the runner;
// the workers it forks inherit it (they load this file again with another pid).
process.env.FLEETDECK_E2E_LOG ??= path.join(os.tmpdir(), `fleetdeck-e2e-${process.pid}.log`);
const logFile = process.env.FLEETDECK_E2E_LOG;
// In the runner, before the panel has started, this is unset; the workers see the real port.
const port = process.env.FLEETDECK_E2E_PORT ?? fixedPort;

export default defineConfig({
  testDir: "e2e",
  // One panel, one browser. The setup spec creates the first admin through /setup; the
  // throttling spec locks 127.0.0.1 out of signing in for a minute, so it runs after all others.
  projects: [
    { name: "setup", testMatch: /setup\.spec\.ts/ },
    { name: "main", dependencies: ["setup"], testIgnore: [/setup\.spec\.ts/, /throttle\.spec\.ts/] },
    { name: "throttle", dependencies: ["main"], testMatch: /throttle\.spec\.ts/ },
  ],
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: [["list"]],
  use: {
    baseURL: port ? `http://127.0.0.1:${port}` : undefined,
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    },
    locale: "en-US",
    trace: "off",
  },
  webServer: {
    // Its output goes to the log file and, through tee, to Playwright, which waits for the
    // "listening on" line and keeps the port it names.
    command: `rm -rf ${dataDir} && node --import tsx server.ts 2>&1 | tee ${logFile}`,
    wait: { stdout: /fleetdeck: listening on http:\/\/127\.0\.0\.1:(?<fleetdeck_e2e_port>\d+)\s/ },
    reuseExistingServer: false,
    timeout: 120_000,
    env: {
      NODE_ENV: "production",
      NEXT_TELEMETRY_DISABLED: "1",
      PORT: fixedPort ?? "0",
      HOST: "127.0.0.1",
      DATA_DIR: dataDir,
      // Port 0 here becomes the bound port (lib/panel.ts): sign-in stays on 127.0.0.1.
      NEXTAUTH_URL: `http://127.0.0.1:${fixedPort ?? 0}`,
      FLEETDECK_LOCAL_AGENT: "1",
      FLEETDECK_LOCAL_AGENT_COMMANDS: "1",
      FLEETDECK_LOCAL_AGENT_INSTANCES: "1",
    },
  },
});
