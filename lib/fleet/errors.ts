import type { z } from "zod";

/**
 * The one error the domain throws. It names what went wrong in the product's terms; each dialect
 * maps it once, in its wrapper (lib/dialects/guard.ts), to its own status codes and wording. The
 * domain never knows an HTTP status.
 */
export type DomainErrorKind =
  /** The input is wrong; `fields` says which field and why. */
  | "invalid"
  /** What was named does not exist (or the caller may not know it exists). */
  | "not_found"
  /** It exists already, or it is in a state that refuses this (already running…). */
  | "conflict"
  /** The caller may not do this. */
  | "forbidden"
  /** The machine it needs is offline, did not answer in time, or lacks the capability. */
  | "unavailable"
  /** The request is larger than the panel accepts. */
  | "too_large";

/** What a not-found or unavailable error is about, so that dialects can word it their way. */
export type Subject = "server" | "instance" | "user" | "token" | "key" | "client" | "site" | "job" | "monitor" | "rule" | "channel" | "window";

export class DomainError extends Error {
  readonly kind: DomainErrorKind;
  readonly fields?: Record<string, string[]>;
  readonly subject?: Subject;
  /** A finer reason dialects may key their wording on ("offline", "timeout", "capability"…). */
  readonly reason?: string;

  constructor(kind: DomainErrorKind, message: string, opts: { fields?: Record<string, string[]>; subject?: Subject; reason?: string } = {}) {
    super(message);
    this.name = "DomainError";
    this.kind = kind;
    this.fields = opts.fields;
    this.subject = opts.subject;
    this.reason = opts.reason;
  }
}

export const invalid = (message: string, fields?: Record<string, string[]>) => new DomainError("invalid", message, { fields });
export const notFound = (subject: Subject, message: string) => new DomainError("not_found", message, { subject });
export const conflict = (message: string, reason?: string) => new DomainError("conflict", message, { reason });
export const forbidden = (message = "You do not have permission to perform this action.") => new DomainError("forbidden", message);
export const unavailable = (message: string, reason?: string) => new DomainError("unavailable", message, { reason });

/**
 * `instanceof` across bundles: the custom server (tsx/esbuild) and Next's route bundles each load
 * their own copy of this module, so an error made by one copy fails `instanceof` in the other.
 * The name and kind are what count.
 */
export function asDomainError(e: unknown): DomainError | null {
  if (e instanceof DomainError) return e;
  if (e instanceof Error && e.name === "DomainError" && typeof (e as { kind?: unknown }).kind === "string") return e as DomainError;
  return null;
}

/** Parses input with a zod schema; a failure is "invalid" with one message and per-field errors. */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const fields: Record<string, string[]> = {};
  for (const i of r.error.issues) (fields[i.path.length ? i.path.join(".") : "non_field_errors"] ??= []).push(i.message);
  throw invalid(r.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; "), fields);
}
