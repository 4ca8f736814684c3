import http from "node:http";

/** One Server-Sent Event: its name ("message" when it has none) and its data, parsed as JSON. */
export interface SseEvent<T = unknown> {
  event: string;
  data: T;
}

/**
 * A Server-Sent Events client as a browser's EventSource reads the panel's streams: the answer's
 * status, each event in order, whether the server ended it. `url` is whole; `headers` carry the
 * credentials (a cookie). Nothing is retried: a test sees what one connection got.
 */
export function openSse<T = unknown>(url: string, headers: Record<string, string> = {}) {
  const events: SseEvent<T>[] = [];
  let status = 0;
  let ended = false;
  const req = http.get(url, { headers }, (res) => {
    status = res.statusCode ?? 0;
    res.setEncoding("utf8");
    let buffer = "";
    res.on("data", (chunk: string) => {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = "message";
        let data = "";
        for (const line of block.split("\n")) {
          if (line.startsWith("event: ")) event = line.slice(7);
          else if (line.startsWith("data: ")) data += line.slice(6);
        }
        if (data) events.push({ event, data: JSON.parse(data) as T });
      }
    });
    res.on("end", () => (ended = true));
  });
  req.on("error", () => (ended = true));
  return { events, status: () => status, ended: () => ended, close: () => req.destroy() };
}

/** What a terminal shows from a live-output stream's events: the last reset and everything after it. */
export function terminalText(events: SseEvent<{ text?: string }>[]): string {
  let out = "";
  for (const e of events) {
    if (e.event === "reset") out = e.data.text ?? "";
    if (e.event === "out") out += e.data.text ?? "";
  }
  return out;
}
