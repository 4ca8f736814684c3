/**
 * The first value of `name` in a raw query string (`?a=1&b=2` or `a=1&b=2`), decoded exactly as
 * URLSearchParams decodes it, or null. Reading one parameter this way costs a fraction of
 * building a URLSearchParams, which matters on the hot path of MCSManager's `?apikey=` (the
 * route itself may read no parameter at all). Anything percent-encoded goes to URLSearchParams.
 */
export function queryValue(search: string, name: string): string | null {
  if (search.includes("%")) return new URLSearchParams(search).get(name);
  let i = search.startsWith("?") ? 1 : 0;
  while (i <= search.length) {
    let end = search.indexOf("&", i);
    if (end < 0) end = search.length;
    if (search.startsWith(name, i)) {
      const after = i + name.length;
      if (after === end) return "";
      if (search.charCodeAt(after) === 61 /* = */) return search.slice(after + 1, end).replaceAll("+", " ");
    }
    i = end + 1;
  }
  return null;
}
