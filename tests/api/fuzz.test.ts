import fs from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { buildApiRouter } from "../../lib/dialects/index";
import type { Method } from "../../lib/http/router";
import { ADMIN, login, startPanel, type RunningPanel } from "../helpers/panel";
import { bodyOf, rawRequest, type RawReply } from "../helpers/raw";
import { Panel } from "./credentials";

/**
 * A few thousand hostile requests against the real panel, the way a scanner or an attacker sends
 * them: raw malformed bytes on the socket, and well-formed requests with hostile paths, methods,
 * headers, cookies, bodies and credential carriers against every route of the router's table
 * (taken from the table itself, so a new route is fuzzed without anyone touching this file).
 *
 * Whatever comes in: no 5xx, no stack trace or source path in any answer, no hang (an answer
 * within a generous deadline, or the socket closed by the server), and afterwards the panel
 * answers a normal request and its memory has not run away.
 *
 * The randomness is seeded; the seed is printed, and FUZZ_SEED=<seed> replays a run.
 */

const SEED = Number(process.env.FUZZ_SEED) || Math.floor(Math.random() * 2 ** 31);
const STRUCTURED = 2400;
const RAW = 600;
const CONCURRENCY = 12;
const DEADLINE_MS = 20_000;

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T,>(xs: readonly T[]): T => xs[int(xs.length)];
  return { next, int, pick, chance: (p: number) => next() < p };
}

let panel: RunningPanel;
let token: string;
let agentId = "none";
let serverId = "0";

beforeAll(async () => {
  panel = await startPanel();
  const { cookie } = await login(panel.url, ADMIN.username, ADMIN.password);
  const api = new Panel(panel.url, cookie!);
  token = (await api.createToken(cookie!, "fuzz")).token;
  // One real machine, so that some requests get past the lookups into the handlers.
  const made = await api.asAdmin("/api/ui/servers", { method: "POST", body: { name: "fuzz-target" } });
  serverId = String((made.json as { id: number }).id);
  const agents = await api.call("/agents/", { headers: { "x-api-key": token } });
  agentId = (agents.json as { agent_id: string }[])[0]?.agent_id ?? "none";
}, 90_000);
afterAll(() => panel?.stop());

// ---- the routes, from the router's own table --------------------------------------------------------

interface Target {
  method: Method;
  pattern: string;
  dialect: string;
}
const targets: Target[] = [];
for (const d of buildApiRouter().dialects) {
  for (const route of d.routes) for (const method of Object.keys(route.methods) as Method[]) targets.push({ method, pattern: route.pattern, dialect: d.name });
}
/** Paths Next answers (pages, sign-in), fuzzed less often: they cost more to render. */
const NEXT_PATHS = ["/", "/login", "/setup", "/dashboard", "/dashboard/servers", "/api/nextauth/session", "/api/nextauth/csrf", "/api/nextauth/providers", "/api/nextauth/signout", "/api/auth/session", "/api/auth/csrf", "/no/such/page"];

// ---- hostile pieces ---------------------------------------------------------------------------------

const HOSTILE_SEGMENTS = [
  "..", "%2e%2e", "..%2f..%2fetc%2fpasswd", "%00", "a%00b", "%zz", "%", "%e0%80%af", "%c0%ae%c0%ae", "%ff%fe",
  "\u00e9t\u00e9", "%F0%9F%92%A9", "\u202e", "0", "-1", "999999999999999999999", "1e3", "0x10", "NaN", "null", "undefined",
  "[]", "{}", "'or'1'='1", "<script>", "a".repeat(3000), "%252e%252e", ";", "a;b=c", "*", "~", "%20", "+",
];
const HOSTILE_QUERY = [
  "", "?", "?id=", "?id=1,2,3,,,-4,abc", `?id=${Array.from({ length: 3000 }, (_, i) => i).join(",")}`, "?tag=%00", "?page=-1&page_size=1e9",
  "?daemonId=%zz", "?uuid=../../x", "?apikey=", "?apikey=%00", "?apikey=fdk_" + "A".repeat(43), "?a=1&a=2&a=3", "?" + "x=y&".repeat(500),
  "?status=\u0000", "?before=99999999999999999999&limit=0", "?simple=1", "?%zz=%zz", "?callbackUrl=//evil.example",
];
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "PROPFIND", "TRACE", "get", "post", "CONNECT", "M-SEARCH", "BREW", "X".repeat(40)];
const JUNK_CREDENTIALS = ["", "x", "null", "Bearer", "Bearer ", "Token abc", "Basic YWRtaW46YWRtaW4=", "fdk_" + "A".repeat(43), "fdk_", "\u00e9\u00e9", "a".repeat(6000), "' OR 1=1 --", "%00", "Bearer fdk_short"];
const COOKIES = [
  "next-auth.session-token=garbage",
  "next-auth.session-token=",
  "next-auth.session-token=eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..x.y.z",
  "next-auth.session-token=" + "A".repeat(12_000),
  "next-auth.session-token=%zz%00",
  "__Secure-next-auth.session-token=x; next-auth.session-token=y; next-auth.session-token=z",
  "a=b; ; ;; =; next-auth.csrf-token=%",
  "next-auth.session-token.0=abc; next-auth.session-token.1=def",
  "\u00e9=\u00e9",
];
const BODIES: (() => string)[] = [
  () => "",
  () => "{",
  () => "{\"a\":",
  () => "not json at all",
  () => "null",
  () => "[]",
  () => "[1,2,3]",
  () => "\"a string\"",
  () => "123456789012345678901234567890e999",
  () => "-0",
  () => "{\"__proto__\":{\"admin\":true},\"constructor\":{\"prototype\":{\"x\":1}}}",
  () => "[".repeat(5000) + "]".repeat(5000),
  () => "{\"a\":".repeat(3000) + "1" + "}".repeat(3000),
  () => JSON.stringify({ name: "x".repeat(100_000), cmd: "y".repeat(70_000), shell: "bash", timeout: 1e308 }),
  () => JSON.stringify({ username: ["a"], password: { $ne: null }, role: "admin", timeout: -1, uuids: "nope", instances: [null] }),
  () => JSON.stringify({ shell: "bash", cmd: "true", timeout: "30" }),
  () => JSON.stringify({ nickname: "\u0000", startCommand: "\ud800", cwd: 5, eventTask: [] }),
  () => "username=admin&password=x&json=true",
  () => "a=%zz&b=%00&c",
  () => "\u0000\u0001\u0002\u00ff",
  () => "\ufeff{\"a\":1}",
  () => JSON.stringify(Array.from({ length: 20_000 }, (_, i) => i)),
];
const CONTENT_TYPES = ["application/json", "application/json; charset=utf-16", "application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x", "application/xml", "*/*", "\u00e9"];

function pathFor(r: ReturnType<typeof rng>, t: Target): string {
  let path = t.pattern.replace(/:([A-Za-z]+)/g, (_m, name: string) => {
    if (name === "agentId" && r.chance(0.3)) return agentId;
    if (name === "id" && r.chance(0.2)) return serverId;
    return r.pick(HOSTILE_SEGMENTS);
  });
  if (t.dialect === "trmm" || r.chance(0.3)) path += "/";
  if (r.chance(0.1)) path = path.replace(/\//g, () => (r.chance(0.3) ? "//" : "/")).replace(/^\/+/, "/");
  if (r.chance(0.1)) path += "/" + r.pick(HOSTILE_SEGMENTS);
  if (r.chance(0.05)) path = path.toUpperCase();
  return path + r.pick(HOSTILE_QUERY);
}

/** A well-formed request (as bytes on the wire) with hostile parts. */
function structured(r: ReturnType<typeof rng>, forced?: Target): { label: string; bytes: Buffer } {
  const onNext = !forced && r.chance(0.06);
  const t = forced ?? r.pick(targets);
  const method = r.chance(0.75) ? t.method : r.pick(METHODS);
  let target = onNext ? r.pick(NEXT_PATHS) + r.pick(HOSTILE_QUERY) : pathFor(r, t);
  const headers: string[] = ["Host: 127.0.0.1", "Connection: close"];
  const carrier = r.int(7);
  const credential = r.chance(0.35) ? token : r.pick(JUNK_CREDENTIALS);
  if (carrier === 0) headers.push(`X-API-KEY: ${credential}`);
  if (carrier === 1) headers.push(`Authorization: ${credential}`);
  if (carrier === 2) headers.push(`X-Request-Api-Key: ${credential}`);
  if (carrier === 3) target += (target.includes("?") ? "&" : "?") + "apikey=" + encodeURIComponent(credential);
  if (carrier === 4 || r.chance(0.1)) headers.push(`Cookie: ${r.pick(COOKIES)}`);
  if (r.chance(0.2)) headers.push("X-Requested-With: XMLHttpRequest");
  if (r.chance(0.1)) headers.push(`X-Forwarded-For: ${r.pick(["1.2.3.4", "::1, 127.0.0.1", "garbage", "999.999.999.999", ""])}`);
  if (r.chance(0.05)) headers.push(`X-Fleetdeck-Client-Ip: 10.0.0.1`);
  if (r.chance(0.05)) headers.push("X-Fleetdeck-Bench-Skip-Auth: 1");
  if (r.chance(0.05)) headers.push(`Accept: ${r.pick(["text/html", "*/*", "application/json;q=abc", "\u00e9"])}`);
  if (r.chance(0.05)) headers.push(`Range: bytes=${r.pick(["0-", "-1", "a-b", "99999999999999999999-"])}`);
  const withBody = r.chance(0.6) || ["POST", "PUT", "PATCH"].includes(method);
  let body = Buffer.alloc(0);
  if (withBody) {
    body = Buffer.from(r.pick(BODIES)(), "utf8");
    headers.push(`Content-Type: ${r.pick(CONTENT_TYPES)}`);
    if (r.chance(0.15)) {
      // Chunked, in pieces of random size.
      const pieces: Buffer[] = [];
      for (let at = 0; at < body.length; ) {
        const n = 1 + r.int(Math.min(body.length - at, 8192));
        pieces.push(Buffer.from(n.toString(16) + "\r\n"), body.subarray(at, at + n), Buffer.from("\r\n"));
        at += n;
      }
      pieces.push(Buffer.from("0\r\n\r\n"));
      headers.push("Transfer-Encoding: chunked");
      body = Buffer.concat(pieces);
    } else headers.push(`Content-Length: ${body.length}`);
  }
  // The request line is latin1 on the wire: encode what a client would, keep the rest raw.
  const line = `${method} ${encodeURI(target).replace(/%25([0-9a-fA-F]{2})/g, "%$1")} HTTP/1.1`;
  const head = Buffer.from([line, ...headers].join("\r\n") + "\r\n\r\n", "latin1");
  return { label: `${method} ${target.slice(0, 120)}`, bytes: Buffer.concat([head, body]) };
}

/** Bytes no well-behaved client sends. */
function malformed(r: ReturnType<typeof rng>): { label: string; chunks: Buffer[]; halfClose: boolean } {
  const path = pathFor(r, r.pick(targets));
  const cases: [string, () => string | Buffer][] = [
    ["random bytes", () => Buffer.from(Array.from({ length: 1 + r.int(2000) }, () => r.int(256)))],
    ["random bytes then CRLFCRLF", () => Buffer.concat([Buffer.from(Array.from({ length: 1 + r.int(200) }, () => r.int(256))), Buffer.from("\r\n\r\n")])],
    ["no version", () => `GET ${path}\r\n\r\n`],
    ["bad version", () => `GET ${path} HTTP/9.9\r\nHost: x\r\n\r\n`],
    ["NUL in method", () => `G\u0000ET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`],
    ["space in target", () => `GET /a b/c HTTP/1.1\r\nHost: x\r\n\r\n`],
    ["control bytes in target", () => `GET /api/v1/\u0001\u007f HTTP/1.1\r\nHost: x\r\n\r\n`],
    ["only LF", () => `GET ${path} HTTP/1.1\nHost: x\n\n`],
    ["header without colon", () => `GET ${path} HTTP/1.1\r\nHost: x\r\nbroken header\r\n\r\n`],
    ["space before colon", () => `GET ${path} HTTP/1.1\r\nHost : x\r\n\r\n`],
    ["obs-fold", () => `GET ${path} HTTP/1.1\r\nHost: x\r\nX-A: a\r\n  folded\r\n\r\n`],
    ["NUL in header value", () => `GET ${path} HTTP/1.1\r\nHost: x\r\nX-API-KEY: a\u0000b\r\n\r\n`],
    ["huge header", () => `GET ${path} HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000 + r.int(80_000))}\r\n\r\n`],
    ["many headers", () => `GET ${path} HTTP/1.1\r\n${Array.from({ length: 3000 }, (_, i) => `X-H${i}: v`).join("\r\n")}\r\n\r\n`],
    ["huge cookie", () => `GET ${path} HTTP/1.1\r\nHost: x\r\nCookie: next-auth.session-token=${"A".repeat(30_000)}\r\n\r\n`],
    ["bad chunk size", () => `POST ${path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n`],
    ["negative chunk size", () => `POST ${path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nabc\r\n0\r\n\r\n`],
    ["chunk too long", () => `POST ${path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcdefgh\r\n0\r\n\r\n`],
    ["huge chunk size", () => `POST ${path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nabc\r\n`],
    ["TE and CL together", () => `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n`],
    ["two different lengths", () => `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 10\r\n\r\nabc`],
    ["negative length", () => `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n`],
    ["non-numeric length", () => `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n`],
    ["unknown transfer coding", () => `POST ${path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, zork\r\n\r\nabc`],
    ["pipelined junk after a request", () => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n\u0000\u0001garbage\r\n\r\n`],
  ];
  const halfCases: [string, () => string][] = [
    ["half-closed: partial request line", () => `GET ${path.slice(0, 5)}`],
    ["half-closed: headers not finished", () => `GET ${path} HTTP/1.1\r\nHost: x\r\nX-API-KEY: ${token}\r\n`],
    ["half-closed: body shorter than its length", () => `POST ${path} HTTP/1.1\r\nHost: x\r\nX-API-KEY: ${token}\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"a":`],
    ["half-closed: chunked body unfinished", () => `POST ${path} HTTP/1.1\r\nHost: x\r\nX-API-KEY: ${token}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"a":`],
  ];
  if (r.chance(0.25)) {
    const [label, make] = r.pick(halfCases);
    return { label, chunks: [Buffer.from(make(), "latin1")], halfClose: true };
  }
  const [label, make] = r.pick(cases);
  const made = make();
  return { label, chunks: [typeof made === "string" ? Buffer.from(made, "latin1") : made], halfClose: r.chance(0.3) };
}

// ---- checks -----------------------------------------------------------------------------------------

const STACK = /\n\s+at \S.*(:\d+:\d+|\(native\))|\b[\w./-]+\.(tsx?|m?js|cjs):\d+(:\d+)?|node_modules\/|webpack-internal:/;

function problemsOf(label: string, reply: RawReply): string[] {
  const problems: string[] = [];
  if (reply.hung) problems.push(`no answer and no close within ${DEADLINE_MS} ms`);
  // 503 is the documented answer about the one real machine, which is offline ("The agent is not
  // connected"); any other 5xx is the panel failing.
  const offline = reply.status === 503 && /not connected|offline/i.test(bodyOf(reply.text)) && !/internal/i.test(reply.text);
  if (reply.status !== null && reply.status >= 500 && !offline) problems.push(`HTTP ${reply.status}: ${bodyOf(reply.text).slice(0, 300)}`);
  const stack = STACK.exec(reply.text);
  if (stack) problems.push(`stack trace or source path in the answer: ${JSON.stringify(reply.text.slice(Math.max(0, stack.index - 80), stack.index + 120))}`);
  return problems.map((p) => `${label}: ${p}`);
}

async function pool<T>(items: T[], n: number, run: (item: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (i < items.length) await run(items[i++]);
  }));
}

const rss = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))![1]) * 1024;

it(`survives ${STRUCTURED + RAW} hostile requests against every route`, async () => {
  console.log(`fuzz seed: ${SEED} (replay with FUZZ_SEED=${SEED})`);
  const r = rng(SEED);
  const requests: { kind: "structured" | "raw"; label: string; chunks: Buffer[]; halfClose: boolean }[] = [];
  // Every route at least once with its own method, then at random.
  for (let i = 0; i < STRUCTURED; i++) {
    const s = structured(r, targets[i]);
    requests.push({ kind: "structured", label: s.label, chunks: [s.bytes], halfClose: false });
  }
  for (let i = 0; i < RAW; i++) requests.push({ kind: "raw", ...malformed(r) });
  // Interleave raw and structured, deterministically.
  for (let i = requests.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [requests[i], requests[j]] = [requests[j], requests[i]];
  }

  const pid = panel.proc.pid!;
  const rssBefore = rss(pid);
  const problems: string[] = [];
  const statuses = new Map<string, number>();
  await pool(requests, CONCURRENCY, async (req) => {
    const reply = await rawRequest(panel.port, req.chunks, { deadlineMs: DEADLINE_MS, halfClose: req.halfClose });
    const key = reply.status === null ? (reply.closed ? "closed" : "hung") : String(reply.status);
    statuses.set(key, (statuses.get(key) ?? 0) + 1);
    problems.push(...problemsOf(`[${req.kind}] ${JSON.stringify(req.label)}`, reply));
  });
  console.log(`fuzz answers by status: ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);
  if (problems.length) {
    // What the panel itself logged about them, once each.
    const errors = new Set(panel.logs().split("\n").filter((l) => /Error|error/.test(l)).map((l) => l.slice(0, 300)));
    console.log(`panel errors during the fuzz:\n${[...errors].slice(0, 30).join("\n")}`);
  }
  expect(problems.slice(0, 20), `seed ${SEED}: ${problems.length} problem(s)`).toEqual([]);

  // The panel still works: a new session, a new token, a normal request with it.
  expect(panel.proc.exitCode, "the panel is still running").toBeNull();
  const { cookie } = await login(panel.url, ADMIN.username, ADMIN.password);
  expect(cookie, `seed ${SEED}: sign-in after the fuzz`).toBeTruthy();
  const fresh = await new Panel(panel.url, cookie!).createToken(cookie!, "after the fuzz");
  const list = await fetch(`${panel.url}/api/v1/server/list`, { headers: { authorization: fresh.token } });
  expect(list.status).toBe(200);
  expect(((await list.json()) as { code: number }).code).toBe(0);
  const rssAfter = rss(pid);
  console.log(`fuzz panel RSS: ${(rssBefore / 2 ** 20).toFixed(0)} MiB before, ${(rssAfter / 2 ** 20).toFixed(0)} MiB after`);
  expect(rssAfter, `seed ${SEED}: RSS grew from ${rssBefore} to ${rssAfter}`).toBeLessThan(rssBefore + 300 * 2 ** 20);
}, 240_000);
