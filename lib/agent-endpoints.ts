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
 *
 * Agents started with `--self-update` read latest.json at each connection and hourly, and
 * replace themselves with the bundle when its version differs from theirs (agent/self-update.ts):
 * the SHA-256 published here is the one of the bytes served here, checked when they are read.
 */
import fs from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { bundleName, currentBundle } from "./fleet/agent-bundle";
import { EnrollmentError, redeemEnrollmentCode } from "./fleet/enrollment";

const INSTALLER = () => path.join(process.cwd(), "agent/install.sh");
const MAX_ENROLL_BODY = 4096;

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
      sendJson(res, 503, { error: "the agent bundle is not built or does not match its manifest (npm run build)" });
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
