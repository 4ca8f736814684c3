/**
 * Waiting in tests: poll until something holds, with a generous deadline (a loaded 2-core
 * machine), saying what was awaited when it never comes. Never used to assert a duration.
 */

/**
 * Polls `probe` (sync or async) until it returns a truthy value and returns it, or fails after
 * `timeoutMs` naming `what`, with the last error the probe threw.
 */
export async function until<T>(
  what: string,
  probe: () => T | null | undefined | false | Promise<T | null | undefined | false>,
  timeoutMs = 30_000,
  opts: { intervalMs?: number; extra?: () => string } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      const why = last ? `: ${last instanceof Error ? last.message : String(last)}` : "";
      throw new Error(`timed out waiting for ${what}${why}${opts.extra ? `\n${opts.extra()}` : ""}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 200));
  }
}

/** The error a promise rejects with, checked to be of `kind`; fails when it resolves. */
export async function rejection<E extends Error>(p: Promise<unknown>, kind: abstract new (...args: never[]) => E): Promise<E> {
  try {
    await p;
  } catch (err) {
    if (!(err instanceof kind)) throw new Error(`expected a ${kind.name}, got ${String(err)}`);
    return err;
  }
  throw new Error("expected the promise to reject");
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
