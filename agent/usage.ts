/**
 * Protocol-3 measurements (issue 17): what each running instance's processes use, how much its
 * folder holds, who is logged in, and whether the machine asks for a reboot. Each is bounded in
 * time and may fail on its own: a failure gives "unknown" (absent or null), never a made-up zero.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { lstat, readdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { processes } from "systeminformation/lib/processes.js";
import type { InstanceUsage } from "./protocol";
import { runProcess } from "./process";
import { which, within } from "./util";

const LINUX = process.platform === "linux";
/** Linux reports process times in clock ticks; USER_HZ is 100 on every architecture Node runs on. */
const CLK_TCK = 100;
const PAGE_SIZE = 4096;

export interface RunningInstance {
  uuid: string;
  pid: number;
  cwd: string;
}
export type UsageTarget = Omit<RunningInstance, "pid"> & { pid: number | null };

interface ProcStat {
  pgrp: number;
  ppid: number;
  ticks: number; // utime + stime
  startTicks: number; // since boot
  rssPages: number;
}

/** Parses /proc/<pid>/stat (the command name may hold spaces and parentheses). */
export function parseProcStat(text: string): ProcStat | null {
  const close = text.lastIndexOf(")");
  if (close < 0) return null;
  const f = text.slice(close + 2).trim().split(/\s+/);
  // f[0] is field 3 (state): field n is f[n - 3].
  const num = (n: number) => Number(f[n - 3]);
  const stat = { ppid: num(4), pgrp: num(5), ticks: num(14) + num(15), startTicks: num(22), rssPages: num(24) };
  return Object.values(stat).every(Number.isFinite) ? stat : null;
}

function bootTimeMs(): number {
  try {
    const m = /^btime\s+(\d+)/m.exec(readFileSync("/proc/stat", "utf8"));
    if (m) return Number(m[1]) * 1000;
  } catch {
    /* fall through */
  }
  return Date.now() - os.uptime() * 1000;
}

/**
 * Per-instance CPU and memory. On Linux: every process in the instance's process group (the agent
 * starts each instance as a group leader, so its children are counted too), summed from /proc.
 * Elsewhere: systeminformation's process list, over the tree under the instance's pid.
 */
export class InstanceUsageProbe {
  private last = new Map<string, { at: number; ticks: number }>();
  private lastCpuPct = new Map<string, number>();

  async measure(running: RunningInstance[]): Promise<Omit<InstanceUsage, "space">[]> {
    if (running.length === 0) {
      this.last.clear();
      return [];
    }
    return LINUX ? this.linux(running) : this.generic(running);
  }

  private linux(running: RunningInstance[]): Omit<InstanceUsage, "space">[] {
    const byGroup = new Map<number, { ticks: number; rss: number }>();
    for (const r of running) byGroup.set(r.pid, { ticks: 0, rss: 0 });
    const leaders = new Map<number, number>(); // pid → start ticks of group leaders
    let names: string[] = [];
    try {
      names = readdirSync("/proc");
    } catch {
      return [];
    }
    for (const name of names) {
      if (!/^\d+$/.test(name)) continue;
      let stat: ProcStat | null;
      try {
        stat = parseProcStat(readFileSync(`/proc/${name}/stat`, "utf8"));
      } catch {
        continue; // exited meanwhile
      }
      if (!stat) continue;
      const group = byGroup.get(stat.pgrp);
      if (!group) continue;
      group.ticks += stat.ticks;
      group.rss += stat.rssPages * PAGE_SIZE;
      if (Number(name) === stat.pgrp) leaders.set(stat.pgrp, stat.startTicks);
    }
    const boot = bootTimeMs();
    const now = Date.now();
    const out: Omit<InstanceUsage, "space">[] = [];
    for (const r of running) {
      const g = byGroup.get(r.pid)!;
      const start = leaders.get(r.pid);
      out.push({
        uuid: r.uuid,
        cpu: this.cpuPercent(r.uuid, now, (g.ticks / CLK_TCK) * 1000),
        memory: g.rss,
        processStartedAt: start === undefined ? null : Math.round(boot + (start / CLK_TCK) * 1000),
      });
    }
    this.forget(running);
    return out;
  }

  private async generic(running: RunningInstance[]): Promise<Omit<InstanceUsage, "space">[]> {
    const list = await within(processes(), 10_000, null);
    if (!list) return [];
    const children = new Map<number, typeof list.list>();
    for (const p of list.list) {
      const arr = children.get(p.parentPid) ?? [];
      arr.push(p);
      children.set(p.parentPid, arr);
    }
    const out: Omit<InstanceUsage, "space">[] = [];
    for (const r of running) {
      const root = list.list.find((p) => p.pid === r.pid);
      if (!root) continue;
      let cpu = 0;
      let memory = 0;
      const stack = [root];
      const seen = new Set<number>();
      while (stack.length) {
        const p = stack.pop()!;
        if (seen.has(p.pid)) continue;
        seen.add(p.pid);
        cpu += Number.isFinite(p.cpu) ? p.cpu : 0;
        memory += Number.isFinite(p.memRss) ? p.memRss * 1024 : 0; // systeminformation gives kB
        stack.push(...(children.get(p.pid) ?? []));
      }
      const started = Date.parse(root.started);
      out.push({ uuid: r.uuid, cpu, memory, processStartedAt: Number.isFinite(started) ? started : null });
    }
    return out;
  }

  /** CPU percent from the change in cumulative CPU time since the last measurement. */
  private cpuPercent(uuid: string, now: number, cpuMs: number): number {
    const prev = this.last.get(uuid);
    this.last.set(uuid, { at: now, ticks: cpuMs });
    if (!prev || now <= prev.at || cpuMs < prev.ticks) return this.lastCpuPct.get(uuid) ?? 0;
    const pct = Math.round(((cpuMs - prev.ticks) / (now - prev.at)) * 1000) / 10;
    this.lastCpuPct.set(uuid, pct);
    return pct;
  }

  private forget(running: RunningInstance[]): void {
    const live = new Set(running.map((r) => r.uuid));
    for (const k of this.last.keys()) if (!live.has(k)) this.last.delete(k);
    for (const k of this.lastCpuPct.keys()) if (!live.has(k)) this.lastCpuPct.delete(k);
  }
}

/** Most directory entries one folder-size walk visits; beyond it the size is unknown (null). */
export const SPACE_MAX_ENTRIES = 200_000;
/** How long a computed folder size is kept before it is walked again. */
export const SPACE_TTL_MS = 60_000;
/** A folder too large to walk is tried again only this rarely (each try costs the whole bound). */
export const SPACE_TOO_LARGE_TTL_MS = 30 * 60_000;

/**
 * Sizes of instance folders, walked in the background (one walk at a time, yielding between
 * directories) and cached: a report never waits for a walk. Symbolic links are not followed and
 * hard links are counted once.
 */
export class FolderSizes {
  private cache = new Map<string, { at: number; bytes: number | null }>();
  private queue: string[] = [];
  private walking = false;

  /** The last known size of `dir` (null when not known yet or too large); schedules a refresh. */
  get(dir: string): number | null {
    const hit = this.cache.get(dir);
    const ttl = hit && hit.bytes === null ? SPACE_TOO_LARGE_TTL_MS : SPACE_TTL_MS;
    if ((!hit || Date.now() - hit.at > ttl) && !this.queue.includes(dir)) {
      this.queue.push(dir);
      void this.drain();
    }
    return hit?.bytes ?? null;
  }

  /** Resolves when the queue is empty (tests). */
  async settle(): Promise<void> {
    while (this.walking || this.queue.length) await new Promise((r) => setTimeout(r, 20));
  }

  private async drain(): Promise<void> {
    if (this.walking) return;
    this.walking = true;
    try {
      while (this.queue.length) {
        const dir = this.queue[0];
        const bytes = await folderSize(dir).catch(() => null);
        this.cache.set(dir, { at: Date.now(), bytes });
        this.queue.shift();
      }
    } finally {
      this.walking = false;
    }
    if (this.cache.size > 1000) this.cache.clear();
  }
}

/** Bytes allocated to regular files under `dir` (apparent size), or null past SPACE_MAX_ENTRIES. */
export async function folderSize(dir: string, maxEntries = SPACE_MAX_ENTRIES): Promise<number | null> {
  let total = 0;
  let visited = 0;
  const seenInodes = new Set<string>();
  const stack = [dir];
  while (stack.length) {
    const d = stack.pop()!;
    let entries: import("node:fs").Dirent[];
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      continue; // unreadable: skipped (the agent may not own every file)
    }
    for (const e of entries) {
      if (++visited > maxEntries) return null;
      const full = path.join(d, e.name);
      if (e.isDirectory()) stack.push(full);
      else if (e.isFile()) {
        try {
          const st = await lstat(full);
          if (st.nlink > 1) {
            const key = `${st.dev}:${st.ino}`;
            if (seenInodes.has(key)) continue;
            seenInodes.add(key);
          }
          total += st.size;
        } catch {
          /* vanished */
        }
      }
    }
  }
  return total;
}

/** Users with a login session (utmp), as `who` lists them; null when `who` is not available. */
export async function loggedInUsers(): Promise<string[] | null> {
  if (process.platform === "win32") return null;
  const who = await which("who");
  if (!who) return null;
  const r = await runProcess(who, [], { timeoutMs: 5_000, maxBytes: 256 * 1024 }).catch(() => null);
  if (!r || r.exitCode !== 0) return null;
  return parseWho(r.output);
}

export function parseWho(output: string): string[] {
  const users = new Set<string>();
  for (const line of output.split("\n")) {
    const name = line.trim().split(/\s+/)[0];
    if (name) users.add(name);
  }
  return [...users].sort();
}

/**
 * Whether the machine asks for a reboot: Debian/Ubuntu's /var/run/reboot-required, RHEL-family
 * `needs-restarting -r` (exit 1 = reboot needed); null where neither exists.
 */
export async function needsReboot(): Promise<boolean | null> {
  if (process.platform !== "linux") return null;
  if (existsSync("/var/run/reboot-required") || existsSync("/run/reboot-required")) return true;
  // Debian/Ubuntu without the flag file: update-notifier-common writes it when needed.
  if (existsSync("/usr/share/update-notifier") || existsSync("/etc/debian_version")) return false;
  const nr = await which("needs-restarting");
  if (!nr) return null;
  const r = await runProcess(nr, ["-r"], { timeoutMs: 30_000, maxBytes: 64 * 1024 }).catch(() => null);
  if (!r || r.timedOut) return null;
  if (r.exitCode === 1) return true;
  if (r.exitCode === 0) return false;
  return null;
}
