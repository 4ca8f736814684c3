"use client";
import { json } from "@codemirror/lang-json";
import { javascript } from "@codemirror/lang-javascript";
import { yaml } from "@codemirror/lang-yaml";
import { StreamLanguage } from "@codemirror/language";
import { properties } from "@codemirror/legacy-modes/mode/properties";
import { shell } from "@codemirror/legacy-modes/mode/shell";
import { toml } from "@codemirror/legacy-modes/mode/toml";
import CodeMirror from "@uiw/react-codemirror";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { useState } from "react";

/**
 * The text editor of the file manager: CodeMirror 6, bundled with the app (loaded only when a file
 * is opened). Highlighting by extension for what game servers keep their settings in. The size
 * limit is the panel's (FLEETDECK_FILE_EDIT_MAX): a larger or binary file is refused by the
 * server with a message that says so, shown here instead of the editor.
 */
function languageOf(path: string) {
  const ext = path.toLowerCase().split(".").pop() ?? "";
  if (ext === "json" || ext === "mcmeta") return [json()];
  if (ext === "yml" || ext === "yaml") return [yaml()];
  if (ext === "js" || ext === "mjs" || ext === "ts") return [javascript({ typescript: ext === "ts" })];
  if (ext === "properties" || ext === "cfg" || ext === "ini" || ext === "conf") return [StreamLanguage.define(properties)];
  if (ext === "toml") return [StreamLanguage.define(toml)];
  if (ext === "sh" || ext === "bash") return [StreamLanguage.define(shell)];
  return [];
}

export function FileEditor({ path, load, save, onClose }: { path: string; load: () => Promise<string>; save: (text: string) => Promise<unknown>; onClose: () => void }) {
  const t = useTranslations("files");
  const tc = useTranslations("common");
  const file = useQuery({ queryKey: ["file-text", path], queryFn: load, retry: false, gcTime: 0 });
  const [text, setText] = useState<string | null>(null);
  const write = useMutation({ mutationFn: () => save(text ?? file.data ?? ""), onSuccess: onClose });
  if (file.isPending) return <p className="text-sm text-slate-500">{t("loading")}</p>;
  if (file.error) {
    return (
      <div className="space-y-3">
        <p role="alert" className="rounded bg-amber-50 px-3 py-2 text-sm text-amber-800">{t("cannotOpen", { reason: (file.error as Error).message })}</p>
        <div className="flex justify-end">
          <button type="button" className="btn-secondary" onClick={onClose}>{t("close")}</button>
        </div>
      </div>
    );
  }
  return (
    <div className="space-y-3">
      <div className="max-h-[60vh] overflow-auto rounded border border-slate-200" data-testid="file-editor">
        <CodeMirror value={text ?? file.data} extensions={languageOf(path)} onChange={setText} basicSetup={{ lineNumbers: true, foldGutter: false }} />
      </div>
      {write.error && <p role="alert" className="rounded bg-red-50 px-3 py-2 text-sm text-red-700">{(write.error as Error).message}</p>}
      <div className="flex justify-end gap-2">
        <button type="button" className="btn-secondary" onClick={onClose}>{tc("cancel")}</button>
        <button type="button" className="btn-primary" disabled={write.isPending || text === null} onClick={() => write.mutate()}>{tc("save")}</button>
      </div>
    </div>
  );
}
