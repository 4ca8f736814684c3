/**
 * The alert evaluator. It runs inside ingest (each state report, each batch of monitor results,
 * each instance report), so it only compares numbers held in memory: per rule and subject, since
 * when the condition holds and whether it fires. Everything that touches the database (the event
 * row, its notices in the outbox) is queued and written afterwards, in order, off the report's
 * path. Offline rules and repeat notices are driven by a timer.
 *
 * Firing: the condition held for the rule's duration, the machine is not in maintenance → an
 * AlertEvent and one pending Notification per channel (none when the rule is muted), written in
 * one transaction. Recovery: the condition stops holding → recoveredAt and a recovery notice.
 * Repeats: every `repeatSec` while firing (never a silent back-off). Open events are loaded at
 * start, so a restart neither re-fires nor forgets to recover.
 */
import type { InstanceState, LiveState } from "../../../agent/protocol";
import { db } from "../../db";
import { singleton } from "../../global";
import { isOnline, live, offlineAfterMs, type LiveEntry, type ServerMeta } from "../live";
import { covers, monitorById, onMonitorsChanged, type ProbeResult } from "../monitors";
import type { Notice } from "./channels";
import { noticeText } from "./channels";
import { outbox } from "./outbox";
import { maintenance } from "./maintenance";
import { inRuleScope, loadRules, onRulesChanged, ruleParamSchemas, type Metric, type RuleDef } from "./rules";

interface SubjectState {
  rule: RuleDef;
  serverId: number;
  /** "" for the machine itself, "monitor:<id>", "instance:<uuid>". */
  subject: string;
  since: number | null;
  firing: boolean;
  eventId: number | null;
  firedAt: number;
  lastNotified: number;
  detail: string;
  /** monitor_down: failures in a row. */
  fails: number;
}

export type Job =
  | { type: "fire"; st: SubjectState; at: number; detail: string }
  | { type: "recover"; st: SubjectState; at: number; detail: string; notify: boolean }
  | { type: "repeat"; st: SubjectState; at: number };

type Params<K extends keyof typeof ruleParamSchemas> = ReturnType<(typeof ruleParamSchemas)[K]["parse"]>;

function metricValue(metric: Metric, e: LiveEntry, s: LiveState): number {
  switch (metric) {
    case "cpu":
      return s.cpu;
    case "memory":
      return s.memTotal > 0 ? (s.memUsed / s.memTotal) * 100 : 0;
    case "swap":
      return e.host?.swapTotal ? (s.swapUsed / e.host.swapTotal) * 100 : 0;
    case "disk":
      return e.host?.diskTotal ? (s.diskUsed / e.host.diskTotal) * 100 : 0;
    case "load":
      return s.load1;
    case "net_in_speed":
      return s.netInSpeed;
    case "net_out_speed":
      return s.netOutSpeed;
    case "net_in_transfer":
      return s.netInTransfer;
    case "net_out_transfer":
      return s.netOutTransfer;
  }
}

/** A subject's key among its rule's: the server id for the machine itself, "<id>|<subject>" for the rest. */
const subjectKey = (serverId: number, subject: string): number | string => (subject ? `${serverId}|${subject}` : serverId);

const round = (n: number) => (Math.abs(n) >= 100 ? Math.round(n) : Math.round(n * 10) / 10);

export class AlertEngine {
  private rules: RuleDef[] = [];
  private rulesVersion = 0;
  /** Per server: the enabled rules whose scope covers it, keyed by rules and server generations. */
  private perServer = new Map<number, { version: number; meta: number; byKind: Map<string, RuleDef[]> }>();
  /** Per rule: per subject (the machine itself keyed by its number, so looking it up allocates nothing). */
  private states = new Map<number, Map<number | string, SubjectState>>();
  /** Unit tests: maintenance given directly instead of the panel's (switches and windows). */
  private maintenanceOverride: { servers: Set<number>; clients: Set<string>; sites: Set<string> } | null = null;
  private queue: Job[] = [];
  private writing = false;
  private timers: NodeJS.Timeout[] = [];
  private prevInstances = new Map<number, Map<string, InstanceState>>();
  private started = false;
  /** Evaluations done and jobs written (the benchmark prints them). */
  stats = { fired: 0, recovered: 0, written: 0 };

  /** `sink` replaces the database writer (unit tests check the decisions alone). */
  constructor(private readonly sink?: (job: Job) => Promise<void>) {}

  /** Rules and maintenance given directly instead of loaded (unit tests). */
  useRules(rules: RuleDef[], maintenance: { servers?: number[]; clients?: string[]; sites?: [string, string][] } = {}): void {
    this.rules = rules.filter((r) => r.enabled);
    this.rulesVersion++;
    this.maintenanceOverride = {
      servers: new Set(maintenance.servers ?? []),
      clients: new Set(maintenance.clients ?? []),
      sites: new Set((maintenance.sites ?? []).map(([c, s]) => `${c}\0${s}`)),
    };
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    onRulesChanged(() => void this.reloadRules().catch((e) => console.error("fleetdeck: alert rules reload:", e)));
    onMonitorsChanged(() => this.closeOrphanedMonitorAlerts());
    await this.reloadRules();
    await this.reloadMaintenance();
    await this.loadOpenEvents();
    // (wiring loads the monitors first: alerts of monitors deleted while the panel was down close here)
    this.closeOrphanedMonitorAlerts();
    outbox.start();
    this.timers = [
      setInterval(() => this.tick(), 2_000),
      // Switches and windows changed by another panel process.
      setInterval(() => void this.reloadMaintenance().catch(() => undefined), 30_000),
      // Machines entering or leaving maintenance by a window are redrawn by the views that show it.
      setInterval(() => maintenance.sweep((id) => live.touch(id)), 5_000),
    ];
    for (const t of this.timers) t.unref();
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.drain();
    await outbox.stop();
  }

  // ---- configuration ------------------------------------------------------------------------------

  async reloadRules(): Promise<void> {
    const rules = await loadRules();
    const byId = new Map(rules.map((r) => [r.id, r]));
    for (const [ruleId, subjects] of this.states) {
      const rule = byId.get(ruleId);
      if (!rule || !rule.enabled) {
        // Deleted: its events went with it. Disabled: its open events close without a notice.
        if (rule) for (const st of subjects.values()) if (st.firing) this.push({ type: "recover", st, at: Date.now(), detail: "rule disabled", notify: false });
        this.states.delete(ruleId);
      } else for (const st of subjects.values()) st.rule = rule;
    }
    this.rules = rules.filter((r) => r.enabled);
    this.rulesVersion++;
  }

  async reloadMaintenance(): Promise<void> {
    await maintenance.reload();
  }

  /**
   * A monitor deleted, disabled or no longer run on a machine sends no more results: what it had
   * firing there is closed (without a notice), not left open forever.
   */
  closeOrphanedMonitorAlerts(now = Date.now()): void {
    for (const subjects of this.states.values()) {
      for (const st of [...subjects.values()]) {
        if (!st.subject.startsWith("monitor:")) continue;
        const m = monitorById(Number(st.subject.slice("monitor:".length)));
        if (m && covers(m, st.serverId)) continue;
        if (st.firing) this.push({ type: "recover", st, at: now, detail: "monitor removed from this server", notify: false });
        this.drop(st);
      }
    }
  }

  /**
   * Tactical RMM's maintenance mode: per machine, or for every machine of a site or client, by
   * the switch or by an active scheduled window (./maintenance.ts).
   */
  inMaintenance(meta: Pick<ServerMeta, "id" | "client" | "site" | "maintenanceMode">, now = Date.now()): boolean {
    const m = this.maintenanceOverride;
    if (!m) return maintenance.inMaintenance(meta, now);
    return m.servers.has(meta.id) || m.clients.has(meta.client) || m.sites.has(`${meta.client}\0${meta.site}`);
  }

  private async loadOpenEvents(): Promise<void> {
    const open = await db.alertEvent.findMany({ where: { recoveredAt: null } });
    const byId = new Map(this.rules.map((r) => [r.id, r]));
    for (const ev of open) {
      const rule = byId.get(ev.ruleId);
      if (!rule || ev.serverId === null) continue;
      const st = this.stateOf(rule, ev.serverId, ev.subject, true)!;
      Object.assign(st, { firing: true, since: ev.firedAt.getTime(), eventId: ev.id, firedAt: ev.firedAt.getTime(), lastNotified: (ev.lastNotifiedAt ?? ev.firedAt).getTime(), detail: ev.detail });
    }
  }

  private rulesFor(entry: LiveEntry, kind: string): RuleDef[] {
    if (this.rules.length === 0) return [];
    let cached = this.perServer.get(entry.meta.id);
    if (!cached || cached.version !== this.rulesVersion || cached.meta !== live.metaGeneration) {
      const byKind = new Map<string, RuleDef[]>();
      for (const r of this.rules) {
        if (!inRuleScope(r.scope, entry.meta)) continue;
        const list = byKind.get(r.kind) ?? [];
        list.push(r);
        byKind.set(r.kind, list);
      }
      cached = { version: this.rulesVersion, meta: live.metaGeneration, byKind };
      this.perServer.set(entry.meta.id, cached);
    }
    return cached.byKind.get(kind) ?? [];
  }

  // ---- evaluation (synchronous, in memory) ------------------------------------------------------------

  private stateOf(rule: RuleDef, serverId: number, subject: string, create: boolean): SubjectState | undefined {
    let subjects = this.states.get(rule.id);
    const key = subjectKey(serverId, subject);
    let st = subjects?.get(key);
    if (!st && create) {
      if (!subjects) this.states.set(rule.id, (subjects = new Map()));
      st = { rule, serverId, subject, since: null, firing: false, eventId: null, firedAt: 0, lastNotified: 0, detail: "", fails: 0 };
      subjects.set(key, st);
    }
    return st;
  }

  private drop(st: SubjectState): void {
    const subjects = this.states.get(st.rule.id);
    subjects?.delete(subjectKey(st.serverId, st.subject));
  }

  /** One rule, one subject, now: the condition holds or not. */
  private evaluate(rule: RuleDef, entry: LiveEntry, subject: string, holds: boolean, forMs: number, detail: string, now: number): void {
    if (holds) {
      const st = this.stateOf(rule, entry.meta.id, subject, true)!;
      st.since ??= now;
      if (!st.firing && now - st.since >= forMs && !this.inMaintenance(entry.meta, now)) {
        st.firing = true;
        st.firedAt = now;
        st.lastNotified = now;
        st.detail = detail;
        this.stats.fired++;
        this.push({ type: "fire", st, at: now, detail });
      }
      return;
    }
    const st = this.stateOf(rule, entry.meta.id, subject, false);
    if (!st) return;
    if (st.firing) {
      this.stats.recovered++;
      this.push({ type: "recover", st, at: now, detail, notify: true });
    }
    this.drop(st);
  }

  /**
   * A state report was accepted (ingest): threshold rules. The common case — under the threshold,
   * and nothing held for this machine — returns without allocating anything: at 10,000 agents
   * this runs thousands of times a second, and garbage is what it would cost.
   */
  onState(entry: LiveEntry, state: LiveState, now = Date.now()): void {
    const rules = this.rulesFor(entry, "metric");
    for (const rule of rules) {
      const p = rule.params as Params<"metric">;
      const value = metricValue(p.metric, entry, state);
      const holds = value > p.above;
      if (!holds && !this.states.get(rule.id)?.has(entry.meta.id)) continue;
      this.evaluate(rule, entry, "", holds, p.forSec * 1000, `${p.metric} ${round(value)} > ${p.above}`, now);
    }
  }

  /** A batch of monitor results from one machine. */
  onMonitorResults(serverId: number, batch: ProbeResult[], now = Date.now()): void {
    const entry = live.get(serverId);
    if (!entry || this.rules.length === 0) return;
    const down = this.rulesFor(entry, "monitor_down");
    const slow = this.rulesFor(entry, "monitor_latency");
    const cert = this.rulesFor(entry, "cert_expiry");
    if (!down.length && !slow.length && !cert.length) return;
    for (const r of batch.slice().sort((a, b) => a.at - b.at)) {
      const m = monitorById(r.monitorId);
      if (!m) continue;
      const subject = `monitor:${m.id}`;
      for (const rule of down) {
        const p = rule.params as Params<"monitor_down">;
        if (p.monitorId !== null && p.monitorId !== m.id) continue;
        if (r.ok) {
          this.evaluate(rule, entry, subject, false, 0, `${m.name} is up again (${round(r.delayMs)} ms)`, now);
          continue;
        }
        const st = this.stateOf(rule, serverId, subject, true)!;
        st.fails++;
        this.evaluate(rule, entry, subject, st.fails >= p.failures, 0, `${m.name} (${m.target}) is down: ${r.error || "no answer"}`, now);
      }
      if (r.ok) {
        for (const rule of slow) {
          const p = rule.params as Params<"monitor_latency">;
          if ((p.monitorId !== null && p.monitorId !== m.id) || (m.maxLatency === null && m.minLatency === null)) continue;
          const tooSlow = m.maxLatency !== null && r.delayMs > m.maxLatency;
          const tooFast = m.minLatency !== null && r.delayMs < m.minLatency;
          const bound = tooSlow ? `> ${m.maxLatency} ms` : tooFast ? `< ${m.minLatency} ms` : "within bounds";
          this.evaluate(rule, entry, subject, tooSlow || tooFast, 0, `${m.name} latency ${round(r.delayMs)} ms ${bound}`, now);
        }
      }
      if (r.certDaysLeft !== undefined && r.certDaysLeft !== null) {
        for (const rule of cert) {
          const p = rule.params as Params<"cert_expiry">;
          if (p.monitorId !== null && p.monitorId !== m.id) continue;
          this.evaluate(rule, entry, subject, r.certDaysLeft < p.days, 0, `${m.name}: certificate expires in ${round(r.certDaysLeft)} days`, now);
        }
      }
    }
  }

  /** An instance report: an instance that stopped with a failure code, without being asked to. */
  onInstances(serverId: number, instances: InstanceState[], now = Date.now()): void {
    const prev = this.prevInstances.get(serverId);
    this.prevInstances.set(serverId, new Map(instances.map((i) => [i.uuid, i])));
    const entry = live.get(serverId);
    if (!entry) return;
    const rules = this.rulesFor(entry, "instance_exit");
    if (!rules.length) return;
    for (const inst of instances) {
      const before = prev?.get(inst.uuid);
      // A stop the panel asks for ends with a signal (exit code null) or the program's own 0.
      const crashed = before?.status === "running" && inst.status !== "running" && inst.exitCode !== null && inst.exitCode !== 0;
      for (const rule of rules) {
        if (crashed) this.evaluate(rule, entry, `instance:${inst.uuid}`, true, 0, `instance ${inst.uuid} exited with code ${inst.exitCode}`, now);
        else if (inst.status === "running") this.evaluate(rule, entry, `instance:${inst.uuid}`, false, 0, `instance ${inst.uuid} is running again`, now);
      }
    }
  }

  /** Offline rules and repeat notices. */
  tick(now = Date.now(), entries: LiveEntry[] = live.all()): void {
    const offline = this.rules.filter((r) => r.kind === "offline");
    if (offline.length) {
      for (const entry of entries) {
        if (entry.lastActive === null) continue;
        for (const rule of this.rulesFor(entry, "offline")) {
          const p = rule.params as Params<"offline">;
          const down = !isOnline(entry, now) && now - entry.lastActive >= offlineAfterMs(entry) + p.seconds * 1000;
          const detail = down ? `offline since ${new Date(entry.lastActive).toISOString()}` : "back online";
          this.evaluate(rule, entry, "", down, 0, detail, now);
        }
      }
    }
    for (const subjects of this.states.values()) {
      for (const st of subjects.values()) {
        if (!st.firing || st.rule.repeatSec <= 0 || st.rule.muted) continue;
        if (now - st.lastNotified >= st.rule.repeatSec * 1000) {
          st.lastNotified = now;
          this.push({ type: "repeat", st, at: now });
        }
      }
    }
  }

  // ---- writing (async, in order) ----------------------------------------------------------------------

  private push(job: Job): void {
    this.queue.push(job);
    if (!this.writing) void this.write();
  }

  private async write(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length) {
        const job = this.queue.shift()!;
        try {
          await (this.sink ?? ((j: Job) => this.apply(j)))(job);
          this.stats.written++;
        } catch (e) {
          console.error("fleetdeck: alert event not saved:", e);
        }
      }
    } finally {
      this.writing = false;
    }
    outbox.kick();
  }

  /** Waits until every queued event is written. */
  async drain(): Promise<void> {
    while (this.writing || this.queue.length) await new Promise((r) => setTimeout(r, 10));
  }

  private notice(kind: Notice["kind"], st: SubjectState, detail: string, recoveredAt: number | null): string {
    const server = live.get(st.serverId);
    const base = {
      kind, rule: { id: st.rule.id, name: st.rule.name, kind: st.rule.kind }, server: { id: st.serverId, name: server?.meta.name ?? `#${st.serverId}` },
      subject: st.subject, detail, firedAt: new Date(st.firedAt).toISOString(), recoveredAt: recoveredAt ? new Date(recoveredAt).toISOString() : null,
    };
    return JSON.stringify({ ...base, text: noticeText(base) } satisfies Notice);
  }

  private async apply(job: Job): Promise<void> {
    const { st } = job;
    const channels = st.rule.muted ? [] : st.rule.channelIds;
    if (job.type === "fire") {
      const payload = this.notice("fire", st, job.detail, null);
      const event = await db.$transaction(async (tx) => {
        const ev = await tx.alertEvent.create({
          data: { ruleId: st.rule.id, serverId: st.serverId, subject: st.subject, detail: job.detail, firedAt: new Date(job.at), lastNotifiedAt: channels.length ? new Date(job.at) : null },
        });
        if (channels.length) await tx.notification.createMany({ data: channels.map((channelId) => ({ eventId: ev.id, channelId, kind: "fire", payload })) });
        return ev;
      });
      st.eventId = event.id;
      return;
    }
    if (st.eventId === null) return;
    const eventId = st.eventId;
    if (job.type === "recover") {
      const notify = job.notify && channels.length > 0;
      const payload = this.notice("recover", st, job.detail, job.at);
      await db.$transaction(async (tx) => {
        await tx.alertEvent.updateMany({ where: { id: eventId }, data: { recoveredAt: new Date(job.at), ...(notify ? { lastNotifiedAt: new Date(job.at) } : {}) } });
        if (notify) await tx.notification.createMany({ data: channels.map((channelId) => ({ eventId, channelId, kind: "recover", payload })) });
      });
      return;
    }
    if (!channels.length) return;
    const payload = this.notice("repeat", st, st.detail, null);
    await db.$transaction(async (tx) => {
      await tx.alertEvent.updateMany({ where: { id: eventId }, data: { lastNotifiedAt: new Date(job.at) } });
      await tx.notification.createMany({ data: channels.map((channelId) => ({ eventId, channelId, kind: "repeat", payload })) });
    });
  }
}

export const alertEngine = singleton("alertEngine", () => new AlertEngine());
