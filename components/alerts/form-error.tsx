"use client";

/** A request's failure, with the field errors the API names (`fields`), shown beside the form. */
export class FieldError extends Error {
  constructor(
    message: string,
    readonly fields: Record<string, string[]>,
  ) {
    super(message);
  }
}

/** JSON to the UI API; a 400 with field errors becomes a FieldError. */
export async function send<T>(url: string, method: string, body?: unknown): Promise<T> {
  const res = await fetch(url, {
    method,
    headers: { "content-type": "application/json", "x-requested-with": "XMLHttpRequest" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) throw new FieldError((data && data.error) || `HTTP ${res.status}`, (data && data.fields) || {});
  return data as T;
}

export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  const fields = error instanceof FieldError ? Object.entries(error.fields) : [];
  return (
    <div role="alert" className="rounded bg-red-50 px-3 py-2 text-sm text-red-700">
      {fields.length ? (
        <ul className="list-disc pl-4">
          {fields.map(([k, v]) => (
            <li key={k}>
              <strong>{k}</strong>: {v.join("; ")}
            </li>
          ))}
        </ul>
      ) : (
        (error as Error).message
      )}
    </div>
  );
}
