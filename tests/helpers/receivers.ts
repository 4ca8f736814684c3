/**
 * Receivers a test runs on loopback: a webhook endpoint whose behaviour the test switches (answer,
 * answer 500, or hang), and an SMTP server (the smtp-server package) that keeps every mail.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

export interface Hook {
  method: string;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
}

export interface WebhookReceiver {
  url: string;
  port: number;
  hooks: Hook[];
  mode: "ok" | "fail" | "hang";
  /** Answer this many more requests with 500 before following `mode` (counts down). */
  failNext: number;
  /** Requests held open by "hang" (ended on close). */
  held: http.ServerResponse[];
  close(): Promise<void>;
}

export async function startWebhookReceiver(mode: WebhookReceiver["mode"] = "ok", port = 0): Promise<WebhookReceiver> {
  const r = { hooks: [] as Hook[], mode, failNext: 0, held: [] as http.ServerResponse[] } as WebhookReceiver;
  const server = http.createServer((req, res) => {
    let data = "";
    req.on("data", (d) => (data += d));
    req.on("end", () => {
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(data) as Record<string, unknown>;
      } catch {
        body = { raw: data };
      }
      r.hooks.push({ method: req.method ?? "", headers: req.headers, body });
      if (r.failNext > 0) {
        r.failNext--;
        return void res.writeHead(500).end();
      }
      if (r.mode === "hang") return void r.held.push(res);
      res.writeHead(r.mode === "ok" ? 204 : 500).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  r.port = (server.address() as AddressInfo).port;
  r.url = `http://127.0.0.1:${r.port}/hook`;
  r.close = async () => {
    for (const res of r.held) res.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return r;
}

export interface Mail {
  from: string;
  to: string[];
  raw: string;
}

export async function startSmtpReceiver(): Promise<{ port: number; mails: Mail[]; close(): Promise<void> }> {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    // A plain local relay: no STARTTLS offered (the channel's "none" security).
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, session, callback) {
      let raw = "";
      stream.on("data", (d: Buffer) => (raw += d.toString("utf8")));
      stream.on("end", () => {
        mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "", to: session.envelope.rcptTo.map((t) => t.address), raw });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { port, mails, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
