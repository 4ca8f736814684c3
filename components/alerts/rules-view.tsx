"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { useState } from "react";
import type { RuleDef, RuleKind, Scope } from "@/lib/fleet/alerts/rules";
import type { NotificationView } from "@/lib/fleet/alerts/history";
import { fetchJson } from "../fetch-json";
import { NoticeAttempts } from "./alert-history";
import { useServers } from "../data/servers";
import { ErrorNote, send } from "./form-error";

/** What a rule's channel picker shows (people who may write rules but not channels see only this). */
interface ChannelChoice {
  id: number;
  name: string;
}

interface ChannelRow {
  id: number;
  name: string;
  type: "webhook" | "email";
  enabled: boolean;
  config: Record<string, unknown>;
}

/** Each kind's parameters as the form shows them: [field, default]. */
const PARAM_FIELDS: Record<RuleKind, [string, string][]> = {
  offline: [["seconds", "60"]],
  metric: [["metric", "cpu"], ["above", "90"], ["forSec", "60"]],
  monitor_down: [["monitorId", ""], ["failures", "1"]],
  monitor_latency: [["monitorId", ""]],
  instance_exit: [],
  cert_expiry: [["monitorId", ""], ["days", "14"]],
};
const METRIC_NAMES = ["cpu", "memory", "swap", "disk", "load", "net_in_speed", "net_out_speed", "net_in_transfer", "net_out_transfer"];

interface Draft {
  name: string;
  kind: RuleKind;
  params: Record<string, string>;
  scopeType: Scope["type"];
  scopeValue: string;
  scopeSite: string;
  scopeIds: number[];
  channelIds: number[];
  repeatSec: string;
  muted: boolean;
  enabled: boolean;
}

const defaults = (kind: RuleKind) => Object.fromEntries(PARAM_FIELDS[kind]);
const emptyDraft: Draft = { name: "", kind: "metric", params: defaults("metric"), scopeType: "all", scopeValue: "", scopeSite: "", scopeIds: [], channelIds: [], repeatSec: "0", muted: false, enabled: true };

function draftOf(r: RuleDef): Draft {
  const s = r.scope;
  return {
    name: r.name, kind: r.kind, params: Object.fromEntries(Object.entries(r.params).map(([k, v]) => [k, v === null ? "" : String(v)])),
    scopeType: s.type, scopeValue: s.type === "tag" ? s.tag : s.type === "client" ? s.client : "", scopeSite: s.type === "client" ? s.site : "",
    scopeIds: s.type === "servers" ? s.ids : [], channelIds: r.channelIds, repeatSec: String(r.repeatSec), muted: r.muted, enabled: r.enabled,
  };
}

function bodyOf(d: Draft) {
  const params = Object.fromEntries(
    Object.entries(d.params).map(([k, v]) => [k, k === "metric" ? v : v.trim() === "" ? (k === "monitorId" ? null : undefined) : Number(v)]),
  );
  const scope =
    d.scopeType === "tag" ? { type: "tag", tag: d.scopeValue } : d.scopeType === "client" ? { type: "client", client: d.scopeValue, site: d.scopeSite } : d.scopeType === "servers" ? { type: "servers", ids: d.scopeIds } : { type: "all" };
  return { name: d.name, kind: d.kind, params, scope, channelIds: d.channelIds, repeatSec: Number(d.repeatSec) || 0, muted: d.muted, enabled: d.enabled };
}

function RuleForm({ id, initial, channels, onDone }: { id: number | null; initial: Draft; channels: ChannelChoice[]; onDone: () => void }) {
  const t = useTranslations("alerts");
  const qc = useQueryClient();
  const servers = useServers();
  const [d, setD] = useState(initial);
  const save = useMutation({
    mutationFn: () => send(id ? `/api/ui/alert-rules/${id}` : "/api/ui/alert-rules", id ? "PATCH" : "POST", bodyOf(d)),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ["alert-rules"] });
      onDone();
    },
  });
  return (
    <form className="card grid gap-3 md:grid-cols-2" aria-label={t("ruleForm")} onSubmit={(e) => (e.preventDefault(), save.mutate())}>
      <label className="label">{t("name")}<input className="input" value={d.name} onChange={(e) => setD({ ...d, name: e.target.value })} required /></label>
      <label className="label">{t("kind")}
        <select className="input" value={d.kind} onChange={(e) => setD({ ...d, kind: e.target.value as RuleKind, params: defaults(e.target.value as RuleKind) })}>
          {(Object.keys(PARAM_FIELDS) as RuleKind[]).map((k) => <option key={k} value={k}>{t(`kind_${k}`)}</option>)}
        </select>
      </label>
      {PARAM_FIELDS[d.kind].map(([field]) => (
        <label key={field} className="label">{t(`param_${field}`)}
          {field === "metric" ? (
            <select className="input" value={d.params.metric} onChange={(e) => setD({ ...d, params: { ...d.params, metric: e.target.value } })}>
              {METRIC_NAMES.map((m) => <option key={m} value={m}>{t(`metric_${m}`)}</option>)}
            </select>
          ) : (
            <input className="input" type="number" value={d.params[field] ?? ""} onChange={(e) => setD({ ...d, params: { ...d.params, [field]: e.target.value } })} />
          )}
        </label>
      ))}
      <label className="label">{t("scope")}
        <select className="input" value={d.scopeType} onChange={(e) => setD({ ...d, scopeType: e.target.value as Scope["type"] })}>
          {(["all", "tag", "client", "servers"] as const).map((s) => <option key={s} value={s}>{t(`scope_${s}`)}</option>)}
        </select>
      </label>
      {(d.scopeType === "tag" || d.scopeType === "client") && (
        <label className="label">{d.scopeType === "tag" ? t("tag") : t("client")}<input className="input" value={d.scopeValue} onChange={(e) => setD({ ...d, scopeValue: e.target.value })} /></label>
      )}
      {d.scopeType === "client" && <label className="label">{t("siteOptional")}<input className="input" value={d.scopeSite} onChange={(e) => setD({ ...d, scopeSite: e.target.value })} /></label>}
      {d.scopeType === "servers" && (
        <label className="label">{t("servers")}
          <select className="input" multiple size={4} value={d.scopeIds.map(String)} onChange={(e) => setD({ ...d, scopeIds: [...e.target.selectedOptions].map((o) => Number(o.value)) })}>
            {(servers.data ?? []).map((s) => <option key={s.id} value={s.id}>{s.name}</option>)}
          </select>
        </label>
      )}
      <fieldset className="md:col-span-2">
        <legend className="label">{t("channels")}</legend>
        <div className="flex flex-wrap gap-3">
          {channels.map((c) => (
            <label key={c.id} className="flex items-center gap-1 text-sm">
              <input type="checkbox" checked={d.channelIds.includes(c.id)} onChange={(e) => setD({ ...d, channelIds: e.target.checked ? [...d.channelIds, c.id] : d.channelIds.filter((x) => x !== c.id) })} />
              {c.name}
            </label>
          ))}
          {channels.length === 0 && <span className="text-xs text-slate-500">{t("noChannels")}</span>}
        </div>
      </fieldset>
      <label className="label">{t("repeat")}<input className="input" type="number" min={0} value={d.repeatSec} onChange={(e) => setD({ ...d, repeatSec: e.target.value })} /></label>
      <div className="flex items-end gap-4">
        <label className="flex items-center gap-2 text-sm"><input type="checkbox" checked={d.muted} onChange={(e) => setD({ ...d, muted: e.target.checked })} />{t("muted")}</label>
        <label className="flex items-center gap-2 text-sm"><input type="checkbox" checked={d.enabled} onChange={(e) => setD({ ...d, enabled: e.target.checked })} />{t("enabled")}</label>
      </div>
      <div className="flex gap-2 md:col-span-2">
        <button className="btn-primary" type="submit" disabled={save.isPending}>{t("save")}</button>
        <button className="btn-secondary" type="button" onClick={onDone}>{t("cancel")}</button>
      </div>
      <div className="md:col-span-2"><ErrorNote error={save.error} /></div>
    </form>
  );
}

interface ChannelDraft {
  name: string;
  type: "webhook" | "email";
  enabled: boolean;
  url: string;
  template: string;
  chatId: string;
  headers: string;
  host: string;
  port: string;
  security: string;
  username: string;
  password: string;
  from: string;
  to: string;
}

const emptyChannel: ChannelDraft = { name: "", type: "webhook", enabled: true, url: "", template: "json", chatId: "", headers: "", host: "", port: "587", security: "starttls", username: "", password: "", from: "", to: "" };

function channelDraftOf(c: ChannelRow): ChannelDraft {
  const cfg = c.config as Record<string, never>;
  return c.type === "webhook"
    ? { ...emptyChannel, name: c.name, type: "webhook", enabled: c.enabled, url: cfg.url, template: cfg.template, chatId: cfg.chatId ?? "", headers: Object.entries((cfg.headers ?? {}) as Record<string, string>).map(([k, v]) => `${k}: ${v}`).join("\n") }
    : { ...emptyChannel, name: c.name, type: "email", enabled: c.enabled, host: cfg.host, port: String(cfg.port), security: cfg.security, username: cfg.username, password: cfg.password, from: cfg.from, to: (cfg.to as unknown as string[]).join(", ") };
}

function channelBody(d: ChannelDraft) {
  const config =
    d.type === "webhook"
      ? {
          url: d.url, template: d.template, chatId: d.chatId,
          headers: Object.fromEntries(d.headers.split("\n").map((l) => l.trim()).filter(Boolean).map((l) => [l.slice(0, l.indexOf(":")).trim(), l.slice(l.indexOf(":") + 1).trim()])),
        }
      : { host: d.host, port: Number(d.port), security: d.security, username: d.username, password: d.password, from: d.from, to: d.to.split(",").map((s) => s.trim()).filter(Boolean) };
  return { type: d.type, name: d.name, enabled: d.enabled, config };
}

function ChannelForm({ id, initial, onDone }: { id: number | null; initial: ChannelDraft; onDone: () => void }) {
  const t = useTranslations("alerts");
  const qc = useQueryClient();
  const [d, setD] = useState(initial);
  const save = useMutation({
    mutationFn: () => send(id ? `/api/ui/alert-channels/${id}` : "/api/ui/alert-channels", id ? "PATCH" : "POST", channelBody(d)),
    onSuccess: () => {
      // The rules' channel picker lists channels too.
      void qc.invalidateQueries({ queryKey: ["alert-channels"] });
      void qc.invalidateQueries({ queryKey: ["alert-rules"] });
      onDone();
    },
  });
  const text = (key: keyof ChannelDraft, label: string, type = "text") => (
    <label className="label">{label}<input className="input" type={type} value={String(d[key])} onChange={(e) => setD({ ...d, [key]: e.target.value })} /></label>
  );
  return (
    <form className="card grid gap-3 md:grid-cols-2" aria-label={t("channelForm")} onSubmit={(e) => (e.preventDefault(), save.mutate())}>
      {text("name", t("name"))}
      <label className="label">{t("type")}
        <select className="input" value={d.type} disabled={id !== null} onChange={(e) => setD({ ...d, type: e.target.value as ChannelDraft["type"] })}>
          <option value="webhook">{t("webhook")}</option>
          <option value="email">{t("email")}</option>
        </select>
      </label>
      {d.type === "webhook" ? (
        <>
          {text("url", t("url"))}
          <label className="label">{t("template")}
            <select className="input" value={d.template} onChange={(e) => setD({ ...d, template: e.target.value })}>
              {["json", "discord", "slack", "telegram"].map((v) => <option key={v} value={v}>{t(`template_${v}`)}</option>)}
            </select>
          </label>
          {d.template === "telegram" && text("chatId", t("chatId"))}
          <label className="label md:col-span-2">{t("headers")}
            <textarea className="input font-mono" rows={3} value={d.headers} placeholder="Authorization: Bearer …" onChange={(e) => setD({ ...d, headers: e.target.value })} />
          </label>
        </>
      ) : (
        <>
          {text("host", t("smtpHost"))}
          {text("port", t("smtpPort"), "number")}
          <label className="label">{t("security")}
            <select className="input" value={d.security} onChange={(e) => setD({ ...d, security: e.target.value })}>
              <option value="starttls">STARTTLS</option>
              <option value="tls">TLS</option>
              <option value="none">{t("securityNone")}</option>
            </select>
          </label>
          {text("username", t("username"))}
          {text("password", t("password"), "password")}
          {text("from", t("from"))}
          {text("to", t("to"))}
        </>
      )}
      <label className="flex items-center gap-2 text-sm"><input type="checkbox" checked={d.enabled} onChange={(e) => setD({ ...d, enabled: e.target.checked })} />{t("enabled")}</label>
      <div className="flex gap-2 md:col-span-2">
        <button className="btn-primary" type="submit" disabled={save.isPending}>{t("save")}</button>
        <button className="btn-secondary" type="button" onClick={onDone}>{t("cancel")}</button>
      </div>
      <div className="md:col-span-2"><ErrorNote error={save.error} /></div>
    </form>
  );
}

function ChannelItem({ c, onEdit }: { c: ChannelRow; onEdit: () => void }) {
  const t = useTranslations("alerts");
  const qc = useQueryClient();
  const test = useMutation({ mutationFn: () => send<{ ok: boolean; error: string }>(`/api/ui/alert-channels/${c.id}/test`, "POST") });
  const remove = useMutation({
    mutationFn: () => send(`/api/ui/alert-channels/${c.id}`, "DELETE"),
    onSuccess: () => Promise.all([qc.invalidateQueries({ queryKey: ["alert-channels"] }), qc.invalidateQueries({ queryKey: ["alert-rules"] })]),
  });
  return (
    <li className="card flex flex-wrap items-center gap-3" data-testid="channel-row">
      <strong>{c.name}</strong>
      <span className="rounded bg-slate-100 px-2 py-0.5 text-xs">{c.type === "webhook" ? `${t("webhook")} (${String(c.config.template)})` : t("email")}</span>
      <code className="text-xs text-slate-600">{c.type === "webhook" ? String(c.config.url) : `${String(c.config.host)}:${String(c.config.port)}`}</code>
      {!c.enabled && <span className="text-xs text-amber-700">{t("disabled")}</span>}
      <span className="ml-auto flex gap-2">
        <button className="btn-secondary" onClick={() => test.mutate()} disabled={test.isPending}>{t("sendTest")}</button>
        <button className="btn-secondary" onClick={onEdit}>{t("edit")}</button>
        <button className="btn-danger" onClick={() => confirm(t("confirmDelete", { name: c.name })) && remove.mutate()}>{t("delete")}</button>
      </span>
      {test.data && (
        <p role="status" className={`w-full text-sm ${test.data.ok ? "text-emerald-700" : "text-red-700"}`}>
          {test.data.ok ? t("testSent") : t("testFailed", { error: test.data.error })}
        </p>
      )}
      <div className="w-full"><ErrorNote error={test.error ?? remove.error} /></div>
    </li>
  );
}

interface WindowRow {
  id: number;
  target: "server" | "client" | "site";
  targetId: number;
  kind: "once" | "weekly";
  startsAt: string | null;
  endsAt: string | null;
  days: number[];
  startTime: string;
  endTime: string;
  timeZone: string;
  note: string;
  active: boolean;
  ended: boolean;
}

interface MaintenanceState {
  servers: { id: number; name: string; client: string; site: string; maintenanceMode: boolean; inMaintenance: boolean }[];
  clients: { id: number; name: string; maintenanceMode: boolean; inMaintenance: boolean }[];
  sites: { id: number; name: string; client: string; maintenanceMode: boolean; inMaintenance: boolean }[];
  windows: WindowRow[];
}

const DAYS = [0, 1, 2, 3, 4, 5, 6];
const localZone = () => {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
};

function WindowText({ w }: { w: WindowRow }) {
  const t = useTranslations("alerts");
  return (
    <span>
      {w.kind === "once"
        ? `${new Date(w.startsAt ?? "").toLocaleString()} – ${new Date(w.endsAt ?? "").toLocaleString()}`
        : `${t("weeklyOn", { days: w.days.map((d) => t(`day_${d}`)).join(", ") })} ${w.startTime}–${w.endTime} (${w.timeZone})`}
      {w.note ? ` · ${w.note}` : ""}
    </span>
  );
}

/** A target's scheduled windows: each with its state and a remove button, and a form to add one. */
function WindowsEditor({ target, id, label, windows }: { target: WindowRow["target"]; id: number; label: string; windows: WindowRow[] }) {
  const t = useTranslations("alerts");
  const qc = useQueryClient();
  const [kind, setKind] = useState<"once" | "weekly">("once");
  const [startsAt, setStartsAt] = useState("");
  const [endsAt, setEndsAt] = useState("");
  const [days, setDays] = useState<number[]>([6]);
  const [startTime, setStartTime] = useState("22:00");
  const [endTime, setEndTime] = useState("02:00");
  const [timeZone, setTimeZone] = useState(localZone);
  const [note, setNote] = useState("");
  const done = { onSuccess: () => void qc.invalidateQueries({ queryKey: ["maintenance"] }) };
  // datetime-local is the browser's wall clock: sent as an instant (UTC).
  const instant = (v: string) => (v ? new Date(v).toISOString() : "");
  const add = useMutation({
    mutationFn: () =>
      send("/api/ui/maintenance/windows", "POST", kind === "once" ? { target, id, kind, startsAt: instant(startsAt), endsAt: instant(endsAt), note } : { target, id, kind, days, startTime, endTime, timeZone, note }),
    ...done,
  });
  const remove = useMutation({ mutationFn: (windowId: number) => send(`/api/ui/maintenance/windows/${windowId}`, "DELETE"), ...done });
  return (
    <div className="mt-1 space-y-2 rounded border border-slate-200 p-2" data-testid="maintenance-windows">
      <ul className="space-y-1 text-xs">
        {windows.map((w) => (
          <li key={w.id} className="flex flex-wrap items-center gap-2" data-testid="maintenance-window">
            <WindowText w={w} />
            {w.active && <span className="rounded bg-amber-100 px-1 text-amber-800">{t("windowActive")}</span>}
            {w.ended && <span className="text-slate-400">{t("windowEnded")}</span>}
            <button type="button" className="btn-secondary ml-auto text-xs" aria-label={t("removeWindow")} onClick={() => remove.mutate(w.id)}>{t("delete")}</button>
          </li>
        ))}
        {windows.length === 0 && <li className="text-slate-500">{t("noWindows")}</li>}
      </ul>
      <form className="grid gap-2 text-sm md:grid-cols-2" aria-label={t("windowForm", { name: label })} onSubmit={(e) => (e.preventDefault(), add.mutate())}>
        <label className="label">{t("windowKind")}
          <select className="input" value={kind} onChange={(e) => setKind(e.target.value as "once" | "weekly")}>
            <option value="once">{t("windowOnce")}</option>
            <option value="weekly">{t("windowWeekly")}</option>
          </select>
        </label>
        {kind === "once" ? (
          <>
            <label className="label">{t("windowStart")}<input className="input" type="datetime-local" value={startsAt} onChange={(e) => setStartsAt(e.target.value)} /></label>
            <label className="label">{t("windowEnd")}<input className="input" type="datetime-local" value={endsAt} onChange={(e) => setEndsAt(e.target.value)} /></label>
          </>
        ) : (
          <>
            <fieldset className="md:col-span-2">
              <legend className="label">{t("windowDays")}</legend>
              <div className="flex flex-wrap gap-2">
                {DAYS.map((d) => (
                  <label key={d} className="flex items-center gap-1 text-xs">
                    <input type="checkbox" checked={days.includes(d)} onChange={(e) => setDays(e.target.checked ? [...days, d] : days.filter((x) => x !== d))} />
                    {t(`day_${d}`)}
                  </label>
                ))}
              </div>
            </fieldset>
            <label className="label">{t("windowFrom")}<input className="input" type="time" value={startTime} onChange={(e) => setStartTime(e.target.value)} /></label>
            <label className="label">{t("windowUntil")}<input className="input" type="time" value={endTime} onChange={(e) => setEndTime(e.target.value)} /></label>
            <label className="label">{t("timeZone")}<input className="input" value={timeZone} onChange={(e) => setTimeZone(e.target.value)} /></label>
          </>
        )}
        <label className="label">{t("note")}<input className="input" value={note} maxLength={200} onChange={(e) => setNote(e.target.value)} /></label>
        <div className="md:col-span-2"><button className="btn-primary" type="submit" disabled={add.isPending}>{t("addWindow")}</button></div>
        <div className="md:col-span-2"><ErrorNote error={add.error ?? remove.error} /></div>
      </form>
    </div>
  );
}

function MaintenancePanel() {
  const t = useTranslations("alerts");
  const qc = useQueryClient();
  const state = useQuery({ queryKey: ["maintenance"], queryFn: () => fetchJson<MaintenanceState>("/api/ui/maintenance"), refetchInterval: 30_000 });
  const [open, setOpen] = useState<string | null>(null);
  const toggle = useMutation({
    mutationFn: (b: { target: string; id: number; enabled: boolean }) => send("/api/ui/maintenance", "PUT", b),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ["maintenance"] }),
  });
  const s = state.data;
  const row = (target: WindowRow["target"], id: number, label: string, on: boolean, effective: boolean) => {
    const key = `${target}${id}`;
    const windows = (s?.windows ?? []).filter((w) => w.target === target && w.targetId === id);
    return (
      <div key={key} data-testid="maintenance-row">
        <div className="flex items-center gap-2 text-sm">
          <label className="flex items-center gap-2">
            <input type="checkbox" checked={on} onChange={(e) => toggle.mutate({ target, id, enabled: e.target.checked })} />
            {label}
          </label>
          {effective && !on && <span className="rounded bg-amber-100 px-1 text-xs text-amber-800" title={t("inMaintenanceHelp")}>{t("inMaintenance")}</span>}
          <button type="button" className="ml-auto text-xs text-indigo-700 hover:underline" aria-expanded={open === key} aria-label={t("scheduleFor", { name: label })} onClick={() => setOpen(open === key ? null : key)}>
            {t("schedule")}{windows.length ? ` (${windows.length})` : ""}
          </button>
        </div>
        {open === key && <WindowsEditor target={target} id={id} label={label} windows={windows} />}
      </div>
    );
  };
  return (
    <section className="space-y-2">
      <h2 className="text-lg font-semibold">{t("maintenance")}</h2>
      <p className="text-sm text-slate-600">{t("maintenanceHelp")}</p>
      <ErrorNote error={state.error ?? toggle.error} />
      {s && (
        <div className="grid gap-3 md:grid-cols-3">
          <div className="card space-y-1"><h3 className="font-medium">{t("clients")}</h3>{s.clients.map((c) => row("client", c.id, c.name, c.maintenanceMode, c.inMaintenance))}</div>
          <div className="card space-y-1"><h3 className="font-medium">{t("sites")}</h3>{s.sites.map((x) => row("site", x.id, `${x.client} / ${x.name}`, x.maintenanceMode, x.inMaintenance))}</div>
          <div className="card max-h-96 space-y-1 overflow-auto"><h3 className="font-medium">{t("servers")}</h3>{s.servers.map((x) => row("server", x.id, x.name, x.maintenanceMode, x.inMaintenance))}</div>
        </div>
      )}
    </section>
  );
}

/** The latest notices of every kind (tests included), each with every attempt to send it. */
function RecentNotices() {
  const t = useTranslations("alerts");
  const q = useQuery({ queryKey: ["notifications"], queryFn: () => fetchJson<NotificationView[]>("/api/ui/notifications?limit=50"), refetchInterval: 10_000 });
  return (
    <section className="space-y-2">
      <h2 className="text-lg font-semibold">{t("recentNotices")}</h2>
      <ErrorNote error={q.error} />
      {q.data?.length === 0 && <p className="text-sm text-slate-500">{t("noNotices")}</p>}
      <ul className="space-y-1 text-sm">
        {(q.data ?? []).map((n) => (
          <li key={n.id} className="card py-2">
            <span className="mr-2 text-xs text-slate-500">{new Date(n.createdAt).toLocaleString()}</span>
            <NoticeAttempts n={n} />
          </li>
        ))}
      </ul>
    </section>
  );
}

/**
 * Alert settings: rules (admins, and users with the monitoring grant for the machines they may
 * list); channels (with a test button), maintenance and the recent notices (admins).
 */
export function AlertSettings({ isAdmin }: { isAdmin: boolean }) {
  const t = useTranslations("alerts");
  const qc = useQueryClient();
  const rules = useQuery({ queryKey: ["alert-rules"], queryFn: () => fetchJson<{ rules: RuleDef[]; channels: ChannelChoice[] }>("/api/ui/alert-rules") });
  const channels = useQuery({ queryKey: ["alert-channels"], queryFn: () => fetchJson<ChannelRow[]>("/api/ui/alert-channels"), enabled: isAdmin });
  const [rule, setRule] = useState<{ id: number | null; draft: Draft } | null>(null);
  const [channel, setChannel] = useState<{ id: number | null; draft: ChannelDraft } | null>(null);
  const removeRule = useMutation({ mutationFn: (id: number) => send(`/api/ui/alert-rules/${id}`, "DELETE"), onSuccess: () => void qc.invalidateQueries({ queryKey: ["alert-rules"] }) });
  const choices = rules.data?.channels ?? [];
  const channelName = (id: number) => choices.find((c) => c.id === id)?.name ?? `#${id}`;
  return (
    <div className="space-y-8">
      <section className="space-y-3">
        <div className="flex items-center justify-between">
          <h1 className="text-2xl font-semibold">{t("rules")}</h1>
          {!rule && <button className="btn-primary" onClick={() => setRule({ id: null, draft: emptyDraft })}>{t("addRule")}</button>}
        </div>
        {rule && <RuleForm key={rule.id ?? "new"} id={rule.id} initial={rule.draft} channels={choices} onDone={() => setRule(null)} />}
        <ErrorNote error={rules.error ?? removeRule.error} />
        <ul className="space-y-2">
          {(rules.data?.rules ?? []).map((r) => (
            <li key={r.id} className="card flex flex-wrap items-center gap-3" data-testid="rule-row">
              <strong>{r.name}</strong>
              <span className="rounded bg-slate-100 px-2 py-0.5 text-xs">{t(`kind_${r.kind}`)}</span>
              <code className="text-xs text-slate-600">{JSON.stringify(r.params)}</code>
              <span className="text-xs text-slate-500">{r.channelIds.map(channelName).join(", ") || t("noChannels")}</span>
              {r.muted && <span className="text-xs text-amber-700">{t("muted")}</span>}
              {!r.enabled && <span className="text-xs text-amber-700">{t("disabled")}</span>}
              <span className="ml-auto flex gap-2">
                <button className="btn-secondary" onClick={() => setRule({ id: r.id, draft: draftOf(r) })}>{t("edit")}</button>
                <button className="btn-danger" onClick={() => confirm(t("confirmDelete", { name: r.name })) && removeRule.mutate(r.id)}>{t("delete")}</button>
              </span>
            </li>
          ))}
        </ul>
      </section>
      {isAdmin && (
        <>
          <section className="space-y-3">
            <div className="flex items-center justify-between">
              <h2 className="text-xl font-semibold">{t("channels")}</h2>
              {!channel && <button className="btn-primary" onClick={() => setChannel({ id: null, draft: emptyChannel })}>{t("addChannel")}</button>}
            </div>
            {channel && <ChannelForm key={channel.id ?? "new"} id={channel.id} initial={channel.draft} onDone={() => setChannel(null)} />}
            <ErrorNote error={channels.error} />
            <ul className="space-y-2">
              {(channels.data ?? []).map((c) => <ChannelItem key={c.id} c={c} onEdit={() => setChannel({ id: c.id, draft: channelDraftOf(c) })} />)}
            </ul>
          </section>
          <MaintenancePanel />
          <RecentNotices />
        </>
      )}
    </div>
  );
}
