/**
 * Instance files: MCSManager's file manager, over the agent's confined file service
 * (agent/files.ts). The panel never names a host path: it sends the instance's uuid and a path
 * inside it, and the agent resolves it against the instance's own working directory.
 *
 * Who: admins and the users assigned to the instance (lib/fleet/policy.ts requireInstance), the
 * same people who may start and stop it. Every change (write, touch, mkdir, copy, move, delete,
 * zip, unzip) and every transfer (upload, download) is audited with who, which instance and
 * which paths. Reads (list, open as text) are not.
 *
 * Transfers: `POST /api/files/download|upload` issue a one-time password good for
 * FLEETDECK_FILE_TICKET_SECONDS; the panel itself then serves `/download/<password>/<name>` and
 * `/upload/<password>` (lib/file-transfer.ts), streaming to and from the agent with flow control
 * (lib/fleet/agents.ts openDownload/openUpload): a file is never held whole in memory. Passwords
 * are kept in the database (the Setting table, by their hash), so that behind a load balancer
 * any panel process takes a password another one issued; a process that does not hold the
 * agent streams through the one that does (lib/fleet/cluster-streams.ts).
 */
import crypto from "node:crypto";
import type { Readable } from "node:stream";
import { z } from "zod";
import { FILES_PROTOCOL_VERSION, type FileListResult } from "../../agent/protocol";
import { audit } from "../audit";
import type { Principal } from "../auth/principal";
import { db } from "../db";
import { config } from "../env";
import type { Actor } from "./actor";
import { agentFailure, askAgent, isAgentConnected, openDownload, openUpload, type UploadSink } from "./agents";
import { DomainError, invalid, unavailable } from "./errors";
import { INSTANCES_DISABLED, instanceFor, syncInstances } from "./instances";
import { capability, live } from "./live";

/** Longest wait for a quick file operation (list, read, write, touch, mkdir, delete…). */
export const FILE_TIMEOUT_MS = 15_000;
/** Copy, move and (un)zip of large trees take as long as the disk needs. */
export const FILE_SLOW_TIMEOUT_MS = 10 * 60_000;

type Row = Awaited<ReturnType<typeof instanceFor>>;

/** The instance, if the principal may use it and its daemon can serve files right now. */
async function filesOf(p: Principal, serverId: number, uuid: string): Promise<Row> {
  const row = await instanceFor(p, serverId, uuid);
  // Offline answers at once, not after a time-out.
  if (!isAgentConnected(serverId)) throw unavailable("The daemon is offline: its files cannot be reached", "offline");
  // What the agent said of itself when it connected: refuse at once what it cannot do (an agent
  // that said nothing is asked, and refuses itself).
  const entry = live.get(serverId);
  const agent = entry?.agent;
  if (agent && agent.protocol < FILES_PROTOCOL_VERSION) {
    throw new DomainError("invalid", `The daemon's agent is too old for file management (protocol ${agent.protocol}; files need ${FILES_PROTOCOL_VERSION}): update the agent`, { reason: "capability" });
  }
  if (entry && capability(entry, "instances") === false) throw new DomainError("invalid", INSTANCES_DISABLED, { reason: "capability" });
  return row;
}

/** What the agent answers, in the domain's words. */
export function fileError(err: unknown, what: string): unknown {
  const e = agentFailure(err);
  if (!e) return err;
  switch (e.code) {
    case "offline":
      return unavailable(`The daemon is offline: cannot ${what}`, "offline");
    case "timeout":
      return unavailable(`The daemon did not answer in time: cannot ${what}`, "timeout");
    case "instances_disabled":
      return new DomainError("invalid", INSTANCES_DISABLED, { reason: "capability" });
    case "unknown_instance":
      return new DomainError("not_found", "The daemon does not know this instance yet; try again in a moment", { subject: "instance" });
    case "file_not_found":
      return new DomainError("not_found", e.message);
    case "file_exists":
      return new DomainError("conflict", e.message);
    case "file_too_large":
      return new DomainError("too_large", e.message);
    case "file_bad_path":
      return invalid(`Refused path: ${e.message}`);
    default:
      return invalid(`Cannot ${what}: ${e.message}`);
  }
}

function auditFiles(action: string, actor: Actor, serverId: number, row: { uuid: string; name: string }, paths: unknown) {
  const server = live.get(serverId)?.meta.name ?? `#${serverId}`;
  return audit({
    action: `file.${action}`,
    actorId: actor.id,
    actorName: actor.name,
    target: `${server} / ${row.name}`,
    // JSON: paths may hold any character, newlines included; the log stays one line per entry.
    detail: `server #${serverId} instance ${row.uuid} ${JSON.stringify(paths).slice(0, 2000)}`,
    ip: actor.ip,
  });
}

/** Asks the agent, resending the instance definitions once if it does not know this one yet. */
async function ask<T>(serverId: number, what: string, run: () => Promise<T>): Promise<T> {
  try {
    try {
      return await run();
    } catch (e) {
      if (agentFailure(e)?.code !== "unknown_instance") throw e;
      await syncInstances(serverId);
      return await run();
    }
  } catch (e) {
    throw fileError(e, what);
  }
}

// ---- reads -----------------------------------------------------------------------------------------

export async function listFiles(p: Principal, serverId: number, uuid: string, q: { target: string; page: number; pageSize: number; fileName: string }): Promise<FileListResult> {
  await filesOf(p, serverId, uuid);
  return ask(serverId, "list the folder", () => askAgent(serverId, "file.list", { uuid, ...q }, FILE_TIMEOUT_MS));
}

export async function readTextFile(p: Principal, serverId: number, uuid: string, target: string): Promise<string> {
  await filesOf(p, serverId, uuid);
  return (await ask(serverId, "open the file", () => askAgent(serverId, "file.read", { uuid, target }, FILE_TIMEOUT_MS))).text;
}

// ---- changes (audited) ------------------------------------------------------------------------------

export async function writeTextFile(p: Principal, actor: Actor, serverId: number, uuid: string, target: string, text: string): Promise<void> {
  const max = config().FLEETDECK_FILE_EDIT_MAX;
  const bytes = Buffer.byteLength(text);
  if (bytes > max) throw new DomainError("too_large", `The text is ${bytes} bytes; files edited in the panel may hold at most ${max} bytes`);
  const row = await filesOf(p, serverId, uuid);
  await auditFiles("write", actor, serverId, row, { target, bytes });
  await ask(serverId, "save the file", () => askAgent(serverId, "file.write", { uuid, target, text }, FILE_TIMEOUT_MS));
}

export async function touchFile(p: Principal, actor: Actor, serverId: number, uuid: string, target: string): Promise<void> {
  const row = await filesOf(p, serverId, uuid);
  await auditFiles("touch", actor, serverId, row, { target });
  await ask(serverId, "create the file", () => askAgent(serverId, "file.touch", { uuid, target }, FILE_TIMEOUT_MS));
}

export async function makeFolder(p: Principal, actor: Actor, serverId: number, uuid: string, target: string): Promise<void> {
  const row = await filesOf(p, serverId, uuid);
  await auditFiles("mkdir", actor, serverId, row, { target });
  await ask(serverId, "create the folder", () => askAgent(serverId, "file.mkdir", { uuid, target }, FILE_TIMEOUT_MS));
}

export async function copyFiles(p: Principal, actor: Actor, serverId: number, uuid: string, pairs: [string, string][]): Promise<void> {
  const row = await filesOf(p, serverId, uuid);
  await auditFiles("copy", actor, serverId, row, pairs);
  await ask(serverId, "copy", () => askAgent(serverId, "file.copy", { uuid, pairs }, FILE_SLOW_TIMEOUT_MS));
}

export async function moveFiles(p: Principal, actor: Actor, serverId: number, uuid: string, pairs: [string, string][]): Promise<void> {
  const row = await filesOf(p, serverId, uuid);
  await auditFiles("move", actor, serverId, row, pairs);
  await ask(serverId, "move", () => askAgent(serverId, "file.move", { uuid, pairs }, FILE_SLOW_TIMEOUT_MS));
}

export async function deleteFiles(p: Principal, actor: Actor, serverId: number, uuid: string, targets: string[]): Promise<void> {
  const row = await filesOf(p, serverId, uuid);
  await auditFiles("delete", actor, serverId, row, targets);
  await ask(serverId, "delete", () => askAgent(serverId, "file.delete", { uuid, targets }, FILE_SLOW_TIMEOUT_MS));
}

/** MCSManager's compress: type 1 zips `targets` into `source`; type 2 unzips `source` into the folder `targets`. */
export async function compressFiles(p: Principal, actor: Actor, serverId: number, uuid: string, op: { type: 1 | 2; source: string; targets: string[] | string; code: string }): Promise<void> {
  const row = await filesOf(p, serverId, uuid);
  if (op.type === 1) {
    const targets = Array.isArray(op.targets) ? op.targets : [op.targets];
    await auditFiles("zip", actor, serverId, row, { archive: op.source, files: targets });
    await ask(serverId, "zip", () => askAgent(serverId, "file.zip", { uuid, archive: op.source, files: targets }, FILE_SLOW_TIMEOUT_MS));
  } else {
    const dest = Array.isArray(op.targets) ? (op.targets[0] ?? "/") : op.targets;
    await auditFiles("unzip", actor, serverId, row, { archive: op.source, into: dest });
    await ask(serverId, "unzip", () => askAgent(serverId, "file.unzip", { uuid, archive: op.source, dest, code: op.code }, FILE_SLOW_TIMEOUT_MS));
  }
}

// ---- transfers: one-time passwords ----------------------------------------------------------------

export interface Ticket {
  kind: "download" | "upload";
  serverId: number;
  uuid: string;
  /** download: the file; upload: the folder. */
  path: string;
  expires: number;
  actor: Actor;
  instanceName: string;
}

/** A password's row in the Setting table: its hash only, so that the table never holds a usable one. */
const TICKET_PREFIX = "files.ticket.";
const ticketKey = (password: string) => TICKET_PREFIX + crypto.createHash("sha256").update(password).digest("hex");
/** Bounded: expired passwords are dropped as new ones are issued. */
const MAX_TICKETS = 10_000;

const storedTicket = z.object({
  kind: z.enum(["download", "upload"]),
  serverId: z.number().int(),
  uuid: z.string(),
  path: z.string(),
  expires: z.number(),
  actor: z.object({ id: z.number().int().nullable(), name: z.string(), ip: z.string().optional(), tokenId: z.number().int().optional() }),
  instanceName: z.string(),
});

async function issue(kind: Ticket["kind"], p: Principal, actor: Actor, serverId: number, uuid: string, path: string): Promise<string> {
  const row = await filesOf(p, serverId, uuid);
  const now = Date.now();
  const ttlMs = config().FLEETDECK_FILE_TICKET_SECONDS * 1000;
  await db.setting.deleteMany({ where: { key: { startsWith: TICKET_PREFIX }, updatedAt: { lt: new Date(now - ttlMs) } } });
  if ((await db.setting.count({ where: { key: { startsWith: TICKET_PREFIX } } })) >= MAX_TICKETS) {
    throw unavailable("Too many transfers are waiting to start; try again in a minute", "busy");
  }
  // 32 random hex characters: unguessable, and safe in a URL path segment.
  const password = crypto.randomBytes(16).toString("hex");
  const ticket: Ticket = { kind, serverId, uuid, path, expires: now + ttlMs, actor, instanceName: row.name };
  await db.setting.create({ data: { key: ticketKey(password), value: JSON.stringify(ticket) } });
  await auditFiles(kind === "download" ? "download" : "upload.issue", actor, serverId, row, { [kind === "download" ? "file" : "dir"]: path });
  return password;
}

export const issueDownload = (p: Principal, actor: Actor, serverId: number, uuid: string, file: string) => issue("download", p, actor, serverId, uuid, file);
export const issueUpload = (p: Principal, actor: Actor, serverId: number, uuid: string, dir: string) => issue("upload", p, actor, serverId, uuid, dir);

/**
 * Takes a password: good once, for its kind, before it expires; null otherwise. Taking it is
 * deleting its row: of two requests presenting it at once, on one process or two, one wins.
 */
export async function takeTicket(password: string, kind: Ticket["kind"]): Promise<Ticket | null> {
  const key = ticketKey(password);
  const row = await db.setting.findUnique({ where: { key } });
  if (!row) return null;
  let parsed;
  try {
    parsed = storedTicket.safeParse(JSON.parse(row.value));
  } catch {
    parsed = null;
  }
  if (parsed?.success && parsed.data.kind !== kind) return null;
  const { count } = await db.setting.deleteMany({ where: { key } });
  if (count !== 1 || !parsed?.success) return null;
  return parsed.data.expires > Date.now() ? parsed.data : null;
}

/** Opens the ticket's file on the agent as a stream (flow-controlled by the reader). */
export async function startDownload(t: Ticket): Promise<{ stream: Readable; size: number; name: string }> {
  if (!isAgentConnected(t.serverId)) throw unavailable("The daemon is offline: the file cannot be downloaded", "offline");
  return ask(t.serverId, "download the file", () => openDownload(t.serverId, { uuid: t.uuid, target: t.path }));
}

/** Opens an upload of `name` into the ticket's folder; nothing appears under the name before finish(). */
export async function startUpload(t: Ticket, name: string, size: number | null): Promise<UploadSink> {
  if (!isAgentConnected(t.serverId)) throw unavailable("The daemon is offline: the file cannot be uploaded", "offline");
  const sink = await ask(t.serverId, "upload the file", () => openUpload(t.serverId, { uuid: t.uuid, dir: t.path, name, size }));
  const server = live.get(t.serverId)?.meta.name ?? `#${t.serverId}`;
  const finish = sink.finish.bind(sink);
  sink.finish = async () => {
    await finish().catch((e) => {
      throw fileError(e, "finish the upload");
    });
    await audit({
      action: "file.upload",
      actorId: t.actor.id,
      actorName: t.actor.name,
      target: `${server} / ${t.instanceName}`,
      detail: `server #${t.serverId} instance ${t.uuid} ${JSON.stringify({ dir: t.path, name })}`,
      ip: t.actor.ip,
    });
  };
  return sink;
}
