import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, login, startPanel, type RunningPanel } from "../helpers/panel";
import { until } from "../helpers/wait";

// hide_for_guest means what Nezha means: hidden from anonymous status views. The public view is
// off by default (anonymous callers get the usual auth error) and an admin may turn it on.
let panel: RunningPanel;
let cookie: string;

async function call(path: string, init: { method?: string; body?: unknown; anonymous?: boolean; headers?: Record<string, string> } = {}) {
  const res = await fetch(`${panel.url}${path}`, {
    method: init.method ?? "GET",
    headers: {
      ...(init.anonymous ? {} : { cookie }),
      "content-type": "application/json",
      "x-requested-with": "XMLHttpRequest",
      ...init.headers,
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  return { status: res.status, text, json: text.startsWith("{") ? JSON.parse(text) : null };
}
const names = (r: { json: { result: { name: string }[] } }) => r.json.result.map((s) => s.name).sort();

beforeAll(async () => {
  panel = await startPanel({ FLEETDECK_LOCAL_AGENT: "0" });
  cookie = (await login(panel.url, ADMIN.username, ADMIN.password)).cookie!;
  for (const [Name, HideForGuest] of [["Shown", false], ["Hidden", true]] as const) {
    expect((await call("/api/v1/server/register", { method: "POST", body: { Name, HideForGuest } })).status).toBe(200);
  }
});
afterAll(async () => {
  await panel?.stop();
});

describe("the public status view", () => {
  it("is off by default: anonymous Nezha reads get the usual auth error", async () => {
    expect((await call("/api/ui/settings/public-status")).json).toEqual({ enabled: false });
    for (const path of ["/api/v1/server/list", "/api/v1/server/details"]) {
      const r = await call(path, { anonymous: true });
      expect(r.status).toBe(403);
      expect(r.json.code).toBe(403);
    }
  });

  it("only an admin may switch it; the switch is audited", async () => {
    expect((await call("/api/ui/settings/public-status", { method: "PUT", body: { enabled: true }, anonymous: true })).status).toBe(401);
    expect((await call("/api/ui/settings/public-status", { method: "PUT", body: { enabled: true } })).json).toEqual({ enabled: true });
    const audit = await call("/api/ui/audit?action=status.public");
    expect(audit.json.entries.map((e: { action: string; actorName: string }) => [e.action, e.actorName])).toContainEqual(["status.public.on", ADMIN.username]);
  });

  it("when on, anonymous callers see only servers not hidden from guests; signed-in callers still see all", async () => {
    const list = await until("the anonymous list", async () => { const r = await call("/api/v1/server/list", { anonymous: true }); return r.status === 200 && r; });
    expect(names(list)).toEqual(["Shown"]);
    expect(list.json.result[0].hide_for_guest).toBe(false);
    expect(names(await call("/api/v1/server/details", { anonymous: true }))).toEqual(["Shown"]);
    // Asking for the hidden one by id does not reveal it.
    const all = await call("/api/v1/server/list");
    expect(names(all)).toEqual(["Hidden", "Shown"]);
    const hiddenId = all.json.result.find((s: { name: string }) => s.name === "Hidden").id;
    expect((await call(`/api/v1/server/details?id=${hiddenId}`, { anonymous: true })).json.result).toEqual([]);
    // A wrong credential is still refused: anonymous means no credential at all.
    expect((await call("/api/v1/server/list", { anonymous: true, headers: { authorization: "not-a-token" } })).status).toBe(403);
    // Nothing else opens up: registering stays refused.
    expect((await call("/api/v1/server/register", { method: "POST", body: { Name: "x" }, anonymous: true })).status).toBe(403);
    // The page itself is served without signing in.
    const page = await fetch(`${panel.url}/status`, { redirect: "manual" });
    expect(page.status).toBe(200);
  });

  it("when turned off again, anonymous reads are refused again", async () => {
    expect((await call("/api/ui/settings/public-status", { method: "PUT", body: { enabled: false } })).json).toEqual({ enabled: false });
    expect((await call("/api/v1/server/list", { anonymous: true })).status).toBe(403);
  });
});
