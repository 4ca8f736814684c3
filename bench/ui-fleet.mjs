#!/usr/bin/env node
/**
 * UI fleet benchmark (issue 15): N simulated servers report through the real agent protocol
 * (bench/fleet-sim.mjs) while the servers page runs in Debian's Chromium. Figures are printed,
 * never asserted.
 *
 *   node bench/ui-fleet.mjs [--servers 10000] [--interval 3] [--duration 30] [--scroll 5] [--scroll-speed 4000] [--whole-rows]
 *
 * --whole-rows measures the stream as it was before pages named their rows on screen: the
 * browser's stream is opened without `view=1` (the panel then sends every changed row, as to a
 * script) and the stream clients do not name a view. Without it, the stream clients name 40 rows
 * as a page on screen does.
 *
 * Build first (`npm run build`). What it measures, from the browser's side:
 * - time to first rows: from navigation start to the first server row in the table, and to the
 *   table showing the whole fleet ("N rows");
 * - main-thread long tasks (PerformanceObserver "longtask", tasks over 50 ms) while updates flow
 *   for --duration seconds with nobody touching the page, then while the table is scrolled down
 *   at --scroll-speed pixels a second (a brisk mouse wheel: about 80 rows a second) for --scroll
 *   seconds, with the frames per second the page managed;
 * - bytes per second to the browser over the same window (Chrome DevTools Protocol: encoded bytes
 *   of every response, i.e. what crossed the wire);
 * - the panel's CPU over the window: with the agents alone, with this one browser, and with 20
 *   more plain SSE clients from Node on the push stream (/api/ui/stream), so the cost of one
 *   connected browser or stream client is the difference over the agents alone;
 * - bytes per second that reach those stream clients.
 */
import fs from "node:fs";
import http from "node:http";
import { parseArgs } from "node:util";
import { chromium } from "@playwright/test";
import { connectAll, prepareData, SimAgent } from "./fleet-sim.mjs";
import { adminCookie, cpuSecondsOf, startPanel } from "./lib.mjs";

const { values: flags } = parseArgs({
  options: {
    servers: { type: "string", default: "10000" },
    interval: { type: "string", default: "3" },
    duration: { type: "string", default: "30" },
    scroll: { type: "string", default: "5" },
    "scroll-speed": { type: "string", default: "4000" },
    "whole-rows": { type: "boolean", default: false },
  },
});
const N = Math.max(1, Number(flags.servers) | 0);
const INTERVAL_MS = Math.round(Number(flags.interval) * 1000);
const DURATION_MS = Math.round(Number(flags.duration) * 1000);
const SCROLL_MS = Math.round(Number(flags.scroll) * 1000);
const SCROLL_PX_PER_S = Number(flags["scroll-speed"]);
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const WHOLE_ROWS = flags["whole-rows"];
/** Rows a page shows on screen (with the virtualizer's margin), named by each stream client. */
const VIEW_ROWS = 40;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const kb = (n) => `${(n / 1024).toFixed(0)} KiB`;

/** Long tasks as the page saw them; read and cleared between phases. */
const OBSERVE_LONG_TASKS = `
  window.__longTasks = [];
  new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__longTasks.push(e.duration); })
    .observe({ type: "longtask", buffered: true });
`;

function summarize(tasks) {
  if (!tasks.length) return "none over 50 ms";
  const sorted = tasks.slice().sort((a, b) => a - b);
  const total = tasks.reduce((s, d) => s + d, 0);
  return `longest ${sorted.at(-1).toFixed(0)} ms, p90 ${sorted[Math.floor(sorted.length * 0.9)].toFixed(0)} ms, ${tasks.length} tasks, ${total.toFixed(0)} ms blocked in all`;
}

async function main() {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
  console.log(
    `ui-fleet bench: ${N} servers, a report every ${INTERVAL_MS / 1000} s each, ${DURATION_MS / 1000} s watching + ${SCROLL_MS / 1000} s scrolling; ` +
      (WHOLE_ROWS ? "the stream sends every changed row (as before pages named their rows)" : `pages name the rows they show (stream clients: ${VIEW_ROWS})`),
  );
  const { dataDir, url, servers } = await prepareData(N);
  const panel = await startPanel({ DATABASE_URL: url }, { dataDir });
  const agents = servers.map((s, i) => new SimAgent(i, s, INTERVAL_MS));
  let browser;
  try {
    const cookie = await adminCookie(panel.url);
    const { failed } = await connectAll(agents, panel.url.replace(/^http/, "ws") + "/agent/ws", 200);
    console.log(`  ${N - failed}/${N} agents connected`);
    for (const a of agents) a.start();
    await sleep(INTERVAL_MS + 500); // every agent has reported once

    // The panel's CPU with the agents alone: what each browser or stream client adds is measured against it.
    const base0 = cpuSecondsOf(panel.proc.pid);
    const bw0 = Date.now();
    await sleep(Math.min(DURATION_MS, 10_000));
    const baseCpu = (cpuSecondsOf(panel.proc.pid) - base0) / ((Date.now() - bw0) / 1000);
    console.log(`  agents only: panel at ${(baseCpu * 100).toFixed(0)}% of one core`);

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const name = cookie.slice(0, cookie.indexOf("="));
    await context.addCookies([{ name, value: cookie.slice(name.length + 1), url: panel.url }]);
    await context.addInitScript(OBSERVE_LONG_TASKS);
    const page = await context.newPage();
    if (WHOLE_ROWS) {
      // The page's stream as before it named its rows: every changed row comes.
      await page.route(/\/api\/ui\/stream\?/, (route) => route.continue({ url: route.request().url().replace(/&view=1\b/, "") }));
    }
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    let bytes = 0;
    let responses = 0;
    // dataReceived counts the push stream too (a response that never finishes).
    cdp.on("Network.dataReceived", (e) => {
      bytes += e.encodedDataLength;
    });
    cdp.on("Network.loadingFinished", () => {
      responses++;
    });

    const t0 = Date.now();
    await page.goto(`${panel.url}/dashboard/servers`);
    await page.locator('tr[data-testid^="server-"]').first().waitFor();
    const firstRow = Date.now() - t0;
    await page.getByTestId("table-count").filter({ hasText: `${N.toLocaleString("en-US")} rows` }).waitFor();
    const allRows = Date.now() - t0;
    const rendered = await page.locator('tr[data-testid^="server-"]').count();
    console.log(`  first rows:  ${firstRow} ms after navigation; the table counts all ${N} after ${allRows} ms; ${rendered} rows in the DOM`);

    // Updates flowing, nobody touching the page.
    await page.evaluate(() => (window.__longTasks = []));
    const b0 = bytes;
    const r0 = responses;
    const cpu0 = cpuSecondsOf(panel.proc.pid);
    const w0 = Date.now();
    await sleep(DURATION_MS);
    const windowS = (Date.now() - w0) / 1000;
    const idleTasks = await page.evaluate(() => window.__longTasks);
    const panelCpu = (cpuSecondsOf(panel.proc.pid) - cpu0) / windowS;
    console.log(`  watching:    ${summarize(idleTasks)}`);
    console.log(`  to browser:  ${kb((bytes - b0) / windowS)}/s (${responses - r0} responses in ${windowS.toFixed(0)} s, ${kb((bytes - b0) / Math.max(1, responses - r0))} each on average)`);
    console.log(`  panel:       ${(panelCpu * 100).toFixed(0)}% of one core with this browser and ${N} agents reporting (+${((panelCpu - baseCpu) * 100).toFixed(1)}% for the browser)`);

    // 20 plain SSE clients (as many more open dashboards) on the servers topic, beside the browser.
    const STREAMS = 20;
    let streamBytes = 0;
    const streams = [];
    /** Each client's view, once the panel has taken it (the window starts after all of them). */
    const viewsTaken = [];
    for (let i = 0; i < STREAMS; i++) {
      let taken;
      viewsTaken.push(new Promise((r) => (taken = r)));
      if (WHOLE_ROWS) taken();
      streams.push(
        http.get(`${panel.url}/api/ui/stream?topics=servers${WHOLE_ROWS ? "" : "&view=1"}`, { headers: { cookie } }, (res) => {
          let named = WHOLE_ROWS;
          let head = "";
          res.setEncoding("utf8");
          res.on("data", (c) => {
            streamBytes += Buffer.byteLength(c);
            if (named) return;
            head += c;
            const hello = /event: hello\ndata: (.*)\n/.exec(head);
            if (!hello) return;
            named = true;
            // As a page on screen: the rows it shows (each client its own stretch of the list).
            const ids = Array.from({ length: VIEW_ROWS }, (_, k) => servers[(i * VIEW_ROWS + k) % servers.length].id);
            void fetch(`${panel.url}/api/ui/stream/view`, {
              method: "POST",
              headers: { cookie, "content-type": "application/json", "x-requested-with": "XMLHttpRequest" },
              body: JSON.stringify({ stream: JSON.parse(hello[1]).id, ids }),
            })
              .then((r) => (r.ok ? taken() : console.error(`  stream client ${i}: view refused (${r.status})`)))
              .catch((e) => console.error(`  stream client ${i}: view failed: ${e.message}`));
          });
        }),
      );
    }
    await Promise.race([Promise.all(viewsTaken), sleep(60_000)]);
    await sleep(2_000);
    const s0 = streamBytes;
    const scpu0 = cpuSecondsOf(panel.proc.pid);
    const sw0 = Date.now();
    await sleep(DURATION_MS);
    const streamWindow = (Date.now() - sw0) / 1000;
    const streamCpu = (cpuSecondsOf(panel.proc.pid) - scpu0) / streamWindow;
    for (const r of streams) r.destroy();
    console.log(
      `  streams:     ${STREAMS} SSE clients + the browser: panel at ${(streamCpu * 100).toFixed(0)}% of one core; ` +
        `${(((streamCpu - panelCpu) / STREAMS) * 100).toFixed(2)}% per stream client; ${kb((streamBytes - s0) / streamWindow / STREAMS)}/s to each`,
    );

    // Scrolling the virtualized table from top to bottom while updates keep arriving.
    await page.evaluate(() => (window.__longTasks = []));
    const frames = await page.evaluate(
      async ([ms, speed]) => {
        const scroller = document.querySelector("table[aria-label]")?.parentElement;
        if (!scroller) return 0;
        // Writes only: reading layout in the loop would force a layout per frame that a user's
        // wheel does not.
        const start = performance.now();
        let n = 0;
        await new Promise((done) => {
          const step = () => {
            const t = performance.now() - start;
            scroller.scrollTop = (speed * t) / 1000;
            n++;
            if (t < ms) requestAnimationFrame(step);
            else done();
          };
          requestAnimationFrame(step);
        });
        return n;
      },
      [SCROLL_MS, SCROLL_PX_PER_S],
    );
    const scrollTasks = await page.evaluate(() => window.__longTasks);
    const lastRow = await page.locator('tr[data-testid^="server-"]').last().textContent();
    console.log(`  scrolling:   ${SCROLL_PX_PER_S} px/s for ${SCROLL_MS / 1000} s: ${(frames / (SCROLL_MS / 1000)).toFixed(0)} frames/s; ${summarize(scrollTasks)}; last row drawn: ${lastRow?.slice(0, 40)}`);
  } catch (e) {
    console.error("bench failed:", e);
    console.error(panel.logs().slice(-2000));
    process.exitCode = 1;
  } finally {
    await browser?.close();
    for (const a of agents) {
      a.stop();
      a.ws?.terminate();
    }
    await panel.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
