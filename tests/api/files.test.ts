import fs from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import crypto from "node:crypto";
import yazl from "yazl";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { until } from "../helpers/wait";
import { ADMIN, login, startPanel, type RunningPanel } from "../helpers/panel";
import { call, Panel, type Reply } from "./credentials";
import { rawRequest } from "../helpers/raw";

/**
 * MCSManager's file manager end to end: the real panel, its real local agent (instances allowed)
 * serving a temporary instance folder. Requests are sent the way MCSManager's clients send them:
 * the Python client `mcsmapi` (form-encoded `data=`, multipart upload without a boundary in its
 * Content-Type, URLs built with urljoin) and the web panel (JSON). Escapes are tried as an
 * attacker would, and the folder next door (`inst10` beside `inst1`) must stay untouched.
 */

const EDIT_MAX = 4096;
/** Small, so that a client slower than the limit takes a few seconds, not half a minute. */
const REQUEST_TIMEOUT_SECONDS = 3;
let running: RunningPanel;
let panel: Panel;
let token: string;
let daemon: string;
let uuid: string;
let base: string;
let root: string;

const q = (extra: Record<string, string> = {}) => new URLSearchParams({ daemonId: daemon, uuid, apikey: token, ...extra }).toString();

/** What Python's requests sends for `data={...}`: form-encoded, lists as repeated keys. */
function form(data: Record<string, string | number | (string | string[])[]>): string {
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(data)) {
    if (Array.isArray(v)) for (const x of v) for (const y of Array.isArray(x) ? x : [x]) out.append(k, y);
    else out.append(k, String(v));
  }
  return out.toString();
}
const py = (method: string, p: string, data?: Record<string, string | number | (string | string[])[]>) =>
  call(running.url, p, { method, headers: data ? { "content-type": "application/x-www-form-urlencoded" } : {}, body: data ? form(data) : undefined });
const js = (method: string, p: string, body?: unknown) => call(running.url, p, { method, body });

/** Python's requests multipart body, with the Content-Type mcsmapi sets by hand (no boundary). */
function pyMultipart(content: Buffer, filename = "file"): { body: Buffer; headers: Record<string, string> } {
  const boundary = crypto.randomBytes(16).toString("hex");
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\n\r\n`),
    content,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { body, headers: { "content-type": "multipart/form-data" } };
}

/** Python's urllib.parse.urljoin, as mcsmapi uses it. */
const urljoin = (baseUrl: string, rel: string) => new URL(rel, baseUrl).toString();

function zipOf(entries: Record<string, Buffer | string>): Promise<Buffer> {
  const z = new yazl.ZipFile();
  for (const [name, data] of Object.entries(entries)) z.addBuffer(Buffer.from(data), name);
  z.end();
  const chunks: Buffer[] = [];
  return new Promise((resolve) => {
    z.outputStream.on("data", (c: Buffer) => chunks.push(c));
    z.outputStream.on("end", () => resolve(Buffer.concat(chunks)));
  });
}

async function uploadPy(dir: string, content: Buffer, filename = "file"): Promise<Reply> {
  const issued = await py("POST", `/api/files/upload?${q({ upload_dir: dir })}`);
  expect(issued.status, issued.text).toBe(200);
  const { password, addr } = (issued.json as { data: { password: string; addr: string } }).data;
  const url = urljoin(urljoin(`http://${addr}`, "upload"), password);
  const mp = pyMultipart(content, filename);
  const res = await fetch(url, { method: "POST", headers: mp.headers, body: new Uint8Array(mp.body) });
  return { status: res.status, text: await res.text(), json: undefined };
}

beforeAll(async () => {
  base = await fs.mkdtemp(path.join(os.tmpdir(), "fd-files-api-"));
  root = path.join(base, "inst1");
  await fs.mkdir(root);
  await fs.mkdir(path.join(base, "inst10"));
  await fs.writeFile(path.join(base, "inst10", "secret.txt"), "sibling secret");
  await fs.writeFile(path.join(base, "outside.txt"), "outside");
  running = await startPanel({
    FLEETDECK_LOCAL_AGENT: "1",
    FLEETDECK_LOCAL_AGENT_INSTANCES: "1",
    FLEETDECK_AGENT_INTERVAL: "1",
    FLEETDECK_FILE_EDIT_MAX: String(EDIT_MAX),
    FLEETDECK_FILE_UNZIP_MAX: String(1024 * 1024),
    FLEETDECK_FILE_UPLOAD_MAX: String(4 * 1024 * 1024),
    // Short, for the expiry test, yet room for a loaded machine between issuing and using one.
    FLEETDECK_FILE_TICKET_SECONDS: "10",
    FLEETDECK_REQUEST_TIMEOUT_SECONDS: String(REQUEST_TIMEOUT_SECONDS),
  });
  const cookie = (await login(running.url, ADMIN.username, ADMIN.password)).cookie!;
  panel = new Panel(running.url, cookie);
  token = (await panel.createToken(cookie, "admin")).token;
  daemon = await until("the local daemon", async () => {
    const rows = (await panel.asAdmin("/api/ui/daemons")).json as { uuid: string; online: boolean }[];
    return rows.find((d) => d.online)?.uuid;
  });
  const made = await js("POST", `/api/instance?daemonId=${daemon}&apikey=${token}`, { nickname: "files", startCommand: "cat", cwd: root });
  expect(made.status, made.text).toBe(200);
  uuid = (made.json as { data: { instanceUuid: string } }).data.instanceUuid;
}, 120_000);
afterAll(async () => {
  await running?.stop();
  await fs.rm(base, { recursive: true, force: true });
});

describe("the Python client's requests, unchanged", () => {
  it("writes, reads and lists (form-encoded bodies)", async () => {
    const w = await py("PUT", `/api/files?${q()}`, { target: "/server.properties", text: "motd=Hello\n" });
    expect(w.status, w.text).toBe(200);
    expect((w.json as { data: unknown }).data).toBe(true);
    const r = await py("PUT", `/api/files?${q()}`, { target: "/server.properties" });
    expect(r.status, r.text).toBe(200);
    expect((r.json as { data: string }).data).toBe("motd=Hello\n");
    await fs.mkdir(path.join(root, "world"), { recursive: true });
    const l = await py("GET", `/api/files/list?${q({ target: "/", page: "0", page_size: "100", file_name: "" })}`);
    expect(l.status, l.text).toBe(200);
    const data = (l.json as { data: { items: { name: string; type: number; size: number; time: string; mode: number }[]; page: number; pageSize: number; total: number; absolutePath: string } }).data;
    expect(data).toMatchObject({ page: 0, pageSize: 100, absolutePath: await fs.realpath(root) });
    expect(data.items.map((i) => [i.name, i.type])).toEqual([["world", 0], ["server.properties", 1]]);
    expect(data.items[1]).toMatchObject({ size: 11 });
    expect(typeof data.items[1]!.time).toBe("string");
  });

  it("uploads (multipart without a boundary in the header, to the urljoin'd address) and downloads", async () => {
    const content = crypto.randomBytes(300 * 1024);
    const up = await uploadPy("/world", content);
    expect(up.status, up.text).toBe(200);
    expect(up.text).toBe("OK");
    expect(Buffer.compare(await fs.readFile(path.join(root, "world", "file")), content)).toBe(0);

    const issued = await py("POST", `/api/files/download?${q({ file_name: "/world/file" })}`);
    expect(issued.status, issued.text).toBe(200);
    const { password, addr } = (issued.json as { data: { password: string; addr: string } }).data;
    // mcsmapi: urljoin(urljoin(f"http://{addr}", "download"), f"{password}/{file_name}")
    const url = urljoin(urljoin(`http://${addr}`, "download"), `${password}//world/file`);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(Buffer.compare(Buffer.from(await res.arrayBuffer()), content)).toBe(0);
    // Good once.
    expect((await fetch(url)).status).toBe(403);
  });
});

describe("the web panel's JSON requests", () => {
  it("touch, mkdir, copy, move, delete, zip and unzip", async () => {
    const ok = async (r: Promise<Reply>) => {
      const x = await r;
      expect(x.status, x.text).toBe(200);
    };
    await ok(js("POST", `/api/files/mkdir?${q()}`, { target: "/plugins" }));
    await ok(js("POST", `/api/files/touch?${q()}`, { target: "/plugins/a.yml" }));
    await ok(js("POST", `/api/files/copy?${q()}`, { targets: [["/plugins", "/plugins-copy"]] }));
    await ok(js("PUT", `/api/files/move?${q()}`, { targets: [["/plugins-copy/a.yml", "/b.yml"]] }));
    await ok(js("POST", `/api/files/compress?${q()}`, { type: 1, code: "utf-8", source: "/p.zip", targets: ["/plugins", "/b.yml"] }));
    await ok(js("POST", `/api/files/mkdir?${q()}`, { target: "/restored" }));
    await ok(js("POST", `/api/files/compress?${q()}`, { type: 2, code: "utf-8", source: "/p.zip", targets: "/restored" }));
    expect((await fs.readdir(path.join(root, "restored"))).sort()).toEqual(["b.yml", "plugins"]);
    await ok(js("DELETE", `/api/files?${q()}`, { targets: ["/plugins-copy", "/b.yml", "/restored", "/p.zip"] }));
    expect((await fs.readdir(root)).sort()).toEqual(["plugins", "server.properties", "world"]);
  });

  it("takes the Python client's form-encoded copy/move pairs (flattened) and delete lists", async () => {
    expect((await py("POST", `/api/files/copy?${q()}`, { targets: [["/server.properties", "/a.txt"], ["/server.properties", "/b.txt"]] })).status).toBe(200);
    expect((await py("PUT", `/api/files/move?${q()}`, { targets: [["/a.txt", "/c.txt"]] })).status).toBe(200);
    expect((await py("DELETE", `/api/files?${q()}`, { targets: ["/b.txt", "/c.txt"] })).status).toBe(200);
    expect((await fs.readdir(root)).sort()).toEqual(["plugins", "server.properties", "world"]);
  });

  it("audits every change with who, which instance and which paths", async () => {
    const log = (await panel.asAdmin("/api/ui/audit?action=file&limit=200")).json as { entries: { action: string; detail: string; actorName: string }[] };
    const items = log.entries;
    const actions = new Set(items.map((i) => i.action));
    for (const a of ["file.write", "file.mkdir", "file.touch", "file.copy", "file.move", "file.delete", "file.zip", "file.unzip", "file.upload", "file.download"]) expect(actions, a).toContain(a);
    const write = items.find((i) => i.action === "file.write")!;
    expect(write.detail).toContain(uuid);
    expect(write.detail).toContain("/server.properties");
    expect(write.actorName).toBe("admin");
  });
});

describe("escapes, tried as an attacker would", () => {
  beforeAll(async () => {
    await fs.symlink(path.join(base, "inst10"), path.join(root, "sib"));
    await fs.symlink(path.join(base, "outside.txt"), path.join(root, "out.txt"));
  });

  it("refuses every kind of path that leaves the folder, for reads and writes", async () => {
    const bad = ["../inst10/secret.txt", "/../inst10/secret.txt", "world/../../outside.txt", "C:\\Windows\\win.ini", "c:/x", "\\\\server\\share\\x", "//server/share/x", "..\\outside.txt", "sib/secret.txt", "out.txt"];
    for (const target of bad) {
      const r = await js("PUT", `/api/files?${q()}`, { target });
      expect(r.status, `${target}: ${r.text}`).toBe(400);
      const w = await js("PUT", `/api/files?${q()}`, { target, text: "pwned" });
      expect([400, 404], `${target}: ${w.text}`).toContain(w.status);
      const l = await js("GET", `/api/files/list?${q({ target, page: "0", page_size: "10" })}`);
      expect([400, 404], target).toContain(l.status);
    }
    for (const [from, to] of [["/server.properties", "../escaped"], ["../outside.txt", "/stolen.txt"], ["/sib/secret.txt", "/stolen.txt"]]) {
      expect((await js("POST", `/api/files/copy?${q()}`, { targets: [[from, to]] })).status).toBe(400);
      expect((await js("PUT", `/api/files/move?${q()}`, { targets: [[from, to]] })).status).toBe(400);
    }
    expect((await js("DELETE", `/api/files?${q()}`, { targets: ["../inst10"] })).status).toBe(400);
    expect((await js("DELETE", `/api/files?${q()}`, { targets: ["/"] })).status).toBe(400);
    const dl = await js("POST", `/api/files/download?${q({ file_name: "sib/secret.txt" })}`);
    const { password } = (dl.json as { data: { password: string } }).data;
    const res = await fetch(`${running.url}/download/${password}/secret.txt`);
    expect(res.status).toBe(400);
    expect(await res.text()).not.toContain("sibling secret");
    const up = await js("POST", `/api/files/upload?${q({ upload_dir: "../inst10" })}`);
    const upPw = (up.json as { data: { password: string } }).data.password;
    const mp = pyMultipart(Buffer.from("x"), "secret.txt");
    expect((await fetch(`${running.url}/upload/${upPw}`, { method: "POST", headers: mp.headers, body: new Uint8Array(mp.body) })).status).toBe(400);
    // The folder next door and the file outside are untouched.
    expect(await fs.readdir(path.join(base, "inst10"))).toEqual(["secret.txt"]);
    expect(await fs.readFile(path.join(base, "inst10", "secret.txt"), "utf8")).toBe("sibling secret");
    expect(await fs.readFile(path.join(base, "outside.txt"), "utf8")).toBe("outside");
  });

  it("refuses zip entries with ../ and a zip bomb before writing anything", async () => {
    const evil = await zipOf({ "aa/evil.txt": "x" });
    const patched = Buffer.from(evil.toString("latin1").split("aa/evil.txt").join("../evil.tx"), "latin1");
    await fs.writeFile(path.join(root, "evil.zip"), patched);
    const r = await js("POST", `/api/files/compress?${q()}`, { type: 2, code: "utf-8", source: "/evil.zip", targets: "/" });
    expect(r.status, r.text).toBe(400);
    await expect(fs.access(path.join(base, "evil.tx"))).rejects.toThrow();
    await fs.writeFile(path.join(root, "bomb.zip"), await zipOf({ "zeros.bin": Buffer.alloc(4 * 1024 * 1024) }));
    const b = await js("POST", `/api/files/compress?${q()}`, { type: 2, code: "utf-8", source: "/bomb.zip", targets: "/bomb" });
    expect(b.status, b.text).toBe(413);
    await expect(fs.access(path.join(root, "bomb"))).rejects.toThrow();
    await fs.rm(path.join(root, "evil.zip"));
    await fs.rm(path.join(root, "bomb.zip"));
  });
});

describe("bad input", () => {
  it("refuses binary files and files over the edit limit as text, with clear messages", async () => {
    await fs.writeFile(path.join(root, "x.bin"), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 1]));
    const b = await js("PUT", `/api/files?${q()}`, { target: "/x.bin" });
    expect(b.status).toBe(400);
    expect((b.json as { data: string }).data).toMatch(/binary/);
    await fs.writeFile(path.join(root, "big.log"), "y".repeat(EDIT_MAX + 1));
    const big = await js("PUT", `/api/files?${q()}`, { target: "/big.log" });
    expect(big.status).toBe(413);
    expect((big.json as { data: string }).data).toMatch(/cannot be opened as text/);
    const w = await js("PUT", `/api/files?${q()}`, { target: "/big2.log", text: "z".repeat(EDIT_MAX + 1) });
    expect(w.status).toBe(413);
  });

  it("keeps unicode names, refuses newlines in names", async () => {
    const up = await uploadPy("/", Buffer.from("hi"), "wörld ✓ 世界.txt");
    expect(up.status, up.text).toBe(200);
    expect(await fs.readFile(path.join(root, "wörld ✓ 世界.txt"), "utf8")).toBe("hi");
    const l = await js("GET", `/api/files/list?${q({ target: "/", page: "0", page_size: "100", file_name: "世界" })}`);
    expect((l.json as { data: { items: { name: string }[] } }).data.items.map((i) => i.name)).toEqual(["wörld ✓ 世界.txt"]);
    expect((await js("POST", `/api/files/touch?${q()}`, { target: "/a\nb" })).status).toBe(400);
  });

  it("lands concurrent writes to one file whole", async () => {
    const texts = Array.from({ length: 12 }, (_, i) => `${i}:`.repeat(300));
    const replies = await Promise.all(texts.map((text) => js("PUT", `/api/files?${q()}`, { target: "/race.txt", text })));
    for (const r of replies) expect(r.status, r.text).toBe(200);
    expect(texts).toContain(await fs.readFile(path.join(root, "race.txt"), "utf8"));
    expect((await fs.readdir(root)).filter((n) => n.includes(".fdpart-"))).toEqual([]);
  });

  it("refuses an upload over FLEETDECK_FILE_UPLOAD_MAX and keeps nothing of it", async () => {
    const up = await uploadPy("/", crypto.randomBytes(5 * 1024 * 1024), "huge.bin");
    expect(up.status, up.text).toBe(413);
    await until("the refused upload dropped", async () => ((await fs.readdir(root)).some((n) => n.includes("huge.bin")) ? undefined : true));
  });

  it("leaves no partial file when an upload is cut in the middle", async () => {
    const issued = await js("POST", `/api/files/upload?${q({ upload_dir: "/" })}`);
    const { password } = (issued.json as { data: { password: string } }).data;
    const boundary = "cutcutcut";
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="cut.bin"\r\n\r\n`;
    const u = new URL(running.url);
    await new Promise<void>((resolve) => {
      const req = http.request({ host: u.hostname, port: u.port, method: "POST", path: `/upload/${password}`, headers: { "content-type": `multipart/form-data; boundary=${boundary}`, "content-length": 50 * 1024 * 1024 } });
      req.on("error", () => resolve());
      req.write(head);
      req.write(Buffer.alloc(2 * 1024 * 1024, 7), () => setTimeout(() => {
        req.destroy();
        resolve();
      }, 300));
    });
    await until("the cut upload dropped", async () => ((await fs.readdir(root)).some((n) => n.includes("cut.bin")) ? undefined : true));
    expect(await fs.readdir(root)).not.toContain("cut.bin");
  });

  it("takes an upload that trickles for longer than the request time-out; cuts a stalled upload and a slow ordinary request", async () => {
    const pieces = (body: Buffer, n: number) => Array.from({ length: n }, (_, i) => body.subarray(Math.floor((i * body.length) / n), Math.floor(((i + 1) * body.length) / n)));
    const request = (password: string, body: Buffer) => `POST /upload/${password} HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data\r\nContent-Length: ${body.length}\r\n\r\n`;
    const password = async () => ((await js("POST", `/api/files/upload?${q({ upload_dir: "/" })}`)).json as { data: { password: string } }).data.password;
    const slowContent = crypto.randomBytes(64 * 1024);
    const slow = pyMultipart(slowContent, "slow.bin").body;
    const stalled = pyMultipart(crypto.randomBytes(64 * 1024), "stalled.bin").body;
    const gapMs = 500;
    const [trickled, stall, ordinary] = await Promise.all([
      // Twice the limit in all, never silent for long.
      rawRequest(running.port, [request(await password(), slow), ...pieces(slow, (2 * REQUEST_TIMEOUT_SECONDS * 1000) / gapMs)], { gapMs, untilResponse: true, deadlineMs: 60_000 }),
      // Half a file, then nothing.
      rawRequest(running.port, [request(await password(), stalled), stalled.subarray(0, stalled.length / 2)], { deadlineMs: 60_000 }),
      // Not an upload: the whole request within the limit, however steadily it trickles.
      rawRequest(
        running.port,
        [`POST /api/files/touch?${q()} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n`, ...Array.from({ length: (2 * REQUEST_TIMEOUT_SECONDS * 1000) / gapMs }, () => " ")],
        { gapMs, deadlineMs: 60_000 },
      ),
    ]);
    expect(trickled.status, trickled.text).toBe(200);
    expect(Buffer.compare(await fs.readFile(path.join(root, "slow.bin")), slowContent)).toBe(0);
    expect([stall.status, stall.closed]).toEqual([408, true]);
    expect([ordinary.status, ordinary.closed]).toEqual([408, true]);
    await until("the stalled upload dropped", async () => ((await fs.readdir(root)).some((n) => n.includes("stalled.bin")) ? undefined : true));
  }, 90_000);

  it("refuses a download password used twice or after it expired", async () => {
    const issue = async () => ((await js("POST", `/api/files/download?${q({ file_name: "/server.properties" })}`)).json as { data: { password: string } }).data.password;
    const pw = await issue();
    expect((await fetch(`${running.url}/download/${pw}/server.properties`)).status).toBe(200);
    expect((await fetch(`${running.url}/download/${pw}/server.properties`)).status).toBe(403);
    const old = await issue();
    // Past FLEETDECK_FILE_TICKET_SECONDS (polling would spend the password).
    await new Promise((r) => setTimeout(r, 10_500));
    expect((await fetch(`${running.url}/download/${old}/server.properties`)).status).toBe(403);
  });
});

describe("who may", () => {
  it("lets the assigned user in and keeps others out", async () => {
    const mk = async (name: string, instances: string[]) => {
      const u = await panel.createUser(name);
      await panel.patchUser(u.id, { instances });
      const cookie = (await login(running.url, name, u.password)).cookie!;
      return (await panel.createToken(cookie, name)).token;
    };
    const mine = await mk("assignee", [uuid]);
    const stranger = await mk("stranger", []);
    const as = (t: string) => new URLSearchParams({ daemonId: daemon, uuid, apikey: t, target: "/", page: "0", page_size: "10" }).toString();
    expect((await js("GET", `/api/files/list?${as(mine)}`)).status).toBe(200);
    expect((await js("GET", `/api/files/list?${as(stranger)}`)).status).toBe(403);
    expect((await js("PUT", `/api/files?${as(stranger)}`, { target: "/server.properties" })).status).toBe(403);
  });

  it("lets a read-only token read a file with PUT {target} but not write one", async () => {
    const cookie = (await login(running.url, ADMIN.username, ADMIN.password)).cookie!;
    const made = await call(running.url, "/api/ui/tokens", { method: "POST", headers: { cookie, "x-requested-with": "XMLHttpRequest" }, body: { note: "ro", readOnly: true } });
    expect(made.status, made.text).toBe(201);
    const ro = (made.json as { token: string }).token;
    const ref = new URLSearchParams({ daemonId: daemon, uuid, apikey: ro }).toString();
    expect((await js("PUT", `/api/files?${ref}`, { target: "/server.properties" })).status).toBe(200);
    expect((await js("PUT", `/api/files?${ref}`, { target: "/server.properties", text: "x" })).status).toBe(403);
    expect((await js("POST", `/api/files/touch?${ref}`, { target: "/ro.txt" })).status).toBe(403);
    expect(await fs.readFile(path.join(root, "server.properties"), "utf8")).toBe("motd=Hello\n");
  });

  it("answers at once in MCSManager's envelope when the daemon is offline", async () => {
    const s = await panel.asAdmin("/api/ui/servers", { method: "POST", body: { name: "offline-box" } });
    expect(s.status, s.text).toBe(201);
    const daemons = (await panel.asAdmin("/api/ui/daemons")).json as { id: number; uuid: string }[];
    const off = daemons.find((d) => d.id === (s.json as { id: number }).id)!;
    const made = await js("POST", `/api/instance?daemonId=${off.uuid}&apikey=${token}`, { nickname: "far", startCommand: "cat", cwd: "/srv/far" });
    expect(made.status, made.text).toBe(200);
    const far = (made.json as { data: { instanceUuid: string } }).data.instanceUuid;
    const ref = new URLSearchParams({ daemonId: off.uuid, uuid: far, apikey: token }).toString();
    for (const [method, p, body] of [
      ["GET", `/api/files/list?${ref}&target=/`, undefined],
      ["PUT", `/api/files?${ref}`, { target: "/x" }],
      ["POST", `/api/files/touch?${ref}`, { target: "/x" }],
      ["POST", `/api/files/download?${ref}&file_name=/x`, undefined],
      ["POST", `/api/files/upload?${ref}&upload_dir=/`, undefined],
    ] as const) {
      const r = await js(method, p, body);
      expect(r.status, `${method} ${p}`).toBe(503);
      expect(r.json).toMatchObject({ status: 503, data: expect.stringMatching(/offline/) });
    }
  });
});
