import type { IncomingMessage, ServerResponse } from "node:http";
import { EncodedAnswer, pickEncoding } from "./encoded";

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
  /**
   * The answer as a cached EncodedAnswer (lib/http/encoded.ts): sent gzip or brotli to clients
   * that accept it, with the compressed bytes made once per cached answer, never per request.
   */
  encoded?: EncodedAnswer;
  contentType?: string;
  headers?: Record<string, string>;
}

/** A 200 with a cached answer (compressible) or a one-off serialized body (sent as it is). */
export function answerResult(answer: EncodedAnswer | string, headers?: Record<string, string>): ApiResult {
  return answer instanceof EncodedAnswer ? { status: 200, encoded: answer, headers } : { status: 200, raw: answer, headers };
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

/** No API body nests deeper; deeper ones are refused before anything walks them recursively. */
const MAX_JSON_DEPTH = 64;

/** How deep arrays and objects nest in a JSON text (brackets inside strings do not count). */
function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123 /* [ { */) max = Math.max(max, ++depth);
    else if (c === 93 || c === 125 /* ] } */) depth--;
  }
  return max;
}

function parseJson(text: string): unknown {
  if (!text.trim()) return undefined;
  if (jsonDepth(text) > MAX_JSON_DEPTH) throw new BodyError(`the request body nests deeper than ${MAX_JSON_DEPTH} levels`);
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
  const text = () => (raw ??= readNodeBody(req));
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
    // Set by the server from the socket and TRUST_PROXY (lib/http/address.ts) before any handler runs.
    ip: (req.headers[CLIENT_IP_HEADER] as string | undefined) ?? req.socket.remoteAddress ?? "",
    text,
    json: () => (body ??= text().then(parseJson)),
  };
}

const tooLarge = () => new BodyError(`the request body is larger than ${MAX_BODY_BYTES} bytes`, true);

/**
 * The body as text, refused as soon as it passes MAX_BODY_BYTES (at once when its declared length
 * does): never more than the limit is held. The rest is read and dropped rather than cut off
 * (closing on unread data resets the connection, and the client may lose the answer); the
 * server's request time-out bounds how long that may take.
 */
function readNodeBody(req: IncomingMessage): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    if (Number(req.headers["content-length"] ?? 0) > MAX_BODY_BYTES) {
      req.resume();
      return reject(tooLarge());
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) return void chunks.push(c);
      req.off("data", onData);
      req.resume();
      reject(tooLarge());
    };
    req.on("data", onData);
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    // A client that goes away mid-body ("aborted"): nobody will read the answer, but the handler
    // must end, as a refused request rather than an internal error.
    const cutOff = () => reject(new BodyError("the request body was cut off"));
    req.on("error", cutOff);
    req.on("close", () => {
      if (!req.complete) cutOff();
    });
  });
}

/** Next's Request, read the same way: chunk by chunk, never more than the limit. */
async function readWebBody(req: Request): Promise<string> {
  if (Number(req.headers.get("content-length") ?? 0) > MAX_BODY_BYTES) throw tooLarge();
  if (!req.body) return "";
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export function fromWeb(req: Request, params: Record<string, string> = {}): ApiRequest {
  const url = new URL(req.url);
  let raw: Promise<string> | undefined;
  let body: Promise<unknown> | undefined;
  const text = () => (raw ??= readWebBody(req));
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
  return result.encoded?.text ?? result.raw ?? (result.body === undefined ? "" : JSON.stringify(result.body));
}

export function toNode(result: ApiResult, res: ServerResponse): void {
  const encoded = result.encoded;
  if (encoded) {
    const encoding = encoded.compressible ? pickEncoding(res.req?.headers["accept-encoding"]) : null;
    if (encoding) {
      encoded.encoded(encoding).then(
        (bytes) => sendBytes(result, res, bytes, encoding),
        // Compression never fails an answer: it goes as it is.
        () => sendBytes(result, res, encoded.bytes, null),
      );
      return;
    }
    sendBytes(result, res, encoded.bytes, null);
    return;
  }
  const text = serialize(result);
  res.writeHead(result.status, {
    "content-type": result.contentType ?? "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    ...result.headers,
  });
  res.end(text);
}

function sendBytes(result: ApiResult, res: ServerResponse, bytes: Buffer, encoding: string | null): void {
  if (res.destroyed) return;
  res.writeHead(result.status, {
    "content-type": result.contentType ?? "application/json; charset=utf-8",
    "content-length": bytes.length,
    // Caches between the panel and a client must keep the two forms apart.
    vary: "Accept-Encoding",
    ...(encoding ? { "content-encoding": encoding } : {}),
    ...result.headers,
  });
  res.end(bytes);
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
