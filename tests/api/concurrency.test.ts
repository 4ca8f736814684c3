import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, login, startPanel, type RunningPanel } from "../helpers/panel";
import { call, Panel, session } from "./credentials";

/**
 * Many requests at once must each get a clear answer: one of two racing creations of the same
 * name wins and the other is told so (never a 500), and many creations at once are all kept.
 */
let running: RunningPanel;
let panel: Panel;
let cookie: string;

beforeAll(async () => {
  running = await startPanel();
  cookie = (await login(running.url, ADMIN.username, ADMIN.password)).cookie!;
  panel = new Panel(running.url, cookie);
});
afterAll(() => running?.stop());

describe("concurrent writes", () => {
  it("creates a username once when many ask for it at the same moment; the others get a clear conflict", async () => {
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => panel.asAdmin("/api/ui/users", { method: "POST", body: { username: "twin", password: "twin-password-1" } })),
    );
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(7);
    for (const r of answers.filter((x) => x.status === 409)) expect((r.json as { error: string }).error).toMatch(/already exists/);
  });

  it("keeps every one of many tokens made at once, each working", async () => {
    const made = await Promise.all(
      Array.from({ length: 25 }, (_, i) => call(running.url, "/api/ui/tokens", { method: "POST", headers: session(cookie), body: { note: `burst ${i}` } })),
    );
    expect(made.map((r) => r.status)).toEqual(Array(25).fill(201));
    const list = (await panel.asAdmin("/api/ui/tokens")).json as { note: string }[];
    expect(list.filter((t) => t.note.startsWith("burst ")).length).toBe(25);
    const tokens = made.map((r) => (r.json as { token: string }).token);
    const uses = await Promise.all(tokens.map((t) => call(running.url, "/api/v1/server/list", { headers: { authorization: t } })));
    expect(uses.map((r) => r.status)).toEqual(Array(25).fill(200));
  });

  it("keeps every one of many servers added at once", async () => {
    const made = await Promise.all(Array.from({ length: 20 }, (_, i) => panel.asAdmin("/api/ui/servers", { method: "POST", body: { name: `burst-${i}` } })));
    expect(made.map((r) => r.status)).toEqual(Array(20).fill(201));
    const list = (await panel.asAdmin("/api/ui/servers")).json as { name: string }[];
    expect(list.filter((s) => s.name.startsWith("burst-")).length).toBe(20);
  });
});
