import { z } from "zod";
import { registerDialect } from "../../http/route-registry";
import type { Dialect } from "../../http/router";
import { live } from "../../fleet/live";
import { createServer } from "../../fleet/servers";
import { publicStatusEnabled } from "../../fleet/public-status";
import { nezhaAnswer, parseSelection } from "./answers";
import { answerResult } from "../../http/api";
import { nezhaDetailsItem, nezhaEnvelope, nezhaListItem } from "./shapes";
import { ApiError } from "../guard";
import { nezhaMethodNotAllowed, nezhaNotFound, nezhaOk, withNezha } from "./envelope";
import { nezhaMonitorHistory } from "../../fleet/monitors";
import { canList } from "../../fleet/policy";

const listQuery = z.object({ tag: z.string().optional().describe("Exact, case-sensitive tag; empty = every server") });
const detailsQuery = z.object({
  id: z.string().optional().describe("Comma-separated server ids; wins over tag; unknown or unparseable ids are skipped"),
  tag: z.string().optional().describe("Exact, case-sensitive tag; empty = every server"),
});
export const registerBody = z.object({
  Name: z.string().trim().min(1).max(100),
  Tag: z.string().trim().max(100).default(""),
  Note: z.string().max(2000).default(""),
  HideForGuest: z.boolean().default(false),
});
const registerQuery = z.object({ simple: z.string().optional().describe("1 or true: answer with the bare secret as text") });

// A user sees the machines the access policy lets them list (none without can_list_agents),
// exactly as through Tactical RMM's /agents/ and the UI.
export const serverList = withNezha(async (req, me) => {
  await live.ready();
  return answerResult(nezhaAnswer(me, "list", parseSelection(req.query, false)));
}, { anonymous: publicStatusEnabled });

export const serverDetails = withNezha(async (req, me) => {
  await live.ready();
  return answerResult(nezhaAnswer(me, "details", parseSelection(req.query, true)));
}, { anonymous: publicStatusEnabled });

/** Later Nezha v0: scripts enroll a machine with a token and get the agent's secret back. */
export const serverRegister = withNezha(
  async (req, _me, actor) => {
    const parsed = registerBody.safeParse((await req.json()) ?? {});
    if (!parsed.success) throw new ApiError(400, parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; "));
    const b = parsed.data;
    const { secret } = await createServer({ name: b.Name, tag: b.Tag, note: b.Note, hideForGuest: b.HideForGuest }, actor);
    const simple = req.query.get("simple");
    if (simple === "1" || simple === "true") return { status: 200, raw: secret, contentType: "text/plain; charset=utf-8" };
    return { status: 200, body: { code: 200, message: "Server created successfully", secret } };
  },
  { admin: true },
);

const monitorItem = z.object({
  monitor_id: z.number().int(),
  server_id: z.number().int(),
  monitor_name: z.string(),
  server_name: z.string(),
  created_at: z.array(z.number().int()).describe("Unix ms, truncated to the minute"),
  avg_delay: z.array(z.number()).describe("Milliseconds"),
});

/**
 * Nezha v0's monitor history of one server (id = the server's id): its ICMP and TCP monitors over
 * the last 24 hours. Nezha answers `result: null` when there is nothing; the dashboards built on
 * this route treat null as an error, so an empty list is `[]`. A server the caller may not list
 * is answered like an unknown one.
 */
export const monitorHistory = withNezha(async (req, me) => {
  const raw = req.params.id ?? "";
  // Nezha parses the id as an unsigned 64-bit integer: digits only.
  if (!/^\d{1,20}$/.test(raw) || !Number.isSafeInteger(Number(raw))) return { status: 400, body: { code: 400, message: "id must be a server id (a number)" } };
  await live.ready();
  const entry = live.get(Number(raw));
  if (!entry || !canList(me, entry.meta)) return { status: 404, body: { code: 404, message: "No such server" } };
  const items = await nezhaMonitorHistory(entry.meta.id, entry.meta.name);
  return nezhaOk(
    items.map((i) => ({ monitor_id: i.monitorId, server_id: i.serverId, monitor_name: i.monitorName, server_name: i.serverName, created_at: i.createdAt, avg_delay: i.avgDelay })),
  );
}, { anonymous: publicStatusEnabled });
const PUBLIC_NOTE =
  "Without any credential: refused (403), unless an administrator has turned on the public status view; then answered with only the servers whose hide_for_guest is false. A wrong credential is always refused.";
const PUBLIC_NOTE_LIST = `The servers the caller may list (a user needs can_list_agents and sees only their clients/sites). ${PUBLIC_NOTE}`;

export const nezhaDialect: Dialect = {
  name: "nezha",
  prefixes: ["/api/v1"],
  routes: [
    {
      pattern: "/api/v1/server/list",
      methods: { GET: serverList },
      docs: { GET: { summary: "List servers (Nezha v0)", description: PUBLIC_NOTE_LIST, query: listQuery, response: nezhaEnvelope(z.array(nezhaListItem)) } },
    },
    {
      pattern: "/api/v1/server/details",
      methods: { GET: serverDetails },
      docs: {
        GET: {
          summary: "Servers with host info and live status (Nezha v0)",
          description: `Every server the caller may list when neither id nor tag is given. ${PUBLIC_NOTE}`,
          query: detailsQuery,
          response: nezhaEnvelope(z.array(nezhaDetailsItem)),
        },
      },
    },
    {
      pattern: "/api/v1/server/register",
      methods: { POST: serverRegister },
      docs: {
        POST: {
          summary: "Enroll a server and get its agent secret (later Nezha v0)",
          admin: true,
          acts: true,
          query: registerQuery,
          body: registerBody,
          response: z.object({ code: z.literal(200), message: z.string(), secret: z.string() }),
        },
      },
    },
    {
      pattern: "/api/v1/monitor/:id",
      methods: { GET: monitorHistory },
      docs: {
        GET: {
          summary: "A server's monitor history, last 24 hours (Nezha v0)",
          description: "id is a server id. ICMP and TCP monitors, ordered by monitor then time; `result` is [] when there is no data. 400 for a non-numeric id, 404 for a server the caller cannot list.",
          response: nezhaEnvelope(z.array(monitorItem)),
        },
      },
    },
  ],
  notFound: nezhaNotFound,
  methodNotAllowed: nezhaMethodNotAllowed,
};

registerDialect(nezhaDialect);
