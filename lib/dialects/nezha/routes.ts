import { z } from "zod";
import type { Dialect } from "../../http/router";
import { live } from "../../fleet/live";
import { createServer } from "../../fleet/servers";
import { publicStatusEnabled } from "../../fleet/public-status";
import { nezhaAnswer, parseSelection } from "./answers";
import { answerResult } from "../../http/api";
import { nezhaDetailsItem, nezhaEnvelope, nezhaListItem } from "./shapes";
import { ApiError } from "../guard";
import { nezhaMethodNotAllowed, nezhaNotFound, withNezha } from "./envelope";

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
  ],
  notFound: nezhaNotFound,
  methodNotAllowed: nezhaMethodNotAllowed,
};
