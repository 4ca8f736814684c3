import { describe, expect, it } from "vitest";
import { HistoryWriter } from "./history";
import type { LiveState } from "../../agent/protocol";

function state(cpu: number): LiveState {
  return {
    cpu, memUsed: 100, memTotal: 1000, swapUsed: 0, diskUsed: 50, netInTransfer: 0, netOutTransfer: 0, netInSpeed: cpu * 10,
    netOutSpeed: 0, uptime: 1, load1: 1, load5: 1, load15: 1, tcpConnCount: 3, udpConnCount: 1, processCount: 9,
    temperatures: [], process: { cpuMicros: 0, memory: 0 },
  };
}

describe("HistoryWriter", () => {
  it("averages reports into 10 s and 60 s buckets and emits a bucket when the next one starts", () => {
    const w = new HistoryWriter();
    const t0 = 1_700_000_000_000 - (1_700_000_000_000 % 60_000);
    w.record(1, state(10), t0);
    w.record(1, state(30), t0 + 2_000);
    w.record(1, state(50), t0 + 10_000); // next 10 s bucket: emits the first
    let pending = w.pendingRows();
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({ resolution: 10, cpu: 20, netInSpeed: 200 });
    expect(pending[0].at.getTime()).toBe(t0);
    w.closeStale(t0 + 10 * 60_000);
    pending = w.pendingRows();
    const res = pending.map((r) => [r.resolution, r.cpu]);
    expect(res).toContainEqual([10, 50]);
    expect(res).toContainEqual([60, 30]);
  });

  it("keeps at most 100,000 rows waiting for the database, dropping the oldest", () => {
    const w = new HistoryWriter();
    const t0 = 1_700_000_000_000 - (1_700_000_000_000 % 60_000);
    // 120,000 ten-second buckets (and their minutes) of one server, with no flush in between.
    for (let k = 0; k <= 120_000; k++) w.record(1, state(k % 100), t0 + k * 10_000);
    const pending = w.pendingRows();
    expect(pending.length).toBeLessThanOrEqual(100_000);
    expect(w.dropped).toBe(120_000 + 20_000 - pending.length);
    // The newest are kept: the last bucket closed is the one just before the last report.
    expect(Math.max(...pending.map((r) => r.at.getTime()))).toBe(t0 + 119_999 * 10_000);
  });
});
