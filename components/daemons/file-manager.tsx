"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import dynamic from "next/dynamic";
import { useRef, useState } from "react";
import { ConfirmDelete } from "../confirm-delete";
import { Modal } from "../modal";

/**
 * An instance's file manager. It speaks MCSManager's file API (/api/files/*, the routes every
 * MCSManager client uses) with the signed-in session, so the browser reaches exactly what an API
 * client would, under the same policy and audit: breadcrumbs, a text editor (CodeMirror, loaded
 * only when a file is opened), upload by button or drag and drop with a progress bar, download,
 * new file and folder, rename/move, copy, delete with confirmation, zip and unzip.
 */

const Editor = dynamic(() => import("./file-editor").then((m) => m.FileEditor), { ssr: false, loading: () => <p className="text-sm text-slate-500">…</p> });

interface Item {
  name: string;
  size: number;
  time: string;
  mode: number;
  type: 0 | 1;
}
interface Listing {
  items: Item[];
  page: number;
  pageSize: number;
  total: number;
  absolutePath: string;
}

const PAGE_SIZE = 100;

/** MCSManager's envelope: `{status, data}`; a failure's message is in `data`. */
async function mcsm<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const res = await fetch(path, {
    method: init.method ?? "GET",
    headers: { "x-requested-with": "XMLHttpRequest", ...(init.body !== undefined ? { "content-type": "application/json" } : {}) },
    body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
  });
  const text = await res.text();
  let parsed: { data?: unknown } | null = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  if (!res.ok) throw new Error(typeof parsed?.data === "string" ? parsed.data : `HTTP ${res.status}`);
  return parsed?.data as T;
}

const join = (dir: string, name: string) => (dir.endsWith("/") ? dir : dir + "/") + name;

function formatSize(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) (v /= 1024), i++;
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

type Dialog = { kind: "newFile" | "newFolder" | "rename" | "copy" | "zip" | "unzip"; item?: Item } | null;

export function FileManager({ daemonUuid, instance }: { daemonUuid: string; instance: { uuid: string; name: string } }) {
  const t = useTranslations("files");
  const qc = useQueryClient();
  const [dir, setDir] = useState("/");
  const [page, setPage] = useState(0);
  const [search, setSearch] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [dialog, setDialog] = useState<Dialog>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [upload, setUpload] = useState<{ name: string; loaded: number; total: number } | null>(null);
  const [dragging, setDragging] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);

  const ref = `daemonId=${encodeURIComponent(daemonUuid)}&uuid=${encodeURIComponent(instance.uuid)}`;
  const key = ["files", daemonUuid, instance.uuid, dir, page, search];
  const list = useQuery({
    queryKey: key,
    queryFn: () => mcsm<Listing>(`/api/files/list?${ref}&${new URLSearchParams({ target: dir, page: String(page), page_size: String(PAGE_SIZE), file_name: search })}`),
  });
  const refresh = () => void qc.invalidateQueries({ queryKey: ["files", daemonUuid, instance.uuid] });
  const run = useMutation({
    mutationFn: (f: () => Promise<unknown>) => f(),
    onSuccess: () => (setError(null), setDialog(null), setSelected(new Set()), refresh()),
    onError: (e: Error) => setError(e.message),
  });

  const cd = (to: string) => {
    setDir(to || "/");
    setPage(0);
    setSelected(new Set());
  };
  const crumbs = dir.split("/").filter(Boolean);

  async function download(item: Item) {
    try {
      const { password } = await mcsm<{ password: string }>(`/api/files/download?${ref}&file_name=${encodeURIComponent(join(dir, item.name))}`, { method: "POST" });
      const a = document.createElement("a");
      a.href = `/download/${password}/${encodeURIComponent(item.name)}`;
      a.download = item.name;
      document.body.appendChild(a);
      a.click();
      a.remove();
    } catch (e) {
      setError((e as Error).message);
    }
  }

  /** One file at a time, each with its own one-time password; progress from XHR's upload events. */
  async function uploadFiles(files: FileList | File[]) {
    for (const file of Array.from(files)) {
      try {
        const { password } = await mcsm<{ password: string }>(`/api/files/upload?${ref}&upload_dir=${encodeURIComponent(dir)}`, { method: "POST" });
        setUpload({ name: file.name, loaded: 0, total: file.size });
        await new Promise<void>((resolve, reject) => {
          const xhr = new XMLHttpRequest();
          xhr.open("POST", `/upload/${password}`);
          xhr.upload.onprogress = (e) => setUpload({ name: file.name, loaded: e.loaded, total: e.total || file.size });
          xhr.onload = () => (xhr.status === 200 ? resolve() : reject(new Error(xhr.responseText || `HTTP ${xhr.status}`)));
          xhr.onerror = () => reject(new Error(t("uploadFailed")));
          const body = new FormData();
          body.append("file", file, file.name);
          xhr.send(body);
        });
        setError(null);
      } catch (e) {
        setError(`${file.name}: ${(e as Error).message}`);
      }
    }
    setUpload(null);
    refresh();
  }

  const items = list.data?.items ?? [];
  const pages = list.data ? Math.max(1, Math.ceil(list.data.total / PAGE_SIZE)) : 1;
  const toggle = (name: string) =>
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(name)) next.delete(name);
      else next.add(name);
      return next;
    });

  return (
    <section
      className={`card space-y-3 ${dragging ? "ring-2 ring-indigo-400" : ""}`}
      aria-label={t("title", { name: instance.name })}
      onDragOver={(e) => {
        if (e.dataTransfer.types.includes("Files")) (e.preventDefault(), setDragging(true));
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(e) => {
        e.preventDefault();
        setDragging(false);
        if (e.dataTransfer.files.length) void uploadFiles(e.dataTransfer.files);
      }}
    >
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h2 className="text-lg font-medium">{t("title", { name: instance.name })}</h2>
        <div className="flex flex-wrap gap-1">
          <button type="button" className="btn-secondary py-0.5" onClick={() => setDialog({ kind: "newFile" })}>{t("newFile")}</button>
          <button type="button" className="btn-secondary py-0.5" onClick={() => setDialog({ kind: "newFolder" })}>{t("newFolder")}</button>
          <button type="button" className="btn-secondary py-0.5" onClick={() => fileInput.current?.click()}>{t("upload")}</button>
          <button type="button" className="btn-secondary py-0.5" disabled={!selected.size} onClick={() => setDialog({ kind: "zip" })}>{t("zip")}</button>
          <button type="button" className="btn-secondary py-0.5" onClick={refresh}>{t("refresh")}</button>
          <input ref={fileInput} type="file" multiple hidden aria-label={t("upload")} onChange={(e) => e.target.files && void uploadFiles(e.target.files)} />
        </div>
      </div>

      <nav aria-label={t("breadcrumbs")} className="flex flex-wrap items-center gap-1 text-sm">
        <button type="button" className="text-indigo-700 hover:underline" onClick={() => cd("/")}>{instance.name}</button>
        {crumbs.map((c, i) => (
          <span key={i} className="flex items-center gap-1">
            <span className="text-slate-400">/</span>
            <button type="button" className="text-indigo-700 hover:underline" onClick={() => cd("/" + crumbs.slice(0, i + 1).join("/"))}>{c}</button>
          </span>
        ))}
        <input className="input ml-auto max-w-48 py-0.5" placeholder={t("search")} aria-label={t("search")} value={search} onChange={(e) => (setSearch(e.target.value), setPage(0))} />
      </nav>

      <p className="text-xs text-slate-500">{t("dropHint")}</p>
      {upload && (
        <div aria-label={t("uploading", { name: upload.name })}>
          <p className="text-sm">{t("uploading", { name: upload.name })}</p>
          <progress className="w-full" max={upload.total || 1} value={upload.loaded} />
        </div>
      )}
      {error && <p role="alert" className="rounded bg-red-50 px-3 py-2 text-sm text-red-700">{error}</p>}
      {list.error && <p role="alert" className="rounded bg-red-50 px-3 py-2 text-sm text-red-700">{(list.error as Error).message}</p>}

      <table className="w-full text-sm">
        <thead>
          <tr className="text-left text-slate-500">
            <th className="w-6"><span className="sr-only">{t("select")}</span></th>
            <th>{t("name")}</th>
            <th className="text-right">{t("size")}</th>
            <th className="hidden sm:table-cell">{t("modified")}</th>
            <th><span className="sr-only">{t("actions")}</span></th>
          </tr>
        </thead>
        <tbody>
          {dir !== "/" && (
            <tr>
              <td />
              <td colSpan={4}>
                <button type="button" className="text-indigo-700 hover:underline" onClick={() => cd("/" + crumbs.slice(0, -1).join("/"))}>..</button>
              </td>
            </tr>
          )}
          {items.map((item) => (
            <tr key={item.name} className="border-t border-slate-100" data-testid={`file-${item.name}`}>
              <td>
                <input type="checkbox" aria-label={t("selectItem", { name: item.name })} checked={selected.has(item.name)} onChange={() => toggle(item.name)} />
              </td>
              <td className="max-w-xs truncate">
                {item.type === 0 ? (
                  <button type="button" className="font-medium text-indigo-700 hover:underline" onClick={() => cd(join(dir, item.name))}>📁 {item.name}</button>
                ) : (
                  <button type="button" className="hover:underline" onClick={() => setEditing(join(dir, item.name))}>{item.name}</button>
                )}
              </td>
              <td className="text-right tabular-nums">{item.type === 1 ? formatSize(item.size) : ""}</td>
              <td className="hidden text-slate-500 sm:table-cell">{new Date(item.time).toLocaleString()}</td>
              <td className="whitespace-nowrap text-right">
                {item.type === 1 && (
                  <button type="button" className="btn-secondary py-0.5" aria-label={t("downloadItem", { name: item.name })} onClick={() => void download(item)}>{t("download")}</button>
                )}
                {item.type === 1 && /\.zip$/i.test(item.name) && (
                  <button type="button" className="btn-secondary ml-1 py-0.5" onClick={() => setDialog({ kind: "unzip", item })}>{t("unzip")}</button>
                )}
                <button type="button" className="btn-secondary ml-1 py-0.5" aria-label={t("renameItem", { name: item.name })} onClick={() => setDialog({ kind: "rename", item })}>{t("rename")}</button>
                <button type="button" className="btn-secondary ml-1 py-0.5" aria-label={t("copyItem", { name: item.name })} onClick={() => setDialog({ kind: "copy", item })}>{t("copy")}</button>
                <ConfirmDelete
                  label={t("deleteItem", { name: item.name })}
                  title={t("deleteTitle", { name: item.name })}
                  text={item.type === 0 ? t("deleteFolderText") : t("deleteFileText")}
                  onDelete={() => mcsm(`/api/files?${ref}`, { method: "DELETE", body: { targets: [join(dir, item.name)] } })}
                  onDeleted={refresh}
                />
              </td>
            </tr>
          ))}
          {list.data && !items.length && (
            <tr>
              <td colSpan={5} className="py-4 text-center text-slate-500">{t("empty")}</td>
            </tr>
          )}
        </tbody>
      </table>
      {pages > 1 && (
        <div className="flex items-center justify-end gap-2 text-sm">
          <button type="button" className="btn-secondary py-0.5" disabled={page === 0} onClick={() => setPage(page - 1)}>‹</button>
          <span>{page + 1} / {pages}</span>
          <button type="button" className="btn-secondary py-0.5" disabled={page + 1 >= pages} onClick={() => setPage(page + 1)}>›</button>
        </div>
      )}

      {dialog && (
        <PathDialog
          title={t(`${dialog.kind}Title`, { name: dialog.item?.name ?? "" })}
          label={t(dialog.kind === "unzip" ? "unzipInto" : dialog.kind === "zip" ? "archiveName" : "path")}
          initial={
            dialog.kind === "rename" || dialog.kind === "copy"
              ? join(dir, dialog.item!.name)
              : dialog.kind === "zip"
                ? join(dir, "archive.zip")
                : dialog.kind === "unzip"
                  ? join(dir, dialog.item!.name.replace(/\.zip$/i, ""))
                  : join(dir, "")
          }
          busy={run.isPending}
          error={run.error?.message ?? null}
          onClose={() => (run.reset(), setDialog(null))}
          onSubmit={(value) =>
            run.mutate(() => {
              const from = dialog.item ? join(dir, dialog.item.name) : "";
              switch (dialog.kind) {
                case "newFile":
                  return mcsm(`/api/files/touch?${ref}`, { method: "POST", body: { target: value } });
                case "newFolder":
                  return mcsm(`/api/files/mkdir?${ref}`, { method: "POST", body: { target: value } });
                case "rename":
                  return mcsm(`/api/files/move?${ref}`, { method: "PUT", body: { targets: [[from, value]] } });
                case "copy":
                  return mcsm(`/api/files/copy?${ref}`, { method: "POST", body: { targets: [[from, value]] } });
                case "zip":
                  return mcsm(`/api/files/compress?${ref}`, { method: "POST", body: { type: 1, code: "utf-8", source: value, targets: [...selected].map((n) => join(dir, n)) } });
                case "unzip":
                  return mcsm(`/api/files/compress?${ref}`, { method: "POST", body: { type: 2, code: "utf-8", source: from, targets: value } });
              }
            })
          }
        />
      )}
      {editing && (
        <Modal title={t("editTitle", { name: editing })} onClose={() => setEditing(null)}>
          <Editor path={editing} load={() => mcsm<string>(`/api/files?${ref}`, { method: "PUT", body: { target: editing } })} save={(text) => mcsm(`/api/files?${ref}`, { method: "PUT", body: { target: editing, text } })} onClose={() => (setEditing(null), refresh())} />
        </Modal>
      )}
    </section>
  );
}

function PathDialog({ title, label, initial, busy, error, onSubmit, onClose }: { title: string; label: string; initial: string; busy: boolean; error: string | null; onSubmit: (v: string) => void; onClose: () => void }) {
  const tc = useTranslations("common");
  const [value, setValue] = useState(initial);
  return (
    <Modal title={title} onClose={onClose}>
      <form className="space-y-3" onSubmit={(e) => (e.preventDefault(), onSubmit(value))}>
        <label className="block text-sm">
          {label}
          <input className="input mt-1 font-mono" autoFocus value={value} onChange={(e) => setValue(e.target.value)} />
        </label>
        {error && <p role="alert" className="rounded bg-red-50 px-3 py-2 text-sm text-red-700">{error}</p>}
        <div className="flex justify-end gap-2">
          <button type="button" className="btn-secondary" onClick={onClose}>{tc("cancel")}</button>
          <button type="submit" className="btn-primary" disabled={busy || !value.trim()}>{tc("save")}</button>
        </div>
      </form>
    </Modal>
  );
}
