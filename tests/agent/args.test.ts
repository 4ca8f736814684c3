/**
 * Argument checking of the real agent: one clear line on stderr and exit code 1.
 */
import { describe, expect, it } from "vitest";
import { spawnAgent } from "./helpers";

describe("agent arguments", () => {
  const cases: [string, string[], RegExp][] = [
    ["a missing panel", ["--secret", "x"], /--panel <url> is required/],
    ["a missing secret", ["--panel", "http://127.0.0.1:9"], /--secret <secret> is required/],
    ["interval 0", ["--panel", "http://127.0.0.1:9", "--secret", "x", "--interval", "0"], /--interval must be a whole number/],
    ["interval 11", ["--panel", "http://127.0.0.1:9", "--secret", "x", "--interval", "11"], /--interval must be a whole number/],
    ["interval 1.5", ["--panel", "http://127.0.0.1:9", "--secret", "x", "--interval", "1.5"], /--interval must be a whole number/],
    ["a bad URL", ["--panel", "not a url", "--secret", "x"], /is not a URL/],
    ["an ftp URL", ["--panel", "ftp://example.com", "--secret", "x"], /must be an http\(s\) URL/],
    ["an unknown flag", ["--panel", "http://127.0.0.1:9", "--secret", "x", "--bogus"], /bogus/],
  ];
  it.concurrent.each(cases)("refuses %s with one line and exit code 1", { timeout: 15_000 }, async (_name, args, message) => {
    const agent = spawnAgent(args);
    expect(await agent.exited).toBe(1);
    const lines = agent.stderr().trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^fleetdeck-agent: /);
    expect(lines[0]).toMatch(message);
  });
});
