import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, login, startPanel, type RunningPanel } from "../helpers/panel";
import { waitFor } from "./helpers";

/**
 * The one-line install as a new machine runs it: the script and the agent come from a real panel,
 * the enrollment code is exchanged for the secret, the files land under a temporary root
 * (--prefix), and the installed bundle, started with plain `node` outside the repository,
 * reports to the panel.
 */
let panel: RunningPanel;
let cookie: string;
let script: string;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fleetdeck-install-"));

beforeAll(async () => {
  panel = await startPanel();
  cookie = (await login(panel.url, ADMIN.username, ADMIN.password)).cookie!;
  const res = await fetch(`${panel.url}/agent/install.sh`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("shellscript");
  script = path.join(tmp, "install.sh");
  fs.writeFileSync(script, await res.text());
});
afterAll(async () => {
  await panel?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const ui = (p: string, init: RequestInit = {}) =>
  fetch(`${panel.url}${p}`, { ...init, headers: { cookie, "content-type": "application/json", "x-requested-with": "test", ...init.headers } });

async function newServer(name: string): Promise<number> {
  const res = await ui("/api/ui/servers", { method: "POST", body: JSON.stringify({ name }) });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: number }).id;
}

async function newCode(serverId: number): Promise<{ code: string; command: string }> {
  const res = await ui(`/api/ui/servers/${serverId}/enrollment`, { method: "POST" });
  expect(res.status).toBe(200);
  return (await res.json()) as { code: string; command: string };
}

interface Run {
  code: number | null;
  stderr: string;
  stdout: string;
}

function run(cmd: string, args: string[], env: Record<string, string | undefined> = process.env): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: env as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    let stdout = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.stdout.on("data", (d) => (stdout += d));
    child.on("exit", (code) => resolve({ code, stderr, stdout }));
  });
}

const install = (...args: string[]) => run("sh", [script, "--panel", panel.url, ...args]);
const mode = (file: string) => fs.statSync(file).mode & 0o777;

describe("install.sh --prefix", () => {
  const root = path.join(tmp, "root");
  const bundle = path.join(root, "opt/fleetdeck-agent/fleetdeck-agent.cjs");
  const envFile = path.join(root, "etc/fleetdeck-agent/agent.env");
  const unit = path.join(root, "etc/systemd/system/fleetdeck-agent.service");
  let serverId: number;
  let code: string;

  it("installs the checked bundle, a root-only secret and a hardened unit from the line the panel gives", async () => {
    serverId = await newServer("installed-1");
    const minted = await newCode(serverId);
    code = minted.code;
    expect(minted.command).toContain("/agent/install.sh | sudo sh -s -- --panel ");
    expect(minted.command).toContain(`--code ${code}`);
    expect(minted.command).not.toContain("fda_");

    const r = await install("--code", code, "--prefix", root);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`enrolled as server #${serverId}`);
    expect(r.stderr).not.toContain("fda_"); // the secret is never printed

    const latest = (await (await fetch(`${panel.url}/agent/latest.json`)).json()) as { version: string; url: string; sha256: string; size: number };
    const bytes = fs.readFileSync(bundle);
    expect(crypto.createHash("sha256").update(bytes).digest("hex")).toBe(latest.sha256);
    expect(bytes.length).toBe(latest.size);
    expect(fs.readFileSync(`${bundle}.sha256`, "utf8")).toBe(`${latest.sha256}  fleetdeck-agent.cjs\n`);

    expect(mode(envFile)).toBe(0o600);
    expect(mode(path.dirname(envFile))).toBe(0o700);
    const env = fs.readFileSync(envFile, "utf8");
    expect(env).toContain(`FLEETDECK_PANEL=${panel.url}\n`);
    expect(env).toMatch(/^FLEETDECK_SECRET=fda_[A-Za-z0-9_-]{43}$/m);

    const text = fs.readFileSync(unit, "utf8");
    for (const line of [
      "User=fleetdeck-agent",
      "EnvironmentFile=/etc/fleetdeck-agent/agent.env",
      "NoNewPrivileges=yes",
      "ProtectSystem=strict",
      "ProtectHome=yes",
      "PrivateTmp=yes",
      "Restart=on-failure",
      "StartLimitBurst=5",
      "RestartPreventExitStatus=2",
      // An agent that updated itself exits with 75 and is started again (agent/self-update.ts).
      "SuccessExitStatus=75",
      "RestartForceExitStatus=75",
      "Environment=FLEETDECK_SUPERVISED=1",
      "StateDirectory=fleetdeck-agent",
    ]) {
      expect(text).toContain(`\n${line}\n`);
    }
    expect(text).toMatch(new RegExp(`\\nExecStart=${process.execPath.replace(/[/.]/g, "\\$&")} --max-old-space-size=\\d+ \\S+ /opt/fleetdeck-agent/fleetdeck-agent.cjs --data-dir /var/lib/fleetdeck-agent --interval 2\\n`));
    expect(text).not.toContain("--allow-commands");
    // Self-update is off unless asked for: the agent's folder stays read-only to it.
    expect(text).not.toMatch(/\nExecStart=.*--self-update/);
    expect(text).not.toContain("ReadWritePaths=");
    expect(r.stderr).toContain("self-update is off");
  }, 60_000);

  it("refuses a code that was already used, or that the panel never made, with a clear message", async () => {
    const again = await install("--code", code, "--prefix", path.join(tmp, "root-again"));
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("the panel refused the enrollment code: this enrollment code was already used");

    const wrong = await install("--code", "fde_not-a-code-the-panel-made", "--prefix", path.join(tmp, "root-wrong"));
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain("this enrollment code is not known to the panel");
    expect(fs.existsSync(path.join(tmp, "root-wrong/opt/fleetdeck-agent/fleetdeck-agent.cjs"))).toBe(false);

    const mangled = await install("--code", "fde_$(reboot)", "--prefix", path.join(tmp, "root-mangled"));
    expect(mangled.code).toBe(1);
    expect(mangled.stderr).toContain("copy the line again");
  });

  it("re-installs over an existing one: keeps the secret without a code, switches to root for --allow-commands", async () => {
    const secretBefore = fs.readFileSync(envFile, "utf8");
    fs.writeFileSync(bundle, "stale");
    const r = await run("sh", [script, "--prefix", root, "--allow-commands", "--interval", "5"]);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readFileSync(envFile, "utf8")).toBe(secretBefore);
    expect(mode(envFile)).toBe(0o600);
    expect(fs.readFileSync(bundle, "utf8")).not.toBe("stale");
    const text = fs.readFileSync(unit, "utf8");
    expect(text).toContain("\nUser=root\n");
    expect(text).toContain("--interval 5 --allow-commands\n");
    expect(text).toContain("\nNoNewPrivileges=yes\n");
  });

  it("passes --allow-instances to the agent, which keeps its own user", async () => {
    const r = await run("sh", [script, "--prefix", root, "--allow-instances", "--interval", "5"]);
    expect(r.code, r.stderr).toBe(0);
    const text = fs.readFileSync(unit, "utf8");
    expect(text).toContain("\nUser=fleetdeck-agent\n");
    expect(text).toContain("--interval 5 --allow-instances\n");
    expect(text).not.toContain("--allow-commands");
  });

  it("--self-update goes into the agent's arguments, and its folder becomes writable to it", async () => {
    const r = await run("sh", [script, "--prefix", root, "--self-update"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("self-update is ON");
    const text = fs.readFileSync(unit, "utf8");
    expect(text).toContain("\nUser=fleetdeck-agent\n");
    expect(text).toMatch(/\nExecStart=.* \/opt\/fleetdeck-agent\/fleetdeck-agent.cjs --data-dir \/var\/lib\/fleetdeck-agent --interval 2 --self-update\n/);
    expect(text).toContain("\nProtectSystem=strict\n");
    expect(text).toContain("\nReadWritePaths=/opt/fleetdeck-agent\n");
    expect(text).toContain("\nRestartForceExitStatus=75\n");
    expect(text).toContain("\nEnvironment=FLEETDECK_SUPERVISED=1\n");
  });

  it.skipIf(!fs.existsSync("/usr/bin/systemd-analyze"))("writes a unit systemd reads without a warning", async () => {
    const r = await run("systemd-analyze", ["verify", unit]);
    expect(r.stderr.trim()).toBe("");
    expect(r.code).toBe(0);
  });

  it("the installed bundle runs with plain node from outside the repository and reports to the panel", async () => {
    const env = Object.fromEntries(
      fs
        .readFileSync(envFile, "utf8")
        .trim()
        .split("\n")
        .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
    const cwd = path.join(root, "var/lib/fleetdeck-agent");
    const child = spawn(process.execPath, [bundle, "--interval", "1", "--data-dir", cwd], { cwd, env: { PATH: process.env.PATH, ...env } as unknown as NodeJS.ProcessEnv, stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    try {
      await waitFor(`server #${serverId} to report`, () => err.includes(`connected to panel as server #${serverId}`), 20_000, () => err);
      // …and the panel's own view shows it online.
      let online = false;
      for (let i = 0; i < 40 && !online; i++) {
        const rows = (await (await ui("/api/ui/servers")).json()) as { id: number; online?: boolean }[];
        online = rows.find((s) => s.id === serverId)?.online === true;
        if (!online) await new Promise((r) => setTimeout(r, 250));
      }
      expect(online).toBe(true);
    } finally {
      child.kill("SIGTERM");
    }
  }, 60_000);

  it("uninstalls", async () => {
    const r = await run("sh", [script, "--prefix", root, "--uninstall"]);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.existsSync(bundle)).toBe(false);
    expect(fs.existsSync(envFile)).toBe(false);
    expect(fs.existsSync(unit)).toBe(false);
  });
});

describe("install.sh on a machine it cannot serve", () => {
  /** A PATH holding only the given tools (symlinks), plus fakes written as small scripts. */
  function fakePath(name: string, tools: string[], fakes: Record<string, string> = {}): string {
    const dir = path.join(tmp, `bin-${name}`);
    fs.mkdirSync(dir, { recursive: true });
    for (const tool of tools) {
      const real = ["/usr/bin", "/bin"].map((d) => path.join(d, tool)).find((p) => fs.existsSync(p));
      if (real) fs.symlinkSync(real, path.join(dir, tool));
    }
    for (const [tool, body] of Object.entries(fakes)) fs.writeFileSync(path.join(dir, tool), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    return dir;
  }
  const BASICS = ["uname", "id", "sed", "head", "dirname", "mkdir", "chmod", "rm", "cat"];

  it("says macOS and Windows are documented elsewhere", async () => {
    const r = await run("/bin/sh", [script, "--panel", panel.url, "--code", "fde_x", "--prefix", path.join(tmp, "r-mac")], {
      PATH: fakePath("mac", BASICS.filter((t) => t !== "uname"), { uname: "echo Darwin" }),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("On macOS run the agent with launchd");
  });

  it("says Node is needed when there is none, or when it is too old", async () => {
    const none = await run("/bin/sh", [script, "--panel", panel.url, "--code", "fde_x", "--prefix", path.join(tmp, "r-none")], { PATH: fakePath("none", BASICS) });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("Node.js 18 or later is needed and 'node' is not on PATH");

    const old = await run("/bin/sh", [script, "--panel", panel.url, "--code", "fde_x", "--prefix", path.join(tmp, "r-old")], {
      PATH: fakePath("old", BASICS, { node: "echo v16.20.2" }),
    });
    expect(old.code).toBe(1);
    expect(old.stderr).toContain("Node.js 18 or later is needed; ");
    expect(old.stderr).toContain("'v16.20.2'");
  });

  it.skipIf(process.getuid?.() !== 0 || fs.existsSync("/run/systemd/system"))("without systemd, stops before enrolling and says how to run the agent by hand", async () => {
    const serverId = await newServer("no-systemd");
    const { code } = await newCode(serverId);
    const r = await install("--code", code);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("systemd is not running here");
    expect(r.stderr).toContain("--no-start");
    expect(fs.existsSync("/etc/fleetdeck-agent/agent.env")).toBe(false);
    // The code was not spent: it still installs.
    const ok = await install("--code", code, "--prefix", path.join(tmp, "r-after"));
    expect(ok.code, ok.stderr).toBe(0);
  });

  it("the bundle stops with exit code 2, the one the unit does not restart on, when the panel refuses its secret", async () => {
    const latest = (await (await fetch(`${panel.url}/agent/latest.json`)).json()) as { url: string };
    const file = path.join(tmp, "fleetdeck-agent.cjs");
    fs.writeFileSync(file, Buffer.from(await (await fetch(new URL(latest.url, `${panel.url}/agent/latest.json`))).arrayBuffer()));
    const r = await run(process.execPath, [file, "--panel", panel.url], { PATH: process.env.PATH, FLEETDECK_SECRET: "fda_wrong" });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("the panel refused this secret");
  });
});
