"use client";
import "@xterm/xterm/css/xterm.css";
import { useEffect, useRef } from "react";
import type { Terminal as XTerm } from "@xterm/xterm";
import { fetchJson } from "../fetch-json";

/** How often the output route is read while no push is available. */
export const OUTPUT_POLL_MS = 700;
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
 * The scroll-back starts with the agent's buffer; new output is appended as it arrives; typed
 * characters are echoed locally (an instance's stdin is a pipe, not a terminal) and each line is
 * sent on Enter.
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

    const poll = async () => {
      if (stopped || !term) return;
      try {
        const { output } = await fetchJson<{ output: string }>(`${base}/output`);
        if (stopped || !term) return;
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
      if (!stopped) timer = setTimeout(() => void poll(), OUTPUT_POLL_MS);
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
      void poll();
    })();

    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      resize?.disconnect();
      term?.dispose();
    };
  }, [base]);

  return <div ref={host} data-testid="console-terminal" aria-label={name} className="h-72 overflow-hidden rounded bg-slate-900 p-2" />;
}
