import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * The request/response shape of every documented API handler. Handlers are written once against
 * these and served through two doors: server.ts answers the documented paths straight from
 * node:http (no Next router on the hot path, see DESIGN.md "Serving"), and each
 * `app/<path>/route.ts` adapts Next's Request for `next start` and for readers.
 */
export interface ApiRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  /** The raw query string (`?a=1`, or empty), for reading one parameter cheaply (lib/http/query.ts). */
  search?: string;
  /** Path parameters (`/agents/:agentId/cmd/` → { agentId }). */
  params: Record<string, string>;
  /** Lower-case header name → value. */
  header(name: string): string | undefined;
  ip: string;
  /** Parsed JSON body; `undefined` when empty; throws BodyError when not JSON or too large. */
  json(): Promise<unknown>;
  /** The body as text (read once, shared with json()); for the form-encoded bodies some clients send. */
  text(): Promise<string>;
}

export interface ApiResult {
  status: number;
  /** A JSON value, or already-serialized JSON (a pre-serialized live-state answer). */
  body?: unknown;
  raw?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

export type ApiHandler = (req: ApiRequest) => Promise<ApiResult>;

export class BodyError extends Error {
  constructor(
    message: string,
    readonly tooLarge = false,
  ) {
    super(message);
  }
}

export const MAX_BODY_BYTES = 256 * 1024;

function parseJson(text: string): unknown {
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new BodyError("the request body is not valid JSON");
  }
}

/** The address a request came from (server.ts sets it; nobody else may). */
export const CLIENT_IP_HEADER = "x-fleetdeck-client-ip";
/** The header server.ts sets to the requested path, so a layout can send people back after login. */
export const PATH_HEADER = "x-fleetdeck-path";

export function fromNode(req: IncomingMessage, url: URL, params: Record<string, string> = {}): ApiRequest {
  let raw: Promise<string> | undefined;
  let body: Promise<unknown> | undefined;
  const text = () =>
    (raw ??= new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on("data", (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY_BYTES) {
          reject(new BodyError(`the request body is larger than ${MAX_BODY_BYTES} bytes`, true));
          req.resume();
          return;
        }
        chunks.push(c);
      });
      req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
      req.on("error", reject);
    }));
  return {
    method: req.method ?? "GET",
    path: url.pathname,
    // Parsed only when a handler asks: many routes read no parameter.
    get query() {
      return url.searchParams;
    },
    search: url.search,
    params,
    header: (name) => {
      const v = req.headers[name];
      return Array.isArray(v) ? v.join(", ") : v;
    },
    ip: req.socket.remoteAddress ?? "",
    text,
    json: () => (body ??= text().then(parseJson)),
  };
}

export function fromWeb(req: Request, params: Record<string, string> = {}): ApiRequest {
  const url = new URL(req.url);
  let raw: Promise<string> | undefined;
  let body: Promise<unknown> | undefined;
  const text = () =>
    (raw ??= req.text().then((t) => {
      if (Buffer.byteLength(t) > MAX_BODY_BYTES) throw new BodyError(`the request body is larger than ${MAX_BODY_BYTES} bytes`, true);
      return t;
    }));
  return {
    method: req.method,
    path: url.pathname,
    query: url.searchParams,
    search: url.search,
    params,
    header: (name) => req.headers.get(name) ?? undefined,
    ip: req.headers.get(CLIENT_IP_HEADER) ?? "",
    text,
    json: () => (body ??= text().then(parseJson)),
  };
}

function serialize(result: ApiResult): string {
  return result.raw ?? (result.body === undefined ? "" : JSON.stringify(result.body));
}

export function toNode(result: ApiResult, res: ServerResponse): void {
  const text = serialize(result);
  res.writeHead(result.status, {
    "content-type": result.contentType ?? "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    ...result.headers,
  });
  res.end(text);
}

export function toWeb(result: ApiResult): Response {
  return new Response(serialize(result), {
    status: result.status,
    headers: { "content-type": result.contentType ?? "application/json; charset=utf-8", ...result.headers },
  });
}

/** A route.ts export for Next: `export const GET = nextRoute(handler)`. */
export function nextRoute(
  handler: ApiHandler,
): (req: Request, ctx: { params: Promise<Record<string, string | string[]>> }) => Promise<Response> {
  return async (req, ctx) => {
    const raw = (await ctx?.params) ?? {};
    const params = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Array.isArray(v) ? v.join("/") : v]));
    return toWeb(await handler(fromWeb(req, params)));
  };
}
