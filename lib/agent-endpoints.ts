/**
 * What a machine needs to install the agent, served by the custom server before Next:
 *
 *   GET  /agent/install.sh                    the one-line installer (agent/install.sh)
 *   GET  /agent/latest.json                   {version, url, sha256, size, nodeArgs}; `url` is
 *                                             relative to this file (a path prefix is kept)
 *   GET  /agent/fleetdeck-agent-<version>.cjs the bundle (scripts/build-agent.mjs), immutable
 *   POST /agent/enroll {code}                 a one-time enrollment code → the server's secret
 *
 * None of them needs a session: the bundle and the script hold no secret, and the enrollment
 * code is the credential of the last one.
 */
import fs from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { EnrollmentError, redeemEnrollmentCode } from "./fleet/enrollment";

interface Manifest {
  version: string;
  file: string;
  sha256: string;
  size: number;
  nodeArgs: string[];
}

const DIST = () => path.join(process.cwd(), "dist/agent");
const INSTALLER = () => path.join(process.cwd(), "agent/install.sh");
const MAX_ENROLL_BODY = 4096;

/** The current bundle, re-read when the build replaced it (under `npm run dev` it can change). */
let cached: { mtimeMs: number; manifest: Manifest; bytes: Buffer; latest: string } | null = null;

function currentBundle(): typeof cached {
  const manifestFile = path.join(DIST(), "manifest.json");
  let mtimeMs: number;
  try {
    mtimeMs = fs.statSync(manifestFile).mtimeMs;
  } catch {
    return null;
  }
  if (cached?.mtimeMs === mtimeMs) return cached;
  const manifest = JSON.parse(fs.readFileSync(manifestFile, "utf8")) as Manifest;
  const bytes = fs.readFileSync(path.join(DIST(), manifest.file));
  const latest = JSON.stringify({
    version: manifest.version,
    url: bundleName(manifest.version),
    sha256: manifest.sha256,
    size: manifest.size,
    nodeArgs: manifest.nodeArgs,
  });
  cached = { mtimeMs, manifest, bytes, latest };
  return cached;
}

export function bundleName(version: string): string {
  return `fleetdeck-agent-${version}.cjs`;
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, headers: Record<string, string> = {}, head = false): void {
  res.writeHead(status, { "content-type": type, "content-length": String(Buffer.byteLength(body)), ...headers });
  res.end(head ? undefined : body);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, "application/json", JSON.stringify(body), { "cache-control": "no-store" });
}

function readSmallBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_ENROLL_BODY) {
        resolve(null);
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", () => resolve(null));
  });
}

async function enroll(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const text = await readSmallBody(req);
  let code: unknown;
  try {
    code = text === null ? undefined : (JSON.parse(text) as { code?: unknown }).code;
  } catch {
    code = undefined;
  }
  if (typeof code !== "string" || !code) return sendJson(res, 400, { error: 'send {"code": "<enrollment code>"}' });
  try {
    const { serverId, name, secret } = await redeemEnrollmentCode(code, req.socket.remoteAddress ?? "");
    sendJson(res, 200, { serverId, name, secret });
  } catch (e) {
    if (e instanceof EnrollmentError) return sendJson(res, 403, { error: e.message, reason: e.reason });
    throw e;
  }
}

/** Answers the paths above and returns true; false for any other request. */
export function serveAgentFiles(req: IncomingMessage, res: ServerResponse, pathname: string): boolean {
  if (!pathname.startsWith("/agent/") || pathname === "/agent/ws") return false;
  const method = req.method ?? "GET";
  if (pathname === "/agent/enroll") {
    if (method !== "POST") sendJson(res, 405, { error: "use POST" });
    else
      enroll(req, res).catch((e) => {
        console.error("fleetdeck: enrollment failed:", e);
        if (!res.headersSent) sendJson(res, 500, { error: "internal error" });
        else res.end();
      });
    return true;
  }
  if (method !== "GET" && method !== "HEAD") return false;
  const head = method === "HEAD";
  if (pathname === "/agent/install.sh") {
    let script: string;
    try {
      script = fs.readFileSync(INSTALLER(), "utf8");
    } catch {
      return false;
    }
    send(res, 200, "text/x-shellscript; charset=utf-8", script, { "cache-control": "no-store" }, head);
    return true;
  }
  if (pathname === "/agent/latest.json" || pathname.startsWith("/agent/fleetdeck-agent-")) {
    const bundle = currentBundle();
    if (!bundle) {
      sendJson(res, 503, { error: "the agent bundle is not built (npm run build)" });
      return true;
    }
    if (pathname === "/agent/latest.json") {
      send(res, 200, "application/json", bundle.latest, { "cache-control": "no-cache" }, head);
    } else if (pathname === `/agent/${bundleName(bundle.manifest.version)}`) {
      // The version is in the name: a given URL never changes content.
      send(res, 200, "application/javascript", bundle.bytes, { "cache-control": "public, max-age=31536000, immutable", "x-content-sha256": bundle.manifest.sha256 }, head);
    } else {
      sendJson(res, 404, { error: `this panel serves agent ${bundle.manifest.version} only (see /agent/latest.json)` });
    }
    return true;
  }
  return false;
}
