import http from "node:http";
import next from "next";
import type { Env } from "./env";
import { db, prepareDatabase } from "./db";
import { answerHealth } from "./http/health";
import { CLIENT_IP_HEADER, PATH_HEADER, fromNode, toNode } from "./http/api";
import { clientAddressOf } from "./http/address";
import { buildApiRouter } from "./dialects/index";
import { createFirstAdmin, SYSTEM, userCount } from "./fleet/users";
import { flushTokenUse } from "./auth/tokens";
import { watchRevocations } from "./auth/revocation";
import { newSetupCode, setupCodeBanner } from "./auth/setup-code";
import { sealTotpSeeds } from "./fleet/profile";
import { flushAuthFailures } from "./audit";
import { wireFleet } from "./fleet/wiring";
import { serveAgentFiles } from "./agent-endpoints";

/** Runs the panel: database settings, the first admin from the environment, Next, the fast door. */
export async function startPanel(env: Env, opts: { dev: boolean; dir: string }) {
  await prepareDatabase();

  if (env.ADMIN_USERNAME && env.ADMIN_PASSWORD && (await userCount()) === 0) {
    await createFirstAdmin({ username: env.ADMIN_USERNAME, password: env.ADMIN_PASSWORD }, SYSTEM);
    console.log(`fleetdeck: created administrator "${env.ADMIN_USERNAME}" from ADMIN_USERNAME`);
  }
  const sealed = await sealTotpSeeds();
  if (sealed) console.log(`fleetdeck: sealed ${sealed} two-factor seed(s) stored in plaintext by an earlier version`);
  // Changes made by other processes (another panel, the CLI) reach this one's caches within a second.
  const stopWatching = watchRevocations();

  const app = next({ dev: opts.dev, dir: opts.dir, hostname: env.HOST, port: env.PORT });
  await app.prepare();
  const nextHandler = app.getRequestHandler();
  const router = buildApiRouter();

  const server = http.createServer((req, res) => {
    // Only this server may say where a request came from (the socket's peer, or the client a
    // trusted proxy names: TRUST_PROXY); everything behind it reads this header.
    req.headers[CLIENT_IP_HEADER] = clientAddressOf(req);
    const url = new URL(req.url ?? "/", "http://panel.invalid");
    if (serveAgentFiles(req, res, url.pathname)) return;
    if (answerHealth(req, res, url.pathname)) return;
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
    req.headers[PATH_HEADER] = url.pathname + url.search;
    nextHandler(req, res).catch((e) => {
      console.error("fleetdeck: page failed:", e);
      res.statusCode = 500;
      res.end("Internal error");
    });
  });

  const fleet = await wireFleet(server, env);

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(env.PORT, env.HOST, () => resolve());
  });
  const shownUrl = `http://${env.HOST === "0.0.0.0" ? "localhost" : env.HOST}:${(server.address() as { port: number }).port}`;
  if ((await userCount()) === 0) console.log(setupCodeBanner(newSetupCode(), shownUrl));
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
