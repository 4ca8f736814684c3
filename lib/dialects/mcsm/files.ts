import { z } from "zod";
import type { RouteDef } from "../../http/router";
import type { ApiRequest } from "../../http/api";
import { SCOPE_MESSAGES } from "../../auth/scope";
import {
  compressFiles,
  copyFiles,
  deleteFiles,
  issueDownload,
  issueUpload,
  listFiles,
  makeFolder,
  moveFiles,
  readTextFile,
  touchFile,
  writeTextFile,
} from "../../fleet/files";
import { instanceFor } from "../../fleet/instances";
import { live } from "../../fleet/live";
import { ApiError } from "../guard";
import { mcsmEnvelope } from "./shapes";
import { mcsmOk, mcsmResult, withMcsm } from "./envelope";
import { requireDaemon } from "./daemons";

/**
 * MCSManager's file manager (`/api/files/*`, its panel's filemananger_router): the instance is
 * named by `daemonId` + `uuid` in the query, everything else in the body. Bodies are JSON (the
 * web panel, the JS clients) or form-encoded (the Python client `mcsmapi`, whose `requests`
 * call sends `data=`): a repeated key is a list, and the pairs of copy/move arrive flattened
 * (`targets=a&targets=b` is [[a, b]]). Answers are MCSManager's envelope with `data: true` for
 * changes, as its daemon answers.
 */

const instanceParams = {
  daemonId: z.string().max(200).optional().describe("The daemon's uuid"),
  remote_uuid: z.string().max(200).optional().describe("Alias of daemonId"),
  uuid: z.string().max(200).optional().describe("The instance's uuid (required)"),
};
const instanceQuery = z.object(instanceParams);
const listQuery = z.object({
  ...instanceParams,
  target: z.string().max(4096).optional().describe('The folder, relative to the instance\'s ("/" = its root)'),
  page: z.string().max(12).optional().describe("0-based page (MCSManager's daemon counts from 0)"),
  page_size: z.string().max(12).optional().describe("1–100; default 10"),
  file_name: z.string().max(255).optional().describe("Case-insensitive substring of the name; empty = all"),
});
const downloadQuery = z.object({ ...instanceParams, file_name: z.string().max(4096).optional().describe("The file, relative to the instance's folder (required)") });
const uploadQuery = z.object({ ...instanceParams, upload_dir: z.string().max(4096).optional().describe('The folder to upload into; default "/"') });

const path = z.string().max(4096);
const editBody = z.object({ target: path, text: z.string().optional().describe("Present: write; absent: read") });
const targetBody = z.object({ target: path });
const pairsBody = z.object({ targets: z.array(z.tuple([path, path])).min(1).max(1000).describe("[[from, to], …]") });
const deleteBody = z.object({ targets: z.array(path).min(1).max(1000) });
const compressBody = z.object({
  type: z.coerce.number().pipe(z.union([z.literal(1), z.literal(2)])).describe("1 zip, 2 unzip"),
  source: path.describe("The archive: made (type 1) or unpacked (type 2)"),
  targets: z.union([path, z.array(path).max(10_000)]).describe("type 1: the files to pack; type 2: the folder to unpack into"),
  code: z.string().max(20).optional().describe('File-name encoding (MCSManager\'s "utf-8", "gbk"…); only UTF-8 and CP437 names are read'),
});
const transferAnswer = mcsmEnvelope(z.object({ password: z.string(), addr: z.string().describe("host:port of the panel, which serves /download/<password>/<name> and /upload/<password>") }));

// ---- bodies: JSON or form ------------------------------------------------------------------------

/** The body as an object: JSON, or form-encoded with repeated keys as lists. */
async function bodyObject(req: ApiRequest): Promise<Record<string, unknown>> {
  const type = (req.header("content-type") ?? "").toLowerCase();
  if (type.startsWith("application/x-www-form-urlencoded")) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of new URLSearchParams(await req.text())) {
      const prev = out[k];
      out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    return out;
  }
  const raw = await req.json();
  if (raw === undefined) return {};
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new ApiError(400, "The body must be a JSON object");
  return raw as Record<string, unknown>;
}

const asList = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** [[a, b], …] from JSON, or the flattened [a, b, c, d] a form sends. */
function asPairs(v: unknown): unknown {
  const list = asList(v);
  if (list.every((x) => typeof x === "string")) {
    if (list.length % 2) throw new ApiError(400, "targets: an even number of paths, from and to in turn");
    const out: unknown[] = [];
    for (let i = 0; i < list.length; i += 2) out.push([list[i], list[i + 1]]);
    return out;
  }
  return list;
}

// ---- the instance ---------------------------------------------------------------------------------

function q<T extends z.ZodObject>(schema: T, req: ApiRequest): z.infer<T> {
  const out: Record<string, string> = {};
  for (const [k, v] of req.query) if (!(k in out)) out[k] = v;
  return schema.parse(out) as z.infer<T>;
}

async function instanceOf(p: Parameters<typeof instanceFor>[0], query: { daemonId?: string; remote_uuid?: string; uuid?: string }) {
  const daemonId = query.daemonId || query.remote_uuid;
  if (!daemonId) throw new ApiError(400, "Missing parameter: daemonId");
  if (!query.uuid) throw new ApiError(400, "Missing parameter: uuid (the instance id)");
  await live.ready();
  const daemon = requireDaemon(daemonId);
  return { serverId: daemon.meta.id, uuid: query.uuid };
}

function int(v: string | undefined, fallback: number): number {
  const n = Number(v);
  return v === undefined || v === "" || !Number.isFinite(n) ? fallback : Math.trunc(n);
}

/** The panel as the client reached it: MCSManager's `addr` is host:port, no scheme. */
function panelAddr(req: ApiRequest): string {
  return req.header("host") ?? "localhost";
}

// ---- handlers -------------------------------------------------------------------------------------

export const filesList = withMcsm(async (req, p) => {
  const query = q(listQuery, req);
  const { serverId, uuid } = await instanceOf(p, query);
  return mcsmOk(
    await listFiles(p, serverId, uuid, {
      target: query.target ?? "/",
      page: Math.max(0, int(query.page, 0)),
      pageSize: Math.min(100, Math.max(1, int(query.page_size, 10))),
      fileName: query.file_name ?? "",
    }),
  );
});

/** PUT /api/files/: `{target}` reads the file as text, `{target, text}` writes it. */
export const filesEdit = withMcsm(async (req, p, actor) => {
  const query = q(instanceQuery, req);
  const body = editBody.parse(await bodyObject(req));
  const { serverId, uuid } = await instanceOf(p, query);
  if (body.text === undefined) return mcsmOk(await readTextFile(p, serverId, uuid, body.target));
  // The route is documented as a read (with only a target it is one); writing needs a token that may act.
  if (p.scope?.readOnly) return mcsmResult(403, SCOPE_MESSAGES.read_only);
  await writeTextFile(p, actor, serverId, uuid, body.target, body.text);
  return mcsmOk(true);
});

function targetAction(run: typeof touchFile) {
  return withMcsm(async (req, p, actor) => {
    const query = q(instanceQuery, req);
    const body = targetBody.parse(await bodyObject(req));
    const { serverId, uuid } = await instanceOf(p, query);
    await run(p, actor, serverId, uuid, body.target);
    return mcsmOk(true);
  });
}
export const filesTouch = targetAction(touchFile);
export const filesMkdir = targetAction(makeFolder);

function pairsAction(run: typeof copyFiles) {
  return withMcsm(async (req, p, actor) => {
    const query = q(instanceQuery, req);
    const raw = await bodyObject(req);
    const body = pairsBody.parse({ targets: asPairs(raw.targets) });
    const { serverId, uuid } = await instanceOf(p, query);
    await run(p, actor, serverId, uuid, body.targets);
    return mcsmOk(true);
  });
}
export const filesCopy = pairsAction(copyFiles);
export const filesMove = pairsAction(moveFiles);

export const filesDelete = withMcsm(async (req, p, actor) => {
  const query = q(instanceQuery, req);
  const raw = await bodyObject(req);
  const body = deleteBody.parse({ targets: asList(raw.targets) });
  const { serverId, uuid } = await instanceOf(p, query);
  await deleteFiles(p, actor, serverId, uuid, body.targets);
  return mcsmOk(true);
});

export const filesCompress = withMcsm(async (req, p, actor) => {
  const query = q(instanceQuery, req);
  const body = compressBody.parse(await bodyObject(req));
  const { serverId, uuid } = await instanceOf(p, query);
  await compressFiles(p, actor, serverId, uuid, { type: body.type, source: body.source, targets: body.targets, code: body.code ?? "utf-8" });
  return mcsmOk(true);
});

export const filesDownload = withMcsm(async (req, p, actor) => {
  const query = q(downloadQuery, req);
  if (!query.file_name) throw new ApiError(400, "Missing parameter: file_name");
  const { serverId, uuid } = await instanceOf(p, query);
  const password = await issueDownload(p, actor, serverId, uuid, query.file_name);
  return mcsmOk({ password, addr: panelAddr(req) });
});

export const filesUpload = withMcsm(async (req, p, actor) => {
  const query = q(uploadQuery, req);
  const { serverId, uuid } = await instanceOf(p, query);
  const password = await issueUpload(p, actor, serverId, uuid, query.upload_dir || "/");
  return mcsmOk({ password, addr: panelAddr(req) });
});

// ---- the table -------------------------------------------------------------------------------------

const errors = {
  400: "Bad or missing parameter; a path refused (it leaves the instance's folder); a binary file opened as text",
  403: "Missing or wrong key; the instance is not assigned to you",
  404: "Unknown daemon, instance or file",
  409: "The destination exists",
  413: "Larger than the limits (FLEETDECK_FILE_*)",
  503: "The daemon is offline, did not answer, or its agent cannot serve files",
};
const ok = mcsmEnvelope(z.literal(true));

export const fileRoutes: RouteDef[] = [
  {
    pattern: "/api/files/list",
    methods: { GET: filesList },
    docs: { GET: { summary: "List a folder of an instance (MCSManager)", query: listQuery, errors } },
  },
  {
    pattern: "/api/files",
    methods: { PUT: filesEdit, DELETE: filesDelete },
    docs: {
      PUT: { summary: "Read ({target}) or write ({target, text}) a text file (MCSManager)", query: instanceQuery, body: editBody, errors },
      DELETE: { summary: "Delete files and folders (MCSManager)", acts: true, query: instanceQuery, body: deleteBody, response: ok, errors },
    },
  },
  { pattern: "/api/files/touch", methods: { POST: filesTouch }, docs: { POST: { summary: "Create an empty file (MCSManager)", acts: true, query: instanceQuery, body: targetBody, response: ok, errors } } },
  { pattern: "/api/files/mkdir", methods: { POST: filesMkdir }, docs: { POST: { summary: "Create a folder (MCSManager)", acts: true, query: instanceQuery, body: targetBody, response: ok, errors } } },
  { pattern: "/api/files/copy", methods: { POST: filesCopy }, docs: { POST: { summary: "Copy files and folders (MCSManager)", acts: true, query: instanceQuery, body: pairsBody, response: ok, errors } } },
  { pattern: "/api/files/move", methods: { PUT: filesMove }, docs: { PUT: { summary: "Move or rename files and folders (MCSManager)", acts: true, query: instanceQuery, body: pairsBody, response: ok, errors } } },
  { pattern: "/api/files/compress", methods: { POST: filesCompress }, docs: { POST: { summary: "Zip (type 1) or unzip (type 2) (MCSManager)", acts: true, query: instanceQuery, body: compressBody, response: ok, errors } } },
  {
    pattern: "/api/files/download",
    // MCSManager's router answers any method here; its clients use POST (mcsmapi) and GET.
    methods: { POST: filesDownload, GET: filesDownload },
    docs: {
      POST: { summary: "A one-time password to download a file from the panel (MCSManager)", query: downloadQuery, response: transferAnswer, errors },
      GET: { summary: "Same as POST", query: downloadQuery, response: transferAnswer, errors },
    },
  },
  {
    pattern: "/api/files/upload",
    methods: { POST: filesUpload, GET: filesUpload },
    docs: {
      POST: { summary: "A one-time password to upload a file through the panel (MCSManager)", acts: true, query: uploadQuery, response: transferAnswer, errors },
      GET: { summary: "Same as POST", acts: true, query: uploadQuery, response: transferAnswer, errors },
    },
  },
];
