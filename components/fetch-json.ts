/** JSON over fetch for the UI's own API (/api/ui/*): throws the server's message on failure. */
export async function fetchJson<T>(url: string, init?: { method?: string; body?: unknown }): Promise<T> {
  const res = await fetch(url, {
    method: init?.method ?? "GET",
    headers: init?.body !== undefined ? { "content-type": "application/json", "x-requested-with": "XMLHttpRequest" } : { "x-requested-with": "XMLHttpRequest" },
    body: init?.body !== undefined ? JSON.stringify(init.body) : undefined,
  });
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) throw new Error((data && (data.error ?? data.detail ?? data.message ?? data.data)) || `HTTP ${res.status}`);
  return data as T;
}
