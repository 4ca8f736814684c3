import { describe, expect, it } from "vitest";
import { covers, monitorInputSchema, parseHostPort, results, targetProblem, type ResultRow } from "./monitors";

describe("monitors", () => {
  it("cover: every server except the list, or only the list", () => {
    expect(covers({ cover: 0, serverIds: [2], enabled: true }, 1)).toBe(true);
    expect(covers({ cover: 0, serverIds: [2], enabled: true }, 2)).toBe(false);
    expect(covers({ cover: 1, serverIds: [2], enabled: true }, 2)).toBe(true);
    expect(covers({ cover: 1, serverIds: [2], enabled: true }, 1)).toBe(false);
    expect(covers({ cover: 0, serverIds: [], enabled: false }, 1)).toBe(false);
  });

  it("targets must suit the type (and never read as an option of ping)", () => {
    expect(targetProblem(1, "https://example.com/health")).toBeNull();
    expect(targetProblem(1, "example.com")).not.toBeNull();
    expect(targetProblem(2, "10.0.0.1")).toBeNull();
    expect(targetProblem(2, "-c 1000")).not.toBeNull();
    expect(targetProblem(3, "db.internal:5432")).toBeNull();
    expect(parseHostPort("[::1]:22")).toEqual({ host: "::1", port: 22 });
    expect(parseHostPort("host:0")).toBeNull();
    expect(monitorInputSchema.safeParse({ name: "x", type: 2, target: "10.0.0.1", intervalSec: 9 }).success).toBe(false);
  });

  it("averages probes per minute: latency over the answers, loss counted, the minute written when the next starts", () => {
    const t0 = 1_700_000_040_000 - (1_700_000_040_000 % 60_000);
    results.record(5, { monitorId: 9, at: t0 + 1_000, ok: true, delayMs: 10 });
    results.record(5, { monitorId: 9, at: t0 + 20_000, ok: false, delayMs: 0, error: "timeout" });
    results.record(5, { monitorId: 9, at: t0 + 40_000, ok: true, delayMs: 30, certDaysLeft: 12 });
    results.record(5, { monitorId: 9, at: t0 + 61_000, ok: true, delayMs: 5 });
    const pending = (results as unknown as { pending: ResultRow[] }).pending;
    expect(pending).toEqual([{ monitorId: 9, serverId: 5, at: new Date(t0), resolution: 60, avgDelay: 20, up: 2, down: 1, certDaysLeft: 12 }]);
    expect(results.latest.get("9:5")).toMatchObject({ ok: true, delayMs: 5 });
    results.closeStale(t0 + 60_000 + 120_000);
    expect(pending.at(-1)).toMatchObject({ at: new Date(t0 + 60_000), avgDelay: 5, up: 1, down: 0 });
  });
});
