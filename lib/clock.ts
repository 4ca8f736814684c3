/**
 * Milliseconds for elapsed-time checks on hot paths (cache ages). Next.js wraps `Date.now()` to
 * spot clock reads during prerendering, which costs two AsyncLocalStorage lookups per call, and
 * the authentication of one request reads the clock several times; `performance.now()` is
 * monotonic, unwrapped, and the right clock for "how long ago" anyway.
 */
export const elapsedClock = (): number => performance.now();

/** The wall-clock time of a moment read with `elapsedClock`. */
export const wallTimeOf = (at: number): Date => new Date(Date.now() - (performance.now() - at));
