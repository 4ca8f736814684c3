/** The servers pages' API: every machine the caller may list, its history, and admin edits. */
import { z } from "zod";
import type { ApiRequest } from "../../http/api";
import { ApiError } from "../guard";
import { serverHistory } from "../../fleet/history";
import { live } from "../../fleet/live";
import { notFound } from "../../fleet/errors";
import { isAdmin, scopeKey, serverFor, visibleServers } from "../../fleet/policy";
import { singleton } from "../../global";
import { answerResult } from "../../http/api";
import { TickCache } from "../../http/encoded";
import { servedAgentVersion } from "../../fleet/agent-bundle";
import { createEnrollmentCode, installCommand } from "../../fleet/enrollment";
import { createServer, deleteServer, rotateSecret, serverInputSchema, updateServer } from "../../fleet/servers";
import { config } from "../../env";
import { bodyOf, idParam, uiOk, withUi } from "./envelope";
import { enrollment, historyPoints, historyRangeSchema, panelUrlFor, serverDetail, serverRow } from "./views";

function serverId(req: ApiRequest): number {
  const id = idParam(req.params.id);
  if (id === null) throw notFound("server", "No such server");
  return id;
}

/** The server a path names, as the access policy lets the caller see it. */
const serverOf = (req: ApiRequest, me: Parameters<typeof serverFor>[0]) => serverFor(me, { id: serverId(req) });

/**
 * Every server the caller may list, with its live metrics, in display order. Kept one tick per
 * (access scope, admin) so the list is serialized and compressed at most once per tick
 * (lib/http/encoded.ts) however many browsers ask.
 */
const serverLists = singleton("uiServerLists", () => new TickCache(1_000, 200));
export const listServers = withUi(async (_req, me) => {
  const admin = isAdmin(me);
  await live.ready();
  return answerResult(
    await serverLists.get(`${scopeKey(me)}|${admin ? "a" : "u"}`, live.listStamp, async () => {
      const now = Date.now();
      return JSON.stringify((await visibleServers(me)).map((e) => serverRow(e, { admin }, now)));
    }),
  );
});

/** Adds a server; the answer is the only time its secret (and the agent command) is shown. */
export const addServer = withUi(
  async (req, _me, actor) => {
    const input = serverInputSchema.parse(await bodyOf(req));
    const { server, secret } = await createServer(input, actor);
    return uiOk({ id: server.id, name: server.name, ...enrollment(req, secret) }, 201);
  },
  { admin: true },
);

/** One server: live metrics, host info and temperatures (from memory, like the list). */
export const getServer = withUi(async (req, me) => uiOk(serverDetail(await serverOf(req, me), { admin: isAdmin(me), panelAgentVersion: servedAgentVersion() })));

export const editServer = withUi(
  async (req, _me, actor) => {
    const id = serverId(req);
    await updateServer(id, await bodyOf(req), actor);
    const entry = live.get(id);
    if (!entry) throw notFound("server", "No such server");
    return uiOk(serverRow(entry, { admin: true }));
  },
  { admin: true },
);

/** Deletes the server; its agent is disconnected and refused from now on. */
export const removeServer = withUi(
  async (req, _me, actor) => {
    await deleteServer(serverId(req), actor);
    return uiOk({ ok: true });
  },
  { admin: true },
);

const historyQuery = z.object({ range: historyRangeSchema.default("hour") });

/** Chart data: 10-second averages of the last hour, or minute averages of the last day. */
export const getHistory = withUi(async (req, me) => {
  const entry = await serverOf(req, me);
  const query = historyQuery.safeParse({ range: req.query.get("range") || undefined });
  if (!query.success) throw new ApiError(400, "range must be hour or day");
  return uiOk(historyPoints(await serverHistory(entry.meta.id, query.data.range)));
});

/** A new agent secret, shown once: the old one is refused from now on and its agent cut off. */
export const newSecret = withUi(
  async (req, _me, actor) => {
    const { server, secret } = await rotateSecret(serverId(req), actor);
    return uiOk({ id: server.id, name: server.name, ...enrollment(req, secret) });
  },
  { admin: true },
);

/**
 * A one-time enrollment code for this server (valid an hour, usable once) and the install line
 * that carries it: the machine running the line receives a fresh secret for the server, so no
 * secret ever appears in a command line.
 */
export const enrollServer = withUi(
  async (req, _me, actor) => {
    const id = serverId(req);
    await live.ready();
    const server = live.get(id);
    if (!server) throw notFound("server", "No such server");
    const { code, expiresAt } = await createEnrollmentCode(id, actor);
    const panelUrl = panelUrlFor(
      { host: req.header("host"), forwardedHost: req.header("x-forwarded-host"), forwardedProto: req.header("x-forwarded-proto") },
      config().NEXTAUTH_URL,
    );
    return uiOk({ id, name: server.meta.name, code, expiresAt: new Date(expiresAt).toISOString(), panelUrl, command: installCommand(panelUrl, code) });
  },
  { admin: true },
);
