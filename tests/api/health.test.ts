/** /healthz and /readyz on the default SQLite database (tests/api/postgres.test.ts covers PostgreSQL). */
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPanel, type RunningPanel } from "../helpers/panel";

let panel: RunningPanel;
beforeAll(async () => {
  panel = await startPanel();
});
afterAll(() => panel?.stop());

const get = async (p: string, method = "GET") => {
  const res = await fetch(panel.url + p, { method });
  const text = await res.text();
  return { status: res.status, type: res.headers.get("content-type"), cache: res.headers.get("cache-control"), json: text ? JSON.parse(text) : null };
};

describe("health probes", () => {
  it("/healthz says the process is alive, without credentials", async () => {
    expect(await get("/healthz")).toEqual({ status: 200, type: "application/json", cache: "no-store", json: { status: "ok" } });
    expect((await fetch(`${panel.url}/healthz`, { method: "HEAD" })).status).toBe(200);
  });

  it("/readyz is 200 once migrated, 503 with the reason while a migration is missing", async () => {
    expect(await get("/readyz")).toMatchObject({ status: 200, json: { status: "ready" } });
    const file = path.join(panel.dataDir, "fleetdeck.db");
    const sqlite = new Database(file);
    try {
      sqlite.prepare("UPDATE _prisma_migrations SET rolled_back_at = CURRENT_TIMESTAMP").run();
      const r = await get("/readyz");
      expect(r.status).toBe(503);
      expect(r.json).toEqual({ status: "unavailable", reason: expect.stringMatching(/^migrations not applied: \d{14}_init/) });
      sqlite.prepare("UPDATE _prisma_migrations SET rolled_back_at = NULL").run();
    } finally {
      sqlite.close();
    }
    expect((await get("/readyz")).status).toBe(200);
  });
});
