import { defineConfig } from "vitest/config";
import path from "node:path";

export default defineConfig({
  resolve: { alias: { "@": path.resolve(import.meta.dirname) } },
  test: {
    include: ["lib/**/*.test.ts", "agent/**/*.test.ts", "tests/**/*.test.ts", "scripts/**/*.test.ts"],
    // The compiled server and the agent bundle, rebuilt once when older than their sources.
    globalSetup: ["tests/helpers/global-setup.ts"],
    // Two files at a time, each in its own process: most of an API or agent test's time is spent
    // waiting on real processes (a panel starting, an agent's next report, a timer), which the
    // other file's work fills. Files share nothing (each has its own panel, port, data folder
    // and agents), so they may run in any order and side by side.
    fileParallelism: true,
    maxWorkers: 2,
    testTimeout: 30_000,
    // Above startPanel's own limit (90 s), so a panel that does not start says why.
    hookTimeout: 120_000,
  },
});
