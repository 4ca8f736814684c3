import { defineConfig } from "vitest/config";
import path from "node:path";

export default defineConfig({
  resolve: { alias: { "@": path.resolve(import.meta.dirname) } },
  test: {
    include: ["lib/**/*.test.ts", "agent/**/*.test.ts", "tests/**/*.test.ts", "scripts/**/*.test.ts"],
    // Two cores: API and agent tests each run real processes; one file at a time keeps them honest.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 90_000,
  },
});
