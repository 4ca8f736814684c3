"use client";
import { useEffect, useState } from "react";

/** A key for following one's own command before it runs (lib/fleet/commands.ts LIVE_KEY_PATTERN). */
export function newLiveKey(): string {
  // getRandomValues works on plain HTTP too (randomUUID needs a secure context).
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * A command's output as it runs, pushed by the panel (`/api/ui/agents/:agentId/cmd/live`,
 * Server-Sent Events): by the key the page sent it under, or by its run id. Null until something
 * came (an agent of protocol 5 streams nothing: its output comes with the answer). `onEnd` is
 * called once when the run is over.
 */
export function useLiveCommandOutput(agentId: string, ref: { key: string } | { run: number } | null, onEnd?: () => void): string | null {
  const [text, setText] = useState<string | null>(null);
  const target = ref === null ? null : "key" in ref ? `key=${ref.key}` : `run=${ref.run}`;
  useEffect(() => {
    setText(null);
    if (!target) return;
    const es = new EventSource(`/api/ui/agents/${encodeURIComponent(agentId)}/cmd/live?${target}`);
    const textOf = (ev: Event) => (JSON.parse((ev as MessageEvent<string>).data) as { text: string }).text;
    es.addEventListener("reset", (ev) => setText(textOf(ev)));
    es.addEventListener("out", (ev) => setText((old) => (old ?? "") + textOf(ev)));
    es.addEventListener("end", () => {
      es.close();
      onEnd?.();
    });
    // A refusal or a lost stream: the answer (or the history) still brings the output.
    es.onerror = () => es.close();
    return () => es.close();
    // onEnd is read when the run ends, not a reason to listen again.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [agentId, target]);
  return text;
}
