import type { IncomingMessage, ServerResponse } from "node:http";
import { authenticate } from "./auth/authenticate";
import { scopeRefusal } from "./auth/scope";
import { DOMAIN_STATUS } from "./dialects/guard";
import { watchCommandOutput } from "./fleet/commands";
import { asDomainError, invalid } from "./fleet/errors";
import { watchInstanceOutput } from "./fleet/instances";
import { live } from "./fleet/live";
import type { OutputEvent } from "./fleet/live-output";
import { serverFor } from "./fleet/policy";
import { fromNode } from "./http/api";
import { startEventStream } from "./http/sse";

/**
 * Live output as Server-Sent Events (lib/fleet/live-output.ts), beside lib/panel.ts like the UI's
 * push stream (lib/ui-stream.ts):
 *
 *   GET /api/ui/daemons/:id/instances/:uuid/console     an instance's console
 *   GET /api/ui/agents/:agentId/cmd/live?key=<key>      the command the caller sends under <key>
 *   GET /api/ui/agents/:agentId/cmd/live?run=<id>       a running command, by its run id
 *
 * Events: `hello` (listening), `reset` {text} (everything so far: replace), `out` {text}
 * (append), `end` {reason, message} (then the answer ends: the browser closes its EventSource
 * rather than reconnect; "unsupported" means the agent speaks protocol 5 and the console polls).
 * Authenticated like every API and checked by the same policy as reading the output.
 */

const CONSOLE_PATH = /^\/api\/ui\/daemons\/(\d{1,12})\/instances\/([A-Za-z0-9_-]{1,128})\/console$/;
const CMD_PATH = /^\/api\/ui\/agents\/([^/]{1,128})\/cmd\/live$/;
const HEARTBEAT_MS = 15_000;
/** A browser this far behind is cut off (it reconnects and gets the scroll-back again). */
const MAX_BUFFERED_BYTES = 2 * 1024 * 1024;

export function serveLiveOutput(req: IncomingMessage, res: ServerResponse, url: URL): boolean {
  const consoleMatch = CONSOLE_PATH.exec(url.pathname);
  const cmdMatch = consoleMatch ? null : CMD_PATH.exec(url.pathname);
  if (!consoleMatch && !cmdMatch) return false;
  if (req.method !== "GET") {
    json(res, 405, { error: `Method not allowed: ${req.method} ${url.pathname}` }, { allow: "GET" });
    return true;
  }
  void open(req, res, url, consoleMatch, cmdMatch).catch((e: unknown) => {
    const d = asDomainError(e);
    if (d) return json(res, DOMAIN_STATUS[d.kind] ?? 400, { error: d.message });
    console.error("fleetdeck: live output stream failed:", e);
    json(res, 500, { error: "internal error" });
  });
  return true;
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
  res.end(JSON.stringify(body));
}

async function open(req: IncomingMessage, res: ServerResponse, url: URL, consoleMatch: RegExpExecArray | null, cmdMatch: RegExpExecArray | null): Promise<void> {
  const apiReq = fromNode(req, url);
  const outcome = await authenticate(apiReq);
  if (!outcome.ok) return json(res, 401, { error: "Sign in first" });
  const principal = outcome.principal;
  if (principal.scope) {
    const refusal = scopeRefusal(principal.scope, { api: "ui", acts: false }, apiReq.ip);
    if (refusal === "address") return json(res, 401, { error: "Sign in first" });
    if (refusal) return json(res, 403, { error: "This token may not use this API" });
  }

  let closed = false;
  let stop: (() => void) | null = null;
  const early: OutputEvent[] = [];
  let started = false;
  const send = (event: OutputEvent) => {
    if (closed) return;
    if (!started) {
      early.push(event);
      return;
    }
    if (res.writableLength > MAX_BUFFERED_BYTES) {
      finish();
      res.destroy();
      return;
    }
    if (event.t === "end") {
      res.write(`event: end\ndata: ${JSON.stringify({ reason: event.reason, message: event.message ?? "" })}\n\n`);
      finish();
      res.end();
      return;
    }
    res.write(`event: ${event.t}\ndata: ${JSON.stringify({ text: event.text })}\n\n`);
  };
  const heartbeat = setInterval(() => {
    if (started && !closed) res.write(`: keep-alive ${Date.now()}\n\n`);
  }, HEARTBEAT_MS);
  heartbeat.unref();
  const finish = () => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    stop?.();
  };

  res.on("close", finish);
  // The policy refuses before any header is sent: a refusal is a plain JSON error.
  try {
    if (consoleMatch) {
      await live.ready();
      stop = await watchInstanceOutput(principal, Number(consoleMatch[1]), consoleMatch[2], send);
    } else {
      const entry = await serverFor(principal, { agentId: decodeURIComponent(cmdMatch![1]) }, "canSendCmd");
      const run = url.searchParams.get("run");
      const key = url.searchParams.get("key");
      if (!run && !key) throw invalid("Name the run (?run=<id>) or the key (?key=<key>) to follow");
      stop = await watchCommandOutput(principal, entry, run ? { run: Number(run) } : { key: key! }, send);
    }
  } catch (e) {
    clearInterval(heartbeat);
    closed = true;
    throw e;
  }
  if (closed) {
    // The browser left while it was being checked.
    stop?.();
    return;
  }
  startEventStream(req, res);
  res.write(`retry: 5000\n\nevent: hello\ndata: {}\n\n`);
  started = true;
  for (const e of early.splice(0)) send(e);
}
