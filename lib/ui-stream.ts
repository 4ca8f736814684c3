import type { IncomingMessage, ServerResponse } from "node:http";
import { authenticate } from "./auth/authenticate";
import { fromNode } from "./http/api";
import { startEventStream } from "./http/sse";
import { addClient, clientCount, MAX_BUFFERED_BYTES, MAX_CLIENTS, RETRY_MS, streamScope, TOPICS, type StreamClient, type Topic } from "./dialects/ui/stream";

export const STREAM_PATH = "/api/ui/stream";

/** How often an open stream checks its credential again (a signed-out or disabled user is cut off). */
const REAUTH_MS = 60_000;

/**
 * The UI's push stream as Server-Sent Events: `GET /api/ui/stream?topics=servers,agents`.
 * Authenticated like every API (the session cookie or a token); what it carries is decided by the
 * access policy (lib/dialects/ui/stream.ts). Served here, beside lib/panel.ts, because a stream
 * outlives the request/answer shape of the route tables. Returns false for any other path.
 * With `view=1` the client names the rows its page shows (`POST /api/ui/stream/view` with the id
 * the `hello` event gives) and gets whole rows only for those.
 */
export function serveUiStream(req: IncomingMessage, res: ServerResponse, url: URL): boolean {
  if (url.pathname !== STREAM_PATH) return false;
  if (req.method !== "GET") {
    res.writeHead(405, { "content-type": "application/json; charset=utf-8", allow: "GET" });
    res.end(JSON.stringify({ error: `Method not allowed: ${req.method} ${url.pathname}` }));
    return true;
  }
  void open(req, res, url).catch((e) => {
    console.error("fleetdeck: UI stream failed:", e);
    if (!res.headersSent) res.writeHead(500, { "content-type": "application/json; charset=utf-8" });
    res.end('{"error":"internal error"}');
  });
  return true;
}

function topicsOf(url: URL): Set<Topic> {
  const asked = (url.searchParams.get("topics") ?? "servers").split(",");
  return new Set(TOPICS.filter((t) => asked.includes(t)));
}

async function open(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const apiReq = fromNode(req, url);
  const outcome = await authenticate(apiReq);
  if (!outcome.ok) {
    res.writeHead(401, { "content-type": "application/json; charset=utf-8" });
    res.end(JSON.stringify({ error: "Sign in first" }));
    return;
  }
  if (clientCount() >= MAX_CLIENTS) {
    res.writeHead(503, { "content-type": "application/json; charset=utf-8", "retry-after": "10" });
    res.end(JSON.stringify({ error: "Too many open streams; try again shortly" }));
    return;
  }
  const principal = outcome.principal;
  const scope = streamScope(principal);
  startEventStream(req, res);

  let closed = false;
  const client: StreamClient = {
    principal,
    topics: topicsOf(url),
    fresh: true,
    ...(url.searchParams.get("view") === "1" ? { view: new Set<number>(), newlyViewed: new Set<number>() } : {}),
    send(chunk) {
      if (closed) return false;
      // A client this far behind is dropped, not buffered: it reconnects and refetches its lists.
      if (res.writableLength > MAX_BUFFERED_BYTES) {
        close();
        res.destroy();
        return false;
      }
      res.write(chunk);
      return true;
    },
  };
  const remove = addClient(client);
  const reauth = setInterval(() => {
    void authenticate(apiReq).then(
      (again) => {
        // Signed out, disabled, or given other rights: end the stream; the browser reconnects
        // (or not) with what it is now allowed.
        if (!again.ok || streamScope(again.principal) !== scope) {
          close();
          res.end();
        }
      },
      () => undefined,
    );
  }, REAUTH_MS);
  reauth.unref();
  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(reauth);
    remove();
  };
  res.on("close", close);
  res.write(`retry: ${RETRY_MS}\n\nevent: hello\ndata: ${JSON.stringify({ topics: [...client.topics], id: client.id })}\n\n`);
}
