import nodeCluster from "node:cluster";
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import type { Duplex } from "node:stream";
import next from "next";
import type { AddressInfo } from "node:net";
import { useConfig, type Env } from "./env";
import { databaseProvider, db, prepareDatabase } from "./db";
import { answerHealth } from "./http/health";
import { CLIENT_IP_HEADER, MAX_BODY_BYTES, PATH_HEADER, fromNode, toNode } from "./http/api";
import { clientAddressOf } from "./http/address";
import { buildApiRouter } from "./dialects/index";
import { createFirstAdmin, SYSTEM, userCount } from "./fleet/users";
import { flushTokenUse } from "./auth/tokens";
import { watchRevocations } from "./auth/revocation";
import { newSetupCode, setupCodeBanner, sharedSetupCode } from "./auth/setup-code";
import { clusterView } from "./fleet/cluster";
import { sealTotpSeeds } from "./fleet/profile";
import { flushAuthFailures } from "./audit";
import { wireFleet } from "./fleet/wiring";
import { asDomainError } from "./fleet/errors";
import { serveAgentFiles } from "./agent-endpoints";
import { serveUiStream } from "./ui-stream";
import { serveLiveOutput } from "./live-output-stream";
import { serveFileTransfer } from "./file-transfer";
import { deadlineLimits, requestDeadline } from "./http/deadline";

/**
 * How long a client may take to send its headers (node checks it) and its whole request
 * (FLEETDECK_REQUEST_TIMEOUT_SECONDS, and no silence longer than FLEETDECK_REQUEST_IDLE_SECONDS,
 * timed per request by lib/http/deadline.ts: an upload is exempt from the total and cut only
 * when it stalls for the total). Without these a client that
 * trickles bytes (slowloris) holds a socket for minutes; no other honest request needs long,
 * since bodies are capped at MAX_BODY_BYTES. (Answers may take as long as they take: a command
 * runs for up to an hour, and these limits end when the request has arrived.)
 */
const HEADERS_TIMEOUT_MS = 15_000;
/** How often node looks for requests past the header limit. */
const TIMEOUT_CHECK_MS = 2_000;

/**
 * The request target as a URL, or null when it is not a path (`*`, absolute-form, garbage).
 * Parsed against a fixed origin by concatenation: `new URL("//[", base)` would read `//[` as a
 * host (and throw), and `//api/x` as host "api" with path "/x".
 */
function requestUrl(target: string | undefined): URL | null {
  // "//host/x" is a network-path reference, never a path a browser sends; Next would redirect it
  // to "/host/x" (and such redirects have been open redirects elsewhere).
  if (!target || target[0] !== "/" || target[1] === "/") return null;
  try {
    return new URL(`http://panel.invalid${target}`);
  } catch {
    return null;
  }
}

/**
 * A short JSON refusal from the server itself (no route, no dialect to word it). A body still
 * arriving is read and dropped rather than cut off (closing on unread data resets the connection,
 * and the client may lose the answer); the request's deadline bounds how long that may take.
 */
function refuse(req: http.IncomingMessage, res: http.ServerResponse, status: number, error: string): void {
  req.resume();
  const body = JSON.stringify({ error });
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

/** The methods Next's pages and route handlers know; others (TRACE, PROPFIND…) make it throw. */
const NEXT_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/**
 * What Next must not be handed, since it answers it with a 500 or reads it without a limit:
 * - a method it does not know;
 * - a body larger than the APIs accept: Next reads a body whole before anything can refuse it,
 *   and the only bodies it takes here are sign-in forms; a body of unknown length (chunked) is
 *   refused with 411 (browsers always send a length with a form);
 * - a JSON body: no path Next serves takes one (the JSON APIs are all answered above), and
 *   next-auth answers malformed JSON with a 500 — an empty POST whose type says JSON too, since
 *   next-auth parses a POST by its type whatever its length.
 */
function nextRefusal(req: http.IncomingMessage): [number, string] | null {
  if (!NEXT_METHODS.has(req.method ?? "")) return [405, `Method not allowed: ${req.method}`];
  const json = /json/i.test(req.headers["content-type"] ?? "");
  if (json && req.method === "POST") return [415, "This path takes form bodies only"];
  const length = req.headers["content-length"];
  const hasBody = length !== undefined ? Number(length) !== 0 : req.headers["transfer-encoding"] !== undefined;
  if (!hasBody) return null;
  if (length === undefined) return [411, "A request body needs a Content-Length here"];
  if (Number(length) > MAX_BODY_BYTES) return [413, `The request body is larger than ${MAX_BODY_BYTES} bytes`];
  if (json) return [415, "This path takes form bodies only"];
  return null;
}

/**
 * Requests node cannot parse (a broken request line, bad header syntax or chunking, headers
 * over the limit, a request past its time-out): answered with a status and the socket closed,
 * never left open. A response already under way on the socket (pipelining) cannot be followed
 * by another: then the socket is only closed.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (err.code === "ECONNRESET" || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const [status, error] =
    err.code === "HPE_HEADER_OVERFLOW"
      ? [431, "The request headers are too large"]
      : err.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? [408, "The request took too long to arrive"]
        : [400, "Bad request: the request could not be parsed"];
  const body = JSON.stringify({ error });
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
  // A peer that never reads must not keep the socket: end() waits for the write to drain.
  setTimeout(() => socket.destroy(), 5_000).unref();
}

/**
 * PORT=0 once the system has chosen the port: the configuration says the real one from then on,
 * and so does a NEXTAUTH_URL that named port 0 (its default names PORT).
 */
function adoptBoundPort(env: Env, port: number): void {
  env.PORT = port;
  const url = new URL(env.NEXTAUTH_URL);
  if (url.port === "0") {
    url.port = String(port);
    env.NEXTAUTH_URL = url.toString().replace(/\/$/, "");
  }
  useConfig(env);
}

/** Runs the panel: database settings, the first admin from the environment, Next, the fast door. */
export async function startPanel(env: Env, opts: { dev: boolean; dir: string }) {
  await prepareDatabase();

  if (env.ADMIN_USERNAME && env.ADMIN_PASSWORD && (await userCount()) === 0) {
    // Several processes starting at once (PANEL_PROCESSES) race for this: one wins, the others
    // find the administrator made and go on.
    const made = await createFirstAdmin({ username: env.ADMIN_USERNAME, password: env.ADMIN_PASSWORD }, SYSTEM).then(
      () => true,
      (e: unknown) => {
        if (asDomainError(e)?.kind === "conflict") return false;
        throw e;
      },
    );
    if (made) console.log(`fleetdeck: created administrator "${env.ADMIN_USERNAME}" from ADMIN_USERNAME`);
  }
  const sealed = await sealTotpSeeds();
  if (sealed) console.log(`fleetdeck: sealed ${sealed} two-factor seed(s) stored in plaintext by an earlier version`);
  // Changes made by other processes (another panel, the CLI) reach this one's caches within a second.
  const stopWatching = watchRevocations();

  // requestTimeout 0: node's limit is one for all requests; requestDeadline() times each instead.
  const limits: http.ServerOptions = { headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: 0, connectionsCheckingInterval: TIMEOUT_CHECK_MS };
  // With TLS_CERT/TLS_KEY the panel speaks HTTPS (and so WSS to agents) itself; otherwise plain
  // HTTP, for loopback or behind a reverse proxy that terminates TLS (README, "TLS").
  const tls = env.TLS_CERT && env.TLS_KEY ? { cert: fs.readFileSync(env.TLS_CERT), key: fs.readFileSync(env.TLS_KEY) } : null;
  const server = tls ? https.createServer({ ...limits, ...tls }) : http.createServer(limits);
  server.on("clientError", answerClientError);
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(env.PORT, env.HOST, () => resolve());
    });
  // PORT=0: the system gives a free port (tests, several panels on one host: no port picked
  // beforehand that another process could take first). It is bound here, before anything names
  // the panel's own address (Next, the local agent, next-auth's URL), so they all name the real
  // one. Nothing knows the port before the "listening on" line below names it (a request that
  // guessed it would find no handler yet and go unanswered).
  if (env.PORT === 0) {
    await listen();
    adoptBoundPort(env, (server.address() as AddressInfo).port);
  }

  const app = next({ dev: opts.dev, dir: opts.dir, hostname: env.HOST, port: env.PORT });
  await app.prepare();
  const nextHandler = app.getRequestHandler();
  const router = buildApiRouter();
  const bodyLimits = deadlineLimits(env);

  const handle = (req: http.IncomingMessage, res: http.ServerResponse) => {
    // Only this server may say where a request came from (the socket's peer, or the client a
    // trusted proxy names: TRUST_PROXY); everything behind it reads this header.
    req.headers[CLIENT_IP_HEADER] = clientAddressOf(req);
    const deadline = requestDeadline(req, res, bodyLimits);
    const url = requestUrl(req.url);
    if (!url) return refuse(req, res, 400, "Bad request: the request target must be a path");
    if (serveAgentFiles(req, res, url.pathname)) return;
    if (answerHealth(req, res, url.pathname)) return;
    if (serveUiStream(req, res, url)) return;
    if (serveLiveOutput(req, res, url)) return;
    if (serveFileTransfer(req, res, url, deadline)) return;
    const match = router.match(req.method ?? "GET", url.pathname);
    if (match.kind === "route") {
      match
        .handler(fromNode(req, url, match.params))
        .then((result) => toNode(result, res))
        .catch((e) => {
          console.error("fleetdeck: API handler failed:", e);
          if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
          res.end('{"error":"internal error"}');
        });
      return;
    }
    const refusal = nextRefusal(req);
    if (refusal) return refuse(req, res, ...refusal);
    req.headers[PATH_HEADER] = url.pathname + url.search;
    nextHandler(req, res).catch((e) => {
      console.error("fleetdeck: page failed:", e);
      res.statusCode = 500;
      res.end("Internal error");
    });
  };

  server.on("request", handle);

  const fleet = await wireFleet(server, env);
  // The agents' WebSockets are the only upgrades served here (lib/fleet/wiring.ts). Next adds an
  // 'upgrade' listener of its own to this server when it serves its first page (its dev server's
  // hot reload needs it); in production it has nothing to upgrade, yet it would run its router on
  // every agent's connection and keep an AbortController and listeners on each socket for the
  // socket's life (about 0.5 KiB an agent). It is taken off again as soon as it is added.
  if (!opts.dev) {
    const ours = new Set(server.listeners("upgrade"));
    server.on("newListener", (event, listener) => {
      if (event === "upgrade" && !ours.has(listener)) queueMicrotask(() => server.removeListener("upgrade", listener));
    });
  }

  if (!server.listening) await listen();
  const shownUrl = `${tls ? "https" : "http"}://${env.HOST === "0.0.0.0" ? "localhost" : env.HOST}:${(server.address() as { port: number }).port}`;
  if ((await userCount()) === 0) {
    // Several processes: one code for all (any of them may answer the setup page). The workers of
    // PANEL_PROCESSES start together and adopt one code; a fleet's first process makes a new one.
    const shared = databaseProvider() === "postgresql";
    const code = shared ? await sharedSetupCode(clusterView().peers.length === 0 && !nodeCluster.isWorker) : newSetupCode();
    console.log(setupCodeBanner(code, shownUrl));
  }
  console.log(`fleetdeck: listening on ${shownUrl}`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    stopWatching();
    await fleet.stop().catch(() => undefined);
    server.close();
    await flushTokenUse().catch(() => undefined);
    await flushAuthFailures().catch(() => undefined);
    await db.$disconnect().catch(() => undefined);
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
