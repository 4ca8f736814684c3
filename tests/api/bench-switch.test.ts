import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { ROOT, SERVER_COMMAND, startPanel } from "../helpers/panel";

/**
 * FLEETDECK_BENCH_SKIP_AUTH answers API requests as an administrator without credentials (for
 * bench/auth-overhead.mjs). The panel must refuse to start with it unless it listens on loopback
 * only: one line saying why, and a non-zero exit, before anything listens.
 */
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "fleetdeck-bench-switch-"));
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

function start(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...SERVER_COMMAND], {
      cwd: ROOT,
      env: { ...process.env, NODE_ENV: "production", DATA_DIR: dataDir, PORT: "0", FLEETDECK_LOCAL_AGENT: "0", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    // A panel that started anyway is stopped, and the test sees it in `out`.
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

it.each(["0.0.0.0", "::", "192.0.2.10"])("refuses to start with FLEETDECK_BENCH_SKIP_AUTH=1 on HOST=%s", async (host) => {
  const { code, out } = await start({ HOST: host, FLEETDECK_BENCH_SKIP_AUTH: "1" });
  expect(code).not.toBe(0);
  expect(code).not.toBeNull();
  expect(out).not.toContain("listening on");
  const lines = out.trim().split("\n");
  expect(lines, out).toHaveLength(1);
  expect(lines[0]).toMatch(/^fleetdeck: invalid configuration: FLEETDECK_BENCH_SKIP_AUTH needs HOST=127\.0\.0\.1/);
}, 90_000);

it("starts with it on loopback, where only this machine can use it", async () => {
  const panel = await startPanel({ FLEETDECK_BENCH_SKIP_AUTH: "1", HOST: "127.0.0.1" });
  try {
    const r = await fetch(`${panel.url}/api/v1/server/list`, { headers: { "x-fleetdeck-bench-skip-auth": "1" } });
    expect(r.status).toBe(200);
  } finally {
    await panel.stop();
  }
}, 90_000);
