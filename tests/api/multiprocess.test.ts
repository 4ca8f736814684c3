/**
 * Two panel processes, one fleet, on PostgreSQL (lib/fleet/cluster.ts), black-box: two real panels
 * on one database of a PostgreSQL server of this test's own (it is stopped and started again
 * below), the real agent connected to process 1 through a small TCP proxy that forwards to
 * whichever process is alive — as a load balancer would. Everything is asked of process 2.
 */
import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, ROOT, TEST_PG_URL, login, startPanel, type RunningPanel } from "../helpers/panel";
import { openSse, terminalText } from "../helpers/sse";
import { until } from "../helpers/wait";

if (!TEST_PG_URL) console.log("tests/api/multiprocess.test.ts skipped: FLEETDECK_TEST_PG_URL is not set (`npm test` starts a PostgreSQL cluster and sets it)");

interface Cluster {
  createDatabase(name: string): Promise<string>;
  pause(): void;
  resume(): void;
  stop(): void;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

describe.skipIf(!TEST_PG_URL)("two panel processes serving one fleet", () => {
  let pgServer: Cluster;
  let p1: RunningPanel;
  let p2: RunningPanel;
  let proxy: net.Server;
  let agent: ChildProcess;
  let agentLog = "";
  let token = "";
  let tokenId = 0;
  let cookie1 = "";
  let cookie2 = "";
  let serverId = 0;
  let agentId = "";
  let daemonId = "";
  let instanceUuid = "";
  let instanceDir = "";
  let databaseUrl = "";
  const SEALING_KEY = crypto.randomBytes(32).toString("base64");

  async function call(panel: RunningPanel, p: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}) {
    const res = await fetch(panel.url + p, {
      method: init.method ?? (init.body === undefined ? "GET" : "POST"),
      headers: { "content-type": "application/json", ...init.headers },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const text = await res.text();
    let json: Json = text;
    try {
      json = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: res.status, json, text };
  }
  const nezha = (panel: RunningPanel, p: string) => call(panel, p, { headers: { authorization: token } });
  const trmm = (panel: RunningPanel, p: string, init: { method?: string; body?: unknown } = {}) => call(panel, p, { ...init, headers: { "x-api-key": token } });
  const mcsm = (panel: RunningPanel, p: string, params: Record<string, string>, init: { method?: string; body?: unknown } = {}) =>
    call(panel, `${p}?${new URLSearchParams({ ...params, apikey: token })}`, init);
  const ui = (panel: RunningPanel, cookie: string, p: string, init: { method?: string; body?: unknown } = {}) =>
    call(panel, p, { ...init, headers: { cookie, "x-requested-with": "XMLHttpRequest" } });
  /** Live output (Server-Sent Events) as a terminal shows it: the last reset and what followed. */
  const listen = (panel: RunningPanel, cookie: string, p: string) => {
    const sse = openSse<{ text?: string }>(panel.url + p, { cookie });
    return { ...sse, text: () => terminalText(sse.events) };
  };
  /** The UI's push stream: its hello's id and the ids of the servers rows it carried whole. */
  const pushStream = (panel: RunningPanel, cookie: string) => {
    const sse = openSse<{ id?: string; upsert?: { id: number }[] }>(`${panel.url}/api/ui/stream?topics=servers&view=1`, { cookie });
    return {
      id: () => sse.events.find((e) => e.event === "hello")?.data.id ?? "",
      hasRow: (id: number) => sse.events.some((e) => e.event === "servers" && e.data.upsert?.some((r) => r.id === id)),
      close: sse.close,
    };
  };

  beforeAll(async () => {
    const { startCluster } = (await import(pathToFileURL(path.join(ROOT, "scripts/pg-cluster.mjs")).href)) as { startCluster(o: object): Promise<Cluster> };
    // Its own PostgreSQL server: the test stops it, which the shared one must not be.
    pgServer = await startCluster({ log: () => undefined });
    databaseUrl = await pgServer.createDatabase("fleetdeck_multi");
    // As docs/deploy.md asks: one sealing key for every process (each has its own data folder here,
    // as on separate hosts).
    const env = { FLEETDECK_LOCAL_AGENT: "0", FLEETDECK_SECRET_KEY: SEALING_KEY };
    p1 = await startPanel(env, { databaseUrl });
    p2 = await startPanel(env, { databaseUrl });

    // Connections go to process 1 while it lives, then to process 2.
    proxy = net.createServer((client) => {
      const targets = [p1.port, p2.port];
      const tryNext = (i: number) => {
        if (i >= targets.length) return client.destroy();
        const upstream = net.connect(targets[i], "127.0.0.1");
        upstream.once("connect", () => {
          client.pipe(upstream).pipe(client);
          upstream.on("error", () => client.destroy());
          client.on("error", () => upstream.destroy());
          upstream.on("close", () => client.destroy());
          client.on("close", () => upstream.destroy());
        });
        upstream.once("error", () => tryNext(i + 1));
      };
      tryNext(0);
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;

    cookie1 = (await login(p1.url, ADMIN.username, ADMIN.password)).cookie!;
    const created = await ui(p1, cookie1, "/api/ui/servers", { body: { name: "far-machine" } });
    expect(created.status).toBe(201);
    serverId = created.json.id;
    const t = await ui(p1, cookie1, "/api/ui/tokens", { body: { note: "multi" } });
    expect(t.status).toBe(201);
    token = /"(fdk_[A-Za-z0-9_-]+)"/.exec(t.text)![1];
    tokenId = t.json.id;

    const build = (await import(pathToFileURL(path.join(ROOT, "scripts/build-agent.mjs")).href)) as { ensureAgentBundle(o: object): Promise<{ nodeArgs: string[] }>; AGENT_BUNDLE: string };
    const { nodeArgs } = await build.ensureAgentBundle({ quiet: true });
    agent = spawn(process.execPath, [...nodeArgs, build.AGENT_BUNDLE, "--panel", proxyUrl, "--secret", created.json.secret, "--interval", "1", "--allow-commands", "--allow-instances", "--data-dir", path.join(p1.dataDir, "agent")], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    agent.stdout!.on("data", (d) => (agentLog += d));
    agent.stderr!.on("data", (d) => (agentLog += d));
  }, 120_000);

  afterAll(async () => {
    agent?.kill("SIGTERM");
    proxy?.close();
    await p1?.stop();
    await p2?.stop();
    pgServer?.stop();
    if (instanceDir) fs.rmSync(instanceDir, { recursive: true, force: true });
  });

  it("process 2 lists the agent process 1 holds, with its live state (Nezha list and details)", async () => {
    const details = await until("the agent's report on process 2", async () => {
      const r = await nezha(p2, "/api/v1/server/details");
      return (r.json.result as Json[]).find((s) => s.id === serverId && s.last_active > 0 && s.host?.Platform);
    });
    expect(details.host.Platform).toBe(process.platform);
    expect(details.status.MemUsed).toBeGreaterThan(0);
    const list = await nezha(p2, "/api/v1/server/list");
    expect(list.json.result.map((s: Json) => s.name)).toContain("far-machine");
    // The report keeps coming: process 2's view moves on.
    const first = details.last_active;
    await until("a later report on process 2", async () => {
      const r = await nezha(p2, `/api/v1/server/details?id=${serverId}`);
      return r.json.result[0].last_active > first;
    });
    expect(p1.logs()).toMatch(/runs the fleet's background jobs/);
    expect(p2.logs()).not.toMatch(/runs the fleet's background jobs/);
  });

  it("a third process with another sealing key refuses to start, saying why", async () => {
    const refused = await startPanel({ FLEETDECK_LOCAL_AGENT: "0", FLEETDECK_SECRET_KEY: crypto.randomBytes(32).toString("base64") }, { databaseUrl }).then(
      async (p) => {
        await p.stop();
        return "it started";
      },
      (e: Error) => e.message,
    );
    expect(refused).toMatch(/exited with 2/);
    expect(refused).toMatch(/FLEETDECK_SECRET_KEY .* is not the key that sealed this database's secrets/);
  });

  it("a session signed in on process 1 works on process 2 (one session secret)", async () => {
    cookie2 = cookie1;
    expect((await ui(p2, cookie2, "/api/ui/servers")).status).toBe(200);
  });

  it("a monitor and an alert rule made on process 2 reach the agent process 1 holds: it probes, and the rule fires", async () => {
    // What the agent probes, and the webhook the rule notifies: both this test's, on loopback.
    const target = net.createServer((s) => s.end());
    await new Promise<void>((r) => target.listen(0, "127.0.0.1", r));
    const fired: Json[] = [];
    const hook = http.createServer((req, res) => {
      let body = "";
      req.on("data", (d) => (body += d));
      req.on("end", () => {
        fired.push(JSON.parse(body));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, "127.0.0.1", r));
    try {
      const monitor = await ui(p2, cookie2, "/api/ui/monitors", {
        body: { name: "far tcp", type: 3, target: `127.0.0.1:${(target.address() as net.AddressInfo).port}`, intervalSec: 10, cover: 1, serverIds: [serverId] },
      });
      expect(monitor.status, monitor.text).toBe(201);
      // Process 1 holds the agent: it must have sent it the new monitor, and hold its result.
      const status = await until("the agent's probe, seen by process 1", async () => {
        const rows = (await ui(p1, cookie1, "/api/ui/monitors")).json as Json[];
        return rows.find((m) => m.id === monitor.json.id)?.status.find((s: Json) => s.serverId === serverId);
      }, 40_000);
      expect(status.ok).toBe(true);

      const channel = await ui(p2, cookie2, "/api/ui/alert-channels", { body: { type: "webhook", name: "far hook", config: { url: `http://127.0.0.1:${(hook.address() as net.AddressInfo).port}/hook` } } });
      expect(channel.status, channel.text).toBe(201);
      const rule = await ui(p2, cookie2, "/api/ui/alert-rules", {
        body: { name: "far memory", kind: "metric", params: { metric: "memory", above: 0, forSec: 0 }, scope: { type: "servers", ids: [serverId] }, channelIds: [channel.json.id] },
      });
      expect(rule.status, rule.text).toBe(201);
      // Evaluated where the agent's reports arrive (process 1), which learnt of the rule from process 2.
      const notice = await until("the rule's notice at the webhook", () => fired.find((n) => n.kind === "fire" && n.rule?.id === rule.json.id), 30_000);
      expect(notice.server.id).toBe(serverId);

      expect((await ui(p2, cookie2, `/api/ui/alert-rules/${rule.json.id}`, { method: "DELETE" })).status).toBe(200);
      expect((await ui(p2, cookie2, `/api/ui/monitors/${monitor.json.id}`, { method: "DELETE" })).status).toBe(200);
    } finally {
      target.close();
      hook.close();
    }
  }, 90_000);

  it("a page's stream on process 1 takes the rows it shows from a request that reached process 2", async () => {
    const page = pushStream(p1, cookie1);
    await until("the stream's hello", () => page.id());
    expect((await ui(p2, cookie2, "/api/ui/stream/view", { body: { stream: page.id(), ids: [serverId] } })).status).toBe(200);
    await until("the server's row on the stream", () => page.hasRow(serverId));
    page.close();
  });

  it("Tactical RMM: a command sent to process 2 runs on the agent process 1 holds", async () => {
    const agents = (await trmm(p2, "/agents/?detail=false")).json as Json[];
    agentId = agents.find((a) => a.hostname === os.hostname() && a.agent_id)!.agent_id;
    await until("connected on process 2", async () => (await trmm(p2, `/agents/${agentId}/`)).json.connected === true);
    const r = await trmm(p2, `/agents/${agentId}/cmd/`, { body: { shell: "/bin/bash", cmd: "echo through-process-1; echo $((6*7))", timeout: 20 } });
    expect(r).toMatchObject({ status: 200, json: "through-process-1\n42\n" });
    const history = (await trmm(p1, `/agents/${agentId}/history/`)).json as Json[];
    expect(history[0]).toMatchObject({ command: "echo through-process-1; echo $((6*7))" });
  });

  it("a command sent through process 2 streams its output from process 1 while it runs", async () => {
    const key = `multi${Date.now().toString(36)}`.padEnd(20, "x");
    const live = listen(p2, cookie2, `/api/ui/agents/${agentId}/cmd/live?key=${key}`);
    let answered = false;
    const answer = ui(p2, cookie2, `/api/ui/agents/${agentId}/cmd`, { body: { shell: "/bin/bash", cmd: "echo early; sleep 3; echo late", timeout: 20, live: key } }).finally(() => (answered = true));
    await until("the early line while it runs", () => live.text().includes("early\n"));
    expect(answered).toBe(false);
    expect(await answer).toMatchObject({ status: 200, json: { output: "early\nlate\n" } });
    live.close();
  });

  it("an update scan started on process 2 is run by the agent and stored; process 1 answers its progress", async () => {
    expect((await ui(p1, cookie1, `/api/ui/agents/${agentId}/updates`)).json.scan).toBeNull();
    expect((await trmm(p2, `/winupdate/${agentId}/scan/`, { method: "POST" })).status).toBe(200);
    const finished = (p: RunningPanel, cookie: string) => async () => {
      const s = (await ui(p, cookie, `/api/ui/agents/${agentId}/updates`)).json.scan;
      return s && s.state !== "running" && s;
    };
    const scan = await until("the scan to finish", finished(p2, cookie2), 150_000);
    expect(scan).toMatchObject({ state: "done", error: null });
    // Process 1 neither started nor ran it, and knows it all the same.
    expect(await until("the scan's outcome on process 1", finished(p1, cookie1))).toEqual(scan);
    const list = await trmm(p1, `/winupdate/${agentId}/`);
    expect(list.status).toBe(200);
    expect((list.json as Json[]).length).toBe(scan.found);
  }, 160_000);

  it("MCSManager: an instance created, started, fed, read and stopped through process 2", async () => {
    const daemons = async () => (await mcsm(p2, "/api/service/remote_services_system", {})).json.data as Json[];
    daemonId = (await until("the daemon on process 2", async () => (await daemons()).find((d) => d.available && d.system?.hostname === os.hostname())))!.uuid;
    instanceDir = fs.mkdtempSync(path.join(os.tmpdir(), "fleetdeck-multi-instance-"));
    const created = await mcsm(p2, "/api/instance", { daemonId }, { method: "POST", body: { nickname: "echo-bot", startCommand: "sh -c 'while read l; do echo got:$l; done'", stopCommand: "^C", cwd: instanceDir } });
    expect(created.status).toBe(200);
    const uuid = (instanceUuid = created.json.data.instanceUuid as string);
    const ref = { daemonId, uuid };
    expect((await mcsm(p2, "/api/protected_instance/open", ref)).status).toBe(200);
    await until("running on process 2", async () => (await mcsm(p2, "/api/instance", ref)).json.data.status === 3);
    expect((await mcsm(p2, "/api/protected_instance/command", { ...ref, command: "hello from two" }, { method: "POST" })).status).toBe(200);
    await until("the output through process 2", async () => String((await mcsm(p2, "/api/protected_instance/outputlog", ref)).json.data).includes("got:hello from two"));
    // The console pushed to a browser of process 2, from the agent process 1 holds (streaming HTTP between them).
    const consoleStream = listen(p2, cookie2, `/api/ui/daemons/${serverId}/instances/${uuid}/console`);
    await until("the scroll-back through process 2", () => consoleStream.text().includes("got:hello from two\n"));
    expect((await ui(p2, cookie2, `/api/ui/daemons/${serverId}/instances/${uuid}/command`, { body: { command: "pushed across" } })).status).toBe(200);
    await until("the new line pushed through process 2", () => consoleStream.text().endsWith("got:pushed across\n"));
    expect(consoleStream.events.filter((e) => e.event === "out").length).toBeGreaterThan(0);
    consoleStream.close();
    expect((await mcsm(p2, "/api/protected_instance/stop", ref)).status).toBe(200);
    await until("stopped on process 2", async () => (await mcsm(p2, "/api/instance", ref)).json.data.status === 0);
  });

  it("MCSManager files through process 2: list, write and read; an upload and a download streamed through process 1", async () => {
    const ref = { daemonId, uuid: instanceUuid };
    const w = await mcsm(p2, "/api/files", ref, { method: "PUT", body: { target: "/notes.txt", text: "from process two\n" } });
    expect(w.status, w.text).toBe(200);
    expect(fs.readFileSync(path.join(instanceDir, "notes.txt"), "utf8")).toBe("from process two\n");
    const r = await mcsm(p2, "/api/files", ref, { method: "PUT", body: { target: "/notes.txt" } });
    expect(r.json.data).toBe("from process two\n");

    // Larger than the agent's flow-control window several times over.
    const content = crypto.randomBytes(3 * 1024 * 1024 + 12_345);
    const up = await mcsm(p2, "/api/files/upload", { ...ref, upload_dir: "/" }, { method: "POST" });
    expect(up.status, up.text).toBe(200);
    const form = new FormData();
    form.append("file", new Blob([new Uint8Array(content)]), "world.bin");
    const sent = await fetch(`http://${up.json.data.addr}/upload/${up.json.data.password}`, { method: "POST", body: form });
    expect([sent.status, await sent.text()]).toEqual([200, "OK"]);
    expect(Buffer.compare(fs.readFileSync(path.join(instanceDir, "world.bin")), content)).toBe(0);

    const list = await mcsm(p2, "/api/files/list", { ...ref, target: "/", page: "0", page_size: "50" });
    expect(list.status, list.text).toBe(200);
    expect((list.json.data.items as Json[]).map((i) => [i.name, i.size]).sort()).toEqual([["notes.txt", 17], ["world.bin", content.length]]);

    // A password issued by process 1, taken on process 2, which streams the file from process 1.
    const down = await mcsm(p1, "/api/files/download", { ...ref, file_name: "/world.bin" }, { method: "POST" });
    expect(down.status, down.text).toBe(200);
    const got = await fetch(`${p2.url}/download/${down.json.data.password}/world.bin`);
    expect(got.status).toBe(200);
    expect(Buffer.compare(Buffer.from(await got.arrayBuffer()), content)).toBe(0);
    // Good once, on every process.
    expect((await fetch(`${p1.url}/download/${down.json.data.password}/world.bin`)).status).toBe(403);
  });

  it("a token revoked on process 1 is refused on process 2", async () => {
    expect((await trmm(p2, "/agents/")).status).toBe(200);
    expect((await ui(p1, cookie1, `/api/ui/tokens/${tokenId}`, { method: "DELETE" })).status).toBe(200);
    await until("process 2 to refuse the token", async () => (await trmm(p2, "/agents/")).status === 401);
    expect((await nezha(p2, "/api/v1/server/list")).status).toBe(403);
    // A new one for the rest.
    const t = await ui(p2, cookie2, "/api/ui/tokens", { body: { note: "multi 2" } });
    token = /"(fdk_[A-Za-z0-9_-]+)"/.exec(t.text)![1];
  });

  it("process 1 SIGKILLed: the agent reconnects to process 2 and keeps reporting; process 2 takes the jobs lease and fails the command process 1 was waiting for", async () => {
    // A long command sent to process 1 (which holds the agent and waits for the answer).
    const long = trmm(p1, `/agents/${agentId}/cmd/`, { body: { shell: "/bin/bash", cmd: "sleep 40; echo never-seen", timeout: 60 } }).catch(() => null);
    const history = async () => ((await trmm(p2, `/agents/${agentId}/history/`)).json as Json[]).find((h) => h.command === "sleep 40; echo never-seen");
    const run = await until("the long command running, seen on process 2", async () => (await history())?.status === "running" && (await history()));
    p1.proc.kill("SIGKILL");
    await new Promise((r) => p1.proc.once("exit", r));
    await long;
    await until("the agent on process 2", async () => {
      const r = await trmm(p2, `/agents/${agentId}/cmd/`, { body: { shell: "/bin/bash", cmd: "echo after-failover", timeout: 20 } });
      return r.status === 200 && r.json === "after-failover\n";
    }, 60_000);
    const before = (await nezha(p2, `/api/v1/server/details?id=${serverId}`)).json.result[0].last_active;
    await until("reports after the failover", async () => (await nezha(p2, `/api/v1/server/details?id=${serverId}`)).json.result[0].last_active > before);
    await until("process 2 to take the jobs lease", async () => /runs the fleet's background jobs/.test(p2.logs()), 30_000);
    // Not "running" until a fleet restart: marked failed by the survivor, saying why.
    const settled = await until("the interrupted run settled on process 2", async () => (await history())?.status !== "running" && (await history()), 30_000);
    expect(settled).toMatchObject({ id: run.id, status: "failed", results: expect.stringMatching(/panel process .* stopped while it was running/) });
  }, 120_000);

  it("PostgreSQL stopped: 503 in each API's envelope, the agent stays connected; back when it returns", async () => {
    pgServer.pause();
    try {
      const history = await until("a 503 from the database", async () => {
        const r = await trmm(p2, `/agents/${agentId}/history/`);
        return r.status === 503 && r;
      });
      expect(history.json).toMatchObject({ detail: expect.stringMatching(/database/i) });
      // A credential not in the caches needs the database: each API answers 503 its own way.
      const unknown = "fdk_" + "x".repeat(43);
      const n = await call(p2, "/api/v1/server/list", { headers: { authorization: unknown } });
      expect(n.status).toBe(503);
      const m = await call(p2, `/api/service/remote_services_system?apikey=${unknown}`);
      expect(m).toMatchObject({ status: 503, json: { status: 503 } });
      const u = await ui(p2, cookie2, "/api/ui/tokens");
      expect(u.status).toBe(503);
      expect((await call(p2, "/readyz")).status).toBe(503);
      expect((await call(p2, "/healthz")).status).toBe(200);
      // Live state is in memory: reads of it go on, and the agent keeps reporting.
      const before = (await nezha(p2, `/api/v1/server/details?id=${serverId}`)).json.result[0].last_active;
      await until("reports while PostgreSQL is down", async () => (await nezha(p2, `/api/v1/server/details?id=${serverId}`)).json.result[0].last_active > before);
    } finally {
      pgServer.resume();
    }
    await until("recovery", async () => (await trmm(p2, `/agents/${agentId}/history/`)).status === 200, 60_000);
    expect((await call(p2, "/readyz")).status).toBe(200);
    const r = await trmm(p2, `/agents/${agentId}/cmd/`, { body: { shell: "/bin/bash", cmd: "echo after-outage", timeout: 20 } });
    expect(r).toMatchObject({ status: 200, json: "after-outage\n" });
    // The agent's own words when the panel refuses its secret (agent/agent.ts); not a bare "401",
    // which the random ports in its log lines may contain.
    expect(agentLog).not.toContain("the panel refused this secret");
  }, 120_000);
});
