/**
 * The real agent over wss:// to an https server wrapping the AgentHub, with a self-signed
 * certificate made here: trusted explicitly with --ca (or FLEETDECK_CA) it connects; without it,
 * the connection is refused for the certificate, and the agent never reaches the hub.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { spawnAgent, startHub, stopAllAgents, waitFor, type TestHub } from "./helpers";

let dir: string;
let certFile: string;
let h: TestHub;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "fleetdeck-tls-"));
  certFile = path.join(dir, "cert.pem");
  const keyFile = path.join(dir, "key.pem");
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-keyout", keyFile, "-out", certFile, "-days", "1", "-subj", "/CN=fleetdeck test panel",
    "-addext", "subjectAltName=IP:127.0.0.1",
  ], { stdio: "ignore" });
  h = await startHub({ tls: { cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8") } });
  expect(h.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
});

afterEach(stopAllAgents);
afterAll(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

it("connects over wss:// when the certificate is trusted with --ca", { timeout: 30_000 }, async () => {
  const agent = spawnAgent(["--panel", h.url, "--secret", "good-secret-1", "--ca", certFile, "--interval", "1"]);
  await waitFor("the agent over wss", () => h.events.hellos.find((e) => e.serverId === 1), 20_000, () => agent.stderr());
  await waitFor("a state over wss", () => h.events.states.find((s) => s.serverId === 1), 20_000, () => agent.stderr());
  expect(agent.stderr()).toContain(`→ wss://127.0.0.1:${h.port}/agent/ws`);
  expect(agent.stderr()).not.toContain("WARNING");
});

it("takes the certificate from FLEETDECK_CA as well", { timeout: 30_000 }, async () => {
  const agent = spawnAgent(["--panel", h.url, "--secret", "good-secret-2"], { FLEETDECK_CA: certFile });
  await waitFor("the agent over wss", () => h.events.hellos.find((e) => e.serverId === 2), 20_000, () => agent.stderr());
});

it("is refused without --ca: the certificate is not trusted", { timeout: 30_000 }, async () => {
  const agent = spawnAgent(["--panel", h.url, "--secret", "good-secret-3"]);
  await waitFor("the refusal", () => /cannot connect to wss:.*self-signed certificate/.test(agent.stderr()), 20_000, () => agent.stderr());
  expect(h.events.connects.filter((c) => c.serverId === 3)).toEqual([]);
  expect(agent.child.exitCode).toBeNull(); // it keeps trying (the certificate may be fixed on the panel)
});

it("refuses a --ca file that holds no certificate", { timeout: 15_000 }, async () => {
  const agent = spawnAgent(["--panel", h.url, "--secret", "good-secret-3", "--ca", path.join(dir, "nope.pem")]);
  expect(await agent.exited).toBe(1);
  expect(agent.stderr()).toMatch(/cannot read --ca .*nope\.pem/);
});
