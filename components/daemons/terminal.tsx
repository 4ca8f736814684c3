"use client";
import "@xterm/xterm/css/xterm.css";
import { useEffect, useRef } from "react";
import type { Terminal as XTerm } from "@xterm/xterm";
import { fetchJson } from "../fetch-json";

/** How often the output route is read while no push is available. */
export const OUTPUT_POLL_MS = 700;
/** While polling, the push stream is tried again this often (the agent may be back, or updated). */
const STREAM_RETRY_MS = 15_000;
/** What is kept of the shown text to find the new part of a polled answer. */
const SHOWN_CHARS = 128 * 1024;
/** Lines the terminal keeps (the agent's buffer is smaller: this never drops what it sent). */
const SCROLLBACK_LINES = 5_000;
/** The end of what was shown, looked for in the next answer to find where the new part starts. */
const OVERLAP_CHARS = 200;

/**
 * What is new in `next` given the agent's buffer last read was `prev`. The agent keeps a ring
 * buffer: once full, its start moves, so the new part is found after the end of `prev`, not by
 * length. Null when `prev` is gone entirely (a restart, or more output than the buffer between two
 * reads): the caller redraws everything.
 */
export function newOutput(prev: string, next: string): string | null {
  if (!prev) return next;
  if (next.startsWith(prev)) return next.slice(prev.length);
  const tail = prev.slice(-OVERLAP_CHARS);
  const at = next.lastIndexOf(tail);
  if (at < 0) return null;
  return next.slice(at + tail.length);
}

/**
 * An instance's console as a terminal (xterm.js, bundled with the panel: nothing from a CDN).
 * The output is pushed (`<base>/console`, Server-Sent Events: the scroll-back from the agent's
 * buffer, then each chunk as the instance writes it); with an agent of protocol 5, or while the
 * push is down, the output route is polled instead, and the push tried again now and then.
 * Typed characters are echoed locally (an instance's stdin is a pipe, not a terminal) and each
 * line is sent on Enter.
 */
export function InstanceTerminal({ base, name, onSend, onError }: { base: string; name: string; onSend: (line: string) => Promise<unknown>; onError: (message: string | null) => void }) {
  const host = useRef<HTMLDivElement>(null);
  const send = useRef(onSend);
  const reportError = useRef(onError);
  useEffect(() => {
    send.current = onSend;
    reportError.current = onError;
  });

  useEffect(() => {
    let term: XTerm | null = null;
    let stopped = false;
    let shown = "";
    let line = "";
    let timer: ReturnType<typeof setTimeout> | null = null;
    let resize: ResizeObserver | null = null;
    let source: EventSource | null = null;
    let polling = false;
    let retry: ReturnType<typeof setTimeout> | null = null;

    const show = (text: string, reset: boolean) => {
      if (!term) return;
      if (reset) {
        term.reset();
        shown = "";
      }
      term.write(text);
      shown = (shown + text).slice(-SHOWN_CHARS);
    };

    const startPolling = () => {
      if (polling || stopped) return;
      polling = true;
      void poll();
    };
    const stopPolling = () => {
      polling = false;
      if (timer) clearTimeout(timer);
      timer = null;
    };

    /** The push stream; on its end or failure, polling takes over until it is tried again. */
    const openStream = () => {
      if (stopped) return;
      const es = new EventSource(`${base}/console`);
      source = es;
      const fallBack = (message?: string) => {
        es.close();
        if (source === es) source = null;
        if (stopped) return;
        if (message) reportError.current(message);
        startPolling();
        if (!retry) retry = setTimeout(() => {
          retry = null;
          openStream();
        }, STREAM_RETRY_MS);
      };
      es.addEventListener("reset", (ev) => {
        stopPolling();
        reportError.current(null);
        show((JSON.parse((ev as MessageEvent<string>).data) as { text: string }).text, true);
      });
      es.addEventListener("out", (ev) => {
        if (polling) return; // the next reset brings it
        show((JSON.parse((ev as MessageEvent<string>).data) as { text: string }).text, false);
      });
      // "unsupported" (an agent of protocol 5) and "offline" are answered by polling, which says
      // what is wrong if anything is.
      es.addEventListener("end", () => fallBack());
      es.onerror = () => fallBack();
    };

    const poll = async () => {
      if (stopped || !term || !polling) return;
      try {
        const { output } = await fetchJson<{ output: string }>(`${base}/output`);
        if (stopped || !term || !polling) return;
        const fresh = newOutput(shown, output);
        if (fresh === null) {
          term.reset();
          term.write(output);
        } else if (fresh) term.write(fresh);
        shown = output;
        reportError.current(null);
      } catch (e) {
        reportError.current(e instanceof Error ? e.message : String(e));
      }
      if (!stopped && polling) timer = setTimeout(() => void poll(), OUTPUT_POLL_MS);
    };

    void (async () => {
      const [{ Terminal }, { FitAddon }] = await Promise.all([import("@xterm/xterm"), import("@xterm/addon-fit")]);
      if (stopped || !host.current) return;
      term = new Terminal({
        convertEol: true,
        scrollback: SCROLLBACK_LINES,
        fontSize: 12,
        fontFamily: "ui-monospace, SFMono-Regular, Menlo, monospace",
        theme: { background: "#0f172a", foreground: "#e2e8f0" },
        cursorBlink: true,
        screenReaderMode: false,
      });
      const fit = new FitAddon();
      term.loadAddon(fit);
      term.open(host.current);
      fit.fit();
      resize = new ResizeObserver(() => fit.fit());
      resize.observe(host.current);
      term.onData((data) => {
        if (!term) return;
        for (const ch of data) {
          if (ch === "\r") {
            const sent = line;
            line = "";
            term.write("\r\n");
            void send.current(sent).catch((e: unknown) => reportError.current(e instanceof Error ? e.message : String(e)));
          } else if (ch === "\u007f" || ch === "\b") {
            if (line) {
              line = line.slice(0, -1);
              term.write("\b \b");
            }
          } else if (ch === "\u0003") {
            line = "";
            term.write("^C\r\n");
          } else if (ch >= " ") {
            line += ch;
            term.write(ch);
          }
        }
      });
      openStream();
    })();

    return () => {
      stopped = true;
      source?.close();
      if (retry) clearTimeout(retry);
      if (timer) clearTimeout(timer);
      resize?.disconnect();
      term?.dispose();
    };
  }, [base]);

  return <div ref={host} data-testid="console-terminal" aria-label={name} className="h-72 overflow-hidden rounded bg-slate-900 p-2" />;
}
