import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadEnv } from "./env";

const dataDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "fleetdeck-env-"));

describe("loadEnv", () => {
  it("refuses the benchmark switch unless the panel listens on loopback only", () => {
    expect(() => loadEnv({ DATA_DIR: dataDir(), FLEETDECK_BENCH_SKIP_AUTH: "1" })).toThrow(/FLEETDECK_BENCH_SKIP_AUTH needs HOST=127.0.0.1/);
    expect(() => loadEnv({ DATA_DIR: dataDir(), FLEETDECK_BENCH_SKIP_AUTH: "1", HOST: "0.0.0.0" })).toThrow(ConfigError);
    expect(loadEnv({ DATA_DIR: dataDir(), FLEETDECK_BENCH_SKIP_AUTH: "1", HOST: "127.0.0.1" }).FLEETDECK_BENCH_SKIP_AUTH).toBe(true);
  });

  it("gives a one-line reason for a bad value", () => {
    expect(() => loadEnv({ DATA_DIR: dataDir(), PORT: "http" })).toThrow(/^invalid configuration: PORT: /);
    expect(() => loadEnv({ DATA_DIR: dataDir(), DATABASE_URL: "mysql://x" })).toThrow(/DATABASE_URL/);
    expect(() => loadEnv({ DATA_DIR: dataDir(), TLS_CERT: "/nonexistent.pem" })).toThrow(/TLS_CERT and TLS_KEY go together/);
    expect(() => loadEnv({ DATA_DIR: dataDir(), TRUST_PROXY: "everyone" })).toThrow(/TRUST_PROXY/);
    expect(() => loadEnv({ DATA_DIR: dataDir(), FLEETDECK_SECRET_KEY: "short" })).toThrow(/FLEETDECK_SECRET_KEY/);
  });

  it("accepts PostgreSQL URLs and fills the derived defaults", () => {
    const dir = dataDir();
    const env = loadEnv({ DATA_DIR: dir, DATABASE_URL: "postgres://u:p@127.0.0.1:5432/fleet" });
    expect(env.DATABASE_URL).toBe("postgres://u:p@127.0.0.1:5432/fleet");
    // On PostgreSQL the generated secret lives in the database (server.ts: sharedSessionSecret).
    expect(env.NEXTAUTH_SECRET).toBe("");
    expect(fs.existsSync(path.join(dir, "session-secret"))).toBe(false);
    const sqlite = loadEnv({ DATA_DIR: dir });
    expect(sqlite.DATABASE_URL).toBe(`file:${path.join(dir, "fleetdeck.db")}`);
    expect(sqlite.NEXTAUTH_SECRET.length).toBeGreaterThanOrEqual(32);
    expect(fs.statSync(path.join(dir, "session-secret")).mode & 0o777).toBe(0o600);
  });

  it("PANEL_PROCESSES above 1 needs PostgreSQL", () => {
    expect(() => loadEnv({ DATA_DIR: dataDir(), PANEL_PROCESSES: "2" })).toThrow(/^invalid configuration: PANEL_PROCESSES above 1 needs PostgreSQL/);
    expect(() => loadEnv({ DATA_DIR: dataDir(), PANEL_PROCESSES: "0" })).toThrow(/PANEL_PROCESSES/);
    expect(loadEnv({ DATA_DIR: dataDir(), PANEL_PROCESSES: "3", DATABASE_URL: "postgresql://u@h/db" }).PANEL_PROCESSES).toBe(3);
    expect(loadEnv({ DATA_DIR: dataDir() }).PANEL_PROCESSES).toBe(1);
  });
});
