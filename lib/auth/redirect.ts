/**
 * Where to go after signing in or out: a path on this panel, or the panel itself. The URL is
 * resolved the way a browser would (so `/\evil.com` and `//evil.com` are seen as the other sites
 * they are) and kept only when it lands on the panel's own origin.
 */
export function sameOriginPath(url: string | undefined | null, base: string, fallback = "/dashboard/servers"): string {
  if (!url) return fallback;
  try {
    const origin = new URL(base).origin;
    const resolved = new URL(url, origin + "/");
    if (resolved.origin !== origin) return fallback;
    // "http://panel//evil.com" is on the panel, but its path alone ("//evil.com") would not be.
    return resolved.pathname.replace(/^\/+/, "/") + resolved.search + resolved.hash;
  } catch {
    return fallback;
  }
}
