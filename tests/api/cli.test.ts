import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { login, ROOT, startPanel, type RunningPanel } from "../helpers/panel";
import { call, TOKEN_FORMAT } from "./credentials";

/** The operator CLI (`npm run fleetdeck -- …`) against the data directory of a running panel. */

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function spawnRun(cmd: string, args: string[], dataDir: string, stdin?: string): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, NEXT_TELEMETRY_DISABLED: "1" };
  for (const k of ["DATABASE_URL", "ADMIN_USERNAME", "ADMIN_PASSWORD", "NEXTAUTH_SECRET"]) delete env[k];
  return new Promise((resolve, reject) => {
    const proc = spawn(cmd, args, { cwd: ROOT, env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    proc.stdout.on("data", (d) => (stdout += d));
    proc.stderr.on("data", (d) => (stderr += d));
    proc.on("error", reject);
    proc.on("close", (code) => resolve({ code, stdout, stderr }));
    proc.stdin.end(stdin ?? "");
  });
}

const cli = (dataDir: string, args: string[], stdin?: string) => spawnRun(process.execPath, ["--import", "tsx", "scripts/cli.ts", ...args], dataDir, stdin);

/** The reason the CLI gives: its own stderr lines (npm adds warnings of its own elsewhere). */
const reasonOf = (r: Run) => r.stderr.split("\n").filter((l) => l.startsWith("fleetdeck:"));
const lastLine = (s: string) => s.trimEnd().split("\n").at(-1) ?? "";

let panel: RunningPanel;
let dir: string;

beforeAll(async () => {
  panel = await startPanel();
  dir = panel.dataDir;
});
afterAll(() => panel?.stop());

// Each command is a fresh Node process opening the database: seconds apiece on a loaded 2-core machine.
describe("fleetdeck CLI", { timeout: 120_000 }, () => {
  it("migrates a fresh data directory before its first command", async () => {
    const fresh = fs.mkdtempSync(path.join(os.tmpdir(), "fleetdeck-cli-"));
    try {
      const r = await cli(fresh, ["user", "list"]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/database migrated/);
      expect(r.stdout).toMatch(/^ID\s+USERNAME\s+ROLE/);
      expect(fs.existsSync(path.join(fresh, "fleetdeck.db"))).toBe(true);
    } finally {
      fs.rmSync(fresh, { recursive: true, force: true });
    }
  });

  it("prints its usage for help, and exits 2 with one line for a wrong command or option", async () => {
    const help = await cli(dir, ["help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("token add --user <name>");
    const wrong = [["frobnicate"], ["user", "frob"], ["token", "add", "--bogus"], ["token", "add", "--note", "x"], ["user", "add"]];
    // Independent runs, side by side: each is seconds of starting Node on a loaded machine.
    const runs = await Promise.all(wrong.map((args) => cli(dir, args)));
    wrong.forEach((args, i) => {
      expect(runs[i].code, args.join(" ")).toBe(2);
      expect(reasonOf(runs[i]), args.join(" ")).toHaveLength(1);
    });
  });

  it("adds users who can then sign in, and refuses bad ones with a one-line reason", async () => {
    const ok = await cli(dir, ["user", "add", "ops", "--password", "ops-password-1", "--role", "admin"]);
    expect(ok.code, ok.stderr).toBe(0);
    expect((await login(panel.url, "ops", "ops-password-1")).cookie).toBeTruthy();

    const cases: [string[], RegExp][] = [
      [["user", "add", "short", "--password", "short"], /at least 8 characters/],
      [["user", "add", "ops", "--password", "ops-password-1"], /already exists/],
      [["user", "add", "bad name!", "--password", "long-enough-1"], /Username may contain/],
      [["user", "add", "x", "--password", "long-enough-1", "--role", "root"], /--role must be admin or user/],
    ];
    const runs = await Promise.all(cases.map(([args]) => cli(dir, args)));
    cases.forEach(([args, reason], i) => {
      expect(runs[i].code, args.join(" ")).not.toBe(0);
      expect(reasonOf(runs[i]), args.join(" ")).toEqual([expect.stringMatching(reason)]);
    });
    const list = await cli(dir, ["user", "list"]);
    expect(list.stdout).toMatch(/\bops\s+admin\s+enabled/);
  });

  it("changes a password (also from standard input) and disables a user", async () => {
    expect((await cli(dir, ["user", "add", "rita", "--password", "rita-password-1"])).code).toBe(0);
    const r = await cli(dir, ["user", "passwd", "rita", "--password-stdin"], "rita-password-2\n");
    expect(r.code, r.stderr).toBe(0);
    expect((await login(panel.url, "rita", "rita-password-1")).cookie).toBeNull();
    expect((await login(panel.url, "rita", "rita-password-2")).cookie).toBeTruthy();

    expect((await cli(dir, ["user", "disable", "rita"])).code).toBe(0);
    expect((await login(panel.url, "rita", "rita-password-2")).cookie).toBeNull();
    expect((await cli(dir, ["user", "list"])).stdout).toMatch(/\brita\s+user\s+disabled/);

    const nobody = await cli(dir, ["user", "passwd", "nobody", "--password", "whatever-1"]);
    expect(nobody.code).toBe(1);
    expect(reasonOf(nobody)).toEqual(['fleetdeck: no user named "nobody"']);
  });

  it("token add prints the token alone on its last line (through npm run), and it works against the panel", async () => {
    const r = await spawnRun("npm", ["run", "--silent", "fleetdeck", "--", "token", "add", "--user", "admin", "--note", "from the cli"], dir);
    expect(r.code, r.stderr).toBe(0);
    const token = lastLine(r.stdout);
    expect(token).toMatch(TOKEN_FORMAT);
    const loud = await spawnRun("npm", ["run", "fleetdeck", "--", "token", "add", "--user", "admin", "--note", "npm banner"], dir);
    expect(lastLine(loud.stdout)).toMatch(TOKEN_FORMAT);

    const res = await call(panel.url, "/api/v1/server/list", { headers: { authorization: token } });
    expect(res.status).toBe(200);

    const list = await cli(dir, ["token", "list"]);
    expect(list.code).toBe(0);
    expect(list.stdout).not.toContain(token);
    expect(list.stdout).toContain(token.slice(0, 10));
    expect(list.stdout).toMatch(/token\s+admin\s+.*from the cli/);
  });

  it("refuses a bad token request with a one-line reason", async () => {
    const cases: [string[], RegExp][] = [
      [["token", "add", "--user", "nobody"], /no user named "nobody"/],
      [["token", "add", "--user", "admin", "--note", "n".repeat(101)], /at most 100 characters/],
      [["token", "add", "--user", "admin", "--expires", "2001-01-01"], /in the future/],
      [["token", "add", "--user", "admin", "--expires", "someday"], /ISO 8601/],
      [["token", "revoke", "fdk_nonexi"], /no token matches/],
    ];
    const runs = await Promise.all(cases.map(([args]) => cli(dir, args)));
    cases.forEach(([args, reason], i) => {
      expect(runs[i].code, args.join(" ")).toBe(1);
      expect(reasonOf(runs[i]), args.join(" ")).toEqual([expect.stringMatching(reason)]);
    });
  });

  it("revokes a token by the prefix the listing shows; the panel refuses it", async () => {
    const add = await cli(dir, ["token", "add", "--user", "admin", "--note", "to revoke", "--expires", "2099-01-01"]);
    const token = lastLine(add.stdout);
    expect(token).toMatch(TOKEN_FORMAT);
    expect((await cli(dir, ["token", "list"])).stdout).toMatch(/2099-01-01T00:00:00Z\s+full\s+to revoke/);

    const r = await cli(dir, ["token", "revoke", token.slice(0, 10)]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(token.slice(0, 10));
    expect((await call(panel.url, "/api/v1/server/list", { headers: { authorization: token } })).status).toBe(403);
    expect((await cli(dir, ["token", "list"])).stdout).not.toContain(token.slice(0, 10));

    // The whole token works as a reference too.
    const other = lastLine((await cli(dir, ["token", "add", "--user", "ops"])).stdout);
    expect((await cli(dir, ["token", "revoke", other])).code).toBe(0);
    expect((await cli(dir, ["token", "revoke", other])).code).toBe(1);
  });

  it("leaves an audit trail under the name 'cli'", async () => {
    const cookie = (await login(panel.url, "admin", "admin-password-1")).cookie!;
    const r = await call(panel.url, "/api/ui/audit?limit=200", { headers: { cookie } });
    const entries = (r.json as { entries: { action: string; actorName: string; target: string }[] }).entries;
    expect(entries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ action: "user.create", actorName: "cli", target: "ops" }),
        expect.objectContaining({ action: "token.create", actorName: "cli", target: "admin" }),
        expect.objectContaining({ action: "token.delete", actorName: "cli", target: "admin" }),
      ]),
    );
  });
});
