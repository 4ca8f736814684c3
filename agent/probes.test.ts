import { execFileSync } from "node:child_process";
import http from "node:http";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MonitorRunner, parsePingTime, probeHttp, probeIcmp, probeTcp, type ProbeOutcome } from "./probes";
import { until } from "../tests/helpers/wait";

let web: http.Server;
let webUrl: string;
let tcp: net.Server;
let tcpPort: number;

beforeAll(async () => {
  web = http.createServer((req, res) => res.writeHead(req.url === "/fail" ? 503 : 200).end("ok"));
  await new Promise<void>((r) => web.listen(0, "127.0.0.1", r));
  webUrl = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
  tcp = net.createServer((s) => s.end());
  await new Promise<void>((r) => tcp.listen(0, "127.0.0.1", r));
  tcpPort = (tcp.address() as AddressInfo).port;
});
afterAll(() => {
  web.close();
  tcp.close();
});

/** A port nothing listens on: bound and released. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe("probes on loopback", () => {
  it("HTTP: up with a latency on 2xx, down with the status otherwise, down when nothing listens", async () => {
    const up = await probeHttp(`${webUrl}/`);
    expect(up.ok).toBe(true);
    expect(up.delayMs).toBeGreaterThan(0);
    expect(up.certDaysLeft).toBeNull();
    expect(await probeHttp(`${webUrl}/fail`)).toMatchObject({ ok: false, error: "HTTP 503", delayMs: 0 });
    expect(await probeHttp(`http://127.0.0.1:${await closedPort()}/`)).toMatchObject({ ok: false, error: "ECONNREFUSED" });
  });

  it("TCP: connects, or says why not", async () => {
    const up = await probeTcp(`127.0.0.1:${tcpPort}`);
    expect(up.ok).toBe(true);
    expect(up.delayMs).toBeGreaterThan(0);
    expect(await probeTcp(`127.0.0.1:${await closedPort()}`)).toMatchObject({ ok: false, error: "ECONNREFUSED" });
    expect(await probeTcp("no-port")).toMatchObject({ ok: false });
  });

  it("ICMP through the system ping against 127.0.0.1", async (ctx) => {
    // Without a ping binary (or one this user may not run), say so and skip.
    try {
      execFileSync("ping", ["-c", "1", "-W", "1", "127.0.0.1"], { stdio: "ignore" });
    } catch (e) {
      console.log(`skipped: ping against 127.0.0.1 does not work here (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); install iputils-ping`);
      ctx.skip();
    }
    const r = await probeIcmp("127.0.0.1");
    expect(r.ok).toBe(true);
    expect(r.delayMs).toBeGreaterThanOrEqual(0);
    expect(await probeIcmp("-f")).toMatchObject({ ok: false, error: "invalid host" });
  });

  it("reads ping's round-trip time in its usual wordings", () => {
    expect(parsePingTime("64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=0.045 ms")).toBe(0.045);
    expect(parsePingTime("Reply from 10.0.0.1: bytes=32 time<1ms TTL=128")).toBe(1);
    expect(parsePingTime("Reply from 10.0.0.1: bytes=32 time=14ms TTL=57")).toBe(14);
    expect(parsePingTime("Request timed out.")).toBeNull();
  });

  it("the runner probes on each monitor's interval and hands results over in batches", async () => {
    const batches: ProbeOutcome[][] = [];
    const runner = new MonitorRunner((b) => batches.push(b), { flushMs: 200 });
    runner.assign([
      { id: 1, type: 1, target: `${webUrl}/`, intervalSec: 1 },
      { id: 2, type: 3, target: `127.0.0.1:${tcpPort}`, intervalSec: 1 },
    ]);
    await until("results of both monitors", () => {
      const ids = new Set(batches.flat().map((r) => r.monitorId));
      return ids.has(1) && ids.has(2);
    });
    runner.assign([{ id: 2, type: 3, target: `127.0.0.1:${tcpPort}`, intervalSec: 1 }]);
    runner.flush();
    const after = batches.length;
    await until("more results of the kept monitor", () => batches.slice(after).flat().some((r) => r.monitorId === 2));
    expect(batches.slice(after).flat().every((r) => r.monitorId === 2)).toBe(true);
    runner.stop();
  });
});
