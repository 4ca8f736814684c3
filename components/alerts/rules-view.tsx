"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { useState } from "react";
import type { RuleDef, RuleKind, Scope } from "@/lib/fleet/alerts/rules";
import { fetchJson } from "../fetch-json";
import { useServers } from "../data/servers";
import { ErrorNote, send } from "./form-error";

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

function RuleForm({ id, initial, channels, onDone }: { id: number | null; initial: Draft; channels: ChannelRow[]; onDone: () => void }) {
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
      void qc.invalidateQueries({ queryKey: ["alert-channels"] });
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
  const remove = useMutation({ mutationFn: () => send(`/api/ui/alert-channels/${c.id}`, "DELETE"), onSuccess: () => void qc.invalidateQueries({ queryKey: ["alert-channels"] }) });
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

interface MaintenanceState {
  servers: { id: number; name: string; client: string; site: string; maintenanceMode: boolean }[];
  clients: { id: number; name: string; maintenanceMode: boolean }[];
  sites: { id: number; name: string; client: string; maintenanceMode: boolean }[];
}

function MaintenancePanel() {
  const t = useTranslations("alerts");
  const qc = useQueryClient();
  const state = useQuery({ queryKey: ["maintenance"], queryFn: () => fetchJson<MaintenanceState>("/api/ui/maintenance") });
  const toggle = useMutation({
    mutationFn: (b: { target: string; id: number; enabled: boolean }) => send("/api/ui/maintenance", "PUT", b),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ["maintenance"] }),
  });
  const row = (target: string, id: number, label: string, on: boolean) => (
    <label key={`${target}${id}`} className="flex items-center gap-2 text-sm">
      <input type="checkbox" checked={on} onChange={(e) => toggle.mutate({ target, id, enabled: e.target.checked })} />
      {label}
    </label>
  );
  const s = state.data;
  return (
    <section className="space-y-2">
      <h2 className="text-lg font-semibold">{t("maintenance")}</h2>
      <p className="text-sm text-slate-600">{t("maintenanceHelp")}</p>
      <ErrorNote error={state.error ?? toggle.error} />
      {s && (
        <div className="grid gap-3 md:grid-cols-3">
          <div className="card space-y-1"><h3 className="font-medium">{t("clients")}</h3>{s.clients.map((c) => row("client", c.id, c.name, c.maintenanceMode))}</div>
          <div className="card space-y-1"><h3 className="font-medium">{t("sites")}</h3>{s.sites.map((x) => row("site", x.id, `${x.client} / ${x.name}`, x.maintenanceMode))}</div>
          <div className="card max-h-72 space-y-1 overflow-auto"><h3 className="font-medium">{t("servers")}</h3>{s.servers.map((x) => row("server", x.id, x.name, x.maintenanceMode))}</div>
        </div>
      )}
    </section>
  );
}

/** Admins' alert settings: rules, channels (with a test button), maintenance. */
export function AlertSettings() {
  const t = useTranslations("alerts");
  const qc = useQueryClient();
  const rules = useQuery({ queryKey: ["alert-rules"], queryFn: () => fetchJson<{ rules: RuleDef[] }>("/api/ui/alert-rules") });
  const channels = useQuery({ queryKey: ["alert-channels"], queryFn: () => fetchJson<ChannelRow[]>("/api/ui/alert-channels") });
  const [rule, setRule] = useState<{ id: number | null; draft: Draft } | null>(null);
  const [channel, setChannel] = useState<{ id: number | null; draft: ChannelDraft } | null>(null);
  const removeRule = useMutation({ mutationFn: (id: number) => send(`/api/ui/alert-rules/${id}`, "DELETE"), onSuccess: () => void qc.invalidateQueries({ queryKey: ["alert-rules"] }) });
  const channelName = (id: number) => channels.data?.find((c) => c.id === id)?.name ?? `#${id}`;
  return (
    <div className="space-y-8">
      <section className="space-y-3">
        <div className="flex items-center justify-between">
          <h1 className="text-2xl font-semibold">{t("rules")}</h1>
          {!rule && <button className="btn-primary" onClick={() => setRule({ id: null, draft: emptyDraft })}>{t("addRule")}</button>}
        </div>
        {rule && <RuleForm key={rule.id ?? "new"} id={rule.id} initial={rule.draft} channels={channels.data ?? []} onDone={() => setRule(null)} />}
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
    </div>
  );
}
