import { expect } from "vitest";

/**
 * Talking to a running panel the way scripts and the browser do, and making the credentials the
 * token tests need through the panel's own API (never by writing to its database).
 */

export interface Reply {
  status: number;
  text: string;
  /** The parsed JSON body, or undefined when the body is not JSON. */
  json: unknown;
}

export interface CallInit {
  method?: string;
  headers?: Record<string, string>;
  /** A string is sent as is (to send broken JSON); anything else as JSON. */
  body?: unknown;
}

export async function call(base: string, path: string, init: CallInit = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.body !== undefined) headers["content-type"] ??= "application/json";
  const res = await fetch(base + path, {
    method: init.method ?? "GET",
    headers,
    body: init.body === undefined ? undefined : typeof init.body === "string" ? init.body : JSON.stringify(init.body),
    redirect: "manual",
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

/** Headers of a browser's cookie session, X-Requested-With included (the UI API's CSRF rule). */
export const session = (cookie: string) => ({ cookie, "x-requested-with": "XMLHttpRequest" });

export const TOKEN_FORMAT = /^fdk_[A-Za-z0-9_-]{43}$/;

export interface MadeToken {
  id: number;
  token: string;
  prefix: string;
}

export class Panel {
  constructor(
    readonly url: string,
    /** The admin's cookie session. */
    readonly adminCookie: string,
  ) {}

  call(path: string, init?: CallInit) {
    return call(this.url, path, init);
  }

  /** Calls as the admin's browser session. */
  asAdmin(path: string, init: CallInit = {}) {
    return call(this.url, path, { ...init, headers: { ...session(this.adminCookie), ...init.headers } });
  }

  async createUser(username: string, opts: { role?: "admin" | "user"; perms?: Record<string, boolean> } = {}): Promise<{ id: number; password: string }> {
    const password = `${username}-password-1`;
    const r = await this.asAdmin("/api/ui/users", { method: "POST", body: { username, password, role: opts.role ?? "user" } });
    expect(r.status, r.text).toBe(201);
    const { id } = r.json as { id: number };
    if (opts.perms) await this.patchUser(id, opts.perms);
    return { id, password };
  }

  async patchUser(id: number, patch: Record<string, unknown>): Promise<void> {
    const r = await this.asAdmin(`/api/ui/users/${id}`, { method: "PATCH", body: patch });
    expect(r.status, r.text).toBe(200);
  }

  /** A personal token made through the token page's API with the owner's cookie. */
  async createToken(cookie: string, note = "test", expiresAt?: string): Promise<MadeToken> {
    const r = await call(this.url, "/api/ui/tokens", { method: "POST", headers: session(cookie), body: { note, ...(expiresAt ? { expiresAt } : {}) } });
    expect(r.status, r.text).toBe(201);
    const made = r.json as MadeToken;
    expect(made.token).toMatch(TOKEN_FORMAT);
    return made;
  }

  async deleteToken(cookie: string, id: number): Promise<void> {
    const r = await call(this.url, `/api/ui/tokens/${id}`, { method: "DELETE", headers: session(cookie) });
    expect(r.status, r.text).toBe(200);
  }

  /** An admin-issued key acting as `userId`, through Tactical RMM's API with an admin token. */
  async createKey(adminToken: string, body: { name: string; user: number; expiration?: string | null }): Promise<{ id: number; key: string }> {
    const r = await call(this.url, "/accounts/apikeys/", { method: "POST", headers: { "x-api-key": adminToken }, body });
    expect(r.status, r.text).toBe(200);
    return r.json as { id: number; key: string };
  }
}

export { sleep } from "../helpers/wait";
import { sleep } from "../helpers/wait";

/** Waits until the wall clock has passed `iso` (for keys made to expire). */
export async function waitUntilPast(iso: string): Promise<void> {
  const left = new Date(iso).getTime() - Date.now();
  if (left > -50) await sleep(left + 100);
}
