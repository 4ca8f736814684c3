/**
 * What the agent reports: HostInfo (rarely changes) and LiveState (every interval), gathered with
 * systeminformation — on Linux the per-report figures come straight from /proc instead
 * (linux-probes.ts). Every probe is bounded in time and may fail on its own: a failing probe gives
 * zeros (or the last good value), never a failed report.
 *
 * systeminformation is imported a module at a time, and the host-only modules (OS, graphics,
 * system) only when host info is gathered: its index loads some twenty modules the agent never
 * calls (bench/agent-footprint.mjs measures the memory this keeps).
 */
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import type { Systeminformation } from "systeminformation";
import { cpuTemperature, currentLoad } from "systeminformation/lib/cpu.js";
import { mem } from "systeminformation/lib/memory.js";
import { fsSize } from "systeminformation/lib/filesystem.js";
import { networkConnections, networkStats } from "systeminformation/lib/network.js";
import { processes } from "systeminformation/lib/processes.js";
import { cpuTemperatures, mountUsage, networkTotals, processCount, socketCounts, type CpuTemperatures } from "./linux-probes";
import type { HostInfo, LiveState, Temperature } from "./protocol";
import { FolderSizes, InstanceUsageProbe, loggedInUsers, needsReboot, type RunningInstance, type UsageTarget } from "./usage";
import { AGENT_VERSION, within } from "./util";

const PROBE_MS = 5_000;
/**
 * Connection and process counts, and temperatures, are slow to gather (programs like ss, ps and
 * sensors): refreshed at most this often.
 */
const SLOW_PROBE_EVERY_MS = 10_000;

/** File system types that are not real storage. */
const VIRTUAL_FS = new Set([
  "tmpfs", "devtmpfs", "devfs", "proc", "sysfs", "cgroup", "cgroup2", "overlay", "overlayfs", "squashfs",
  "ramfs", "autofs", "fuse.lxcfs", "nsfs", "tracefs", "debugfs", "securityfs", "pstore", "bpf", "mqueue",
  "hugetlbfs", "configfs", "fusectl", "efivarfs", "binfmt_misc", "rpc_pipefs", "iso9660", "nullfs", "map",
]);

interface DiskTotals {
  total: number;
  used: number;
}

function finite(n: unknown, fallback = 0): number {
  return typeof n === "number" && Number.isFinite(n) ? n : fallback;
}

/** Sums real file systems once per device; falls back to the root mount (e.g. overlay in a container). */
export function sumDisks(list: Pick<Systeminformation.FsSizeData, "fs" | "type" | "size" | "used" | "mount">[]): DiskTotals {
  const seen = new Set<string>();
  let total = 0;
  let used = 0;
  for (const fs of list) {
    const type = (fs.type ?? "").toLowerCase();
    if (VIRTUAL_FS.has(type) || !(finite(fs.size) > 0)) continue;
    if (process.platform !== "win32" && !fs.fs.startsWith("/") && !/^[A-Za-z]:/.test(fs.fs)) continue; // e.g. "shm", "none"
    if (seen.has(fs.fs)) continue;
    seen.add(fs.fs);
    total += finite(fs.size);
    used += finite(fs.used);
  }
  if (total === 0) {
    const root = list.find((f) => f.mount === "/" || /^[A-Za-z]:\\?$/.test(f.mount));
    if (root) return { total: finite(root.size), used: finite(root.used) };
  }
  return { total, used };
}

const LINUX = process.platform === "linux";

async function disks(): Promise<DiskTotals> {
  const mounts = LINUX ? mountUsage() : null;
  if (mounts) return sumDisks(mounts);
  return sumDisks(await within(fsSize(), PROBE_MS, []));
}

/** "debian 12" from /etc/os-release when there is one, else systeminformation's distro + release. */
function platformVersion(osInfo: Systeminformation.OsData | null): string {
  if (process.platform === "linux") {
    try {
      const text = readFileSync("/etc/os-release", "utf8");
      const field = (k: string): string => {
        const m = new RegExp(`^${k}=("?)(.*)\\1$`, "m").exec(text);
        return m ? m[2] : "";
      };
      const id = field("ID");
      if (id) return [id, field("VERSION_ID")].filter(Boolean).join(" ");
    } catch {
      /* fall through */
    }
  }
  if (!osInfo) return "";
  return [osInfo.distro, osInfo.release].filter(Boolean).join(" ").trim();
}

/** Best effort: a container runtime, else the hypervisor systeminformation reports, else "". */
function virtualization(system: Systeminformation.SystemData | null): string {
  if (process.platform === "linux") {
    if (existsSync("/.dockerenv")) return "docker";
    if (existsSync("/run/.containerenv")) return "podman";
    try {
      const cg = readFileSync("/proc/1/cgroup", "utf8");
      if (/docker/.test(cg)) return "docker";
      if (/kubepods/.test(cg)) return "kubernetes";
      if (/lxc/.test(cg)) return "lxc";
    } catch {
      /* not readable */
    }
  }
  if (system?.virtual) return (system.virtualHost || "virtual").toLowerCase();
  return "";
}

export async function collectHost(): Promise<HostInfo> {
  const [osLib, cpuLib, netLib, graphicsLib, systemLib] = await Promise.all([
    import("systeminformation/lib/osinfo.js"),
    import("systeminformation/lib/cpu.js"),
    import("systeminformation/lib/network.js"),
    import("systeminformation/lib/graphics.js"),
    import("systeminformation/lib/system.js"),
  ]);
  const [osInfo, cpu, memory, disk, ifaces, graphics, system] = await Promise.all([
    within(osLib.osInfo(), PROBE_MS, null),
    within(cpuLib.cpu(), PROBE_MS, null),
    within(mem(), PROBE_MS, null),
    disks(),
    within(netLib.networkInterfaces(), PROBE_MS, []),
    // graphics runs lspci/nvidia-smi and can be slow or fail: bounded and optional.
    within(graphicsLib.graphics(), PROBE_MS, null),
    within(systemLib.system(), PROBE_MS, null),
  ]);
  const list = Array.isArray(ifaces) ? ifaces : [ifaces];
  const external = list.filter((i) => !i.internal);
  const v4 = external.map((i) => i.ip4).filter((ip) => !!ip);
  const v6all = external.map((i) => i.ip6).filter((ip) => !!ip);
  const v6 = v6all.filter((ip) => !ip.toLowerCase().startsWith("fe80"));
  const virt = virtualization(system);

  let cpuNames: string[] = [];
  if (cpu) {
    const model = [cpu.manufacturer, cpu.brand].filter(Boolean).join(" ").trim() || os.cpus()[0]?.model || "CPU";
    const cores = cpu.physicalCores || cpu.cores || os.cpus().length;
    cpuNames = [`${model} ${cores} ${virt ? "Virtual" : "Physical"} Core`];
  } else if (os.cpus().length > 0) {
    cpuNames = [`${os.cpus()[0].model} ${os.cpus().length} Core`];
  }

  // os.uptime(), not systeminformation's time(): that one also asks Intl for the time zone, which
  // loads ICU data (about 6 MiB of resident memory for the rest of the agent's life).
  const uptime = os.uptime();
  return {
    hostname: osInfo?.hostname || os.hostname(),
    platform: process.platform,
    platformVersion: platformVersion(osInfo),
    release: os.release(),
    cpu: cpuNames,
    arch: process.arch,
    virtualization: virt,
    bootTime: Math.floor(Date.now() / 1000 - uptime),
    memTotal: finite(memory?.total, os.totalmem()),
    diskTotal: disk.total,
    swapTotal: finite(memory?.swaptotal),
    ipv4: v4[0] ?? "",
    ipv6: v6[0] ?? v6all[0] ?? "",
    localIps: [...new Set([...v4, ...v6])],
    gpu: (graphics?.controllers ?? [])
      .map((c) => [c.vendor, c.model].filter(Boolean).join(" ").trim())
      .filter((name) => name.length > 0),
    agentVersion: AGENT_VERSION,
    cwd: process.cwd(),
  };
}

function isLoopback(iface: string): boolean {
  return iface === "lo" || iface.startsWith("lo0") || /loopback/i.test(iface);
}

export function temperaturesFrom(t: CpuTemperatures | Systeminformation.CpuTemperatureData | null): Temperature[] {
  if (!t) return [];
  const ok = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v) && v > 0 && v < 200;
  const out: Temperature[] = [];
  if (ok(t.main)) out.push({ name: "CPU", temperature: t.main });
  (t.cores ?? []).forEach((v, i) => {
    if (ok(v)) out.push({ name: `Core ${i}`, temperature: v });
  });
  (t.socket ?? []).forEach((v, i) => {
    if (ok(v)) out.push({ name: `Socket ${i}`, temperature: v });
  });
  if (ok(t.chipset)) out.push({ name: "Chipset", temperature: t.chipset });
  return out;
}

/** Gathers LiveState; keeps what it needs between calls (network totals, slow-probe caches). */
export class StateCollector {
  private lastNet: { at: number; rx: number; tx: number } | null = null;
  private conns = { tcp: 0, udp: 0 };
  private processCount = 0;
  private temperatures: Temperature[] = [];
  private slowStartedAt = 0;
  private users: string[] | null = null;
  private reboot: boolean | null = null;
  private rebootCheckedAt = 0;
  private readonly instanceUsage = new InstanceUsageProbe();
  readonly folderSizes = new FolderSizes();
  private slowRunning: Promise<void> | null = null;

  /** Starts a background refresh of the slow probes if the last one is older than 10 s. */
  refreshSlow(): Promise<void> {
    if (this.slowRunning) return this.slowRunning;
    if (Date.now() - this.slowStartedAt < SLOW_PROBE_EVERY_MS) return Promise.resolve();
    this.slowStartedAt = Date.now();
    this.slowRunning = (async () => {
      this.users = await within(loggedInUsers(), PROBE_MS, null);
      // The reboot flag changes with package upgrades: every ten minutes is plenty.
      if (Date.now() - this.rebootCheckedAt > 10 * 60_000) {
        this.rebootCheckedAt = Date.now();
        this.reboot = await within(needsReboot(), PROBE_MS * 6, null);
      }
      const temps = LINUX ? cpuTemperatures() : await within(cpuTemperature(), PROBE_MS, null);
      this.temperatures = temperaturesFrom(temps);
      const sockets = LINUX ? socketCounts() : null;
      const count = LINUX ? processCount() : null;
      if (sockets) this.conns = sockets;
      if (count !== null) this.processCount = count;
      if (sockets && count !== null) return;
      const [conns, procs] = await Promise.all([
        sockets ? null : within(networkConnections(), PROBE_MS * 2, null),
        count !== null ? null : within(processes(), PROBE_MS * 2, null),
      ]);
      if (conns) {
        let tcp = 0;
        let udp = 0;
        for (const c of conns) {
          const p = (c.protocol ?? "").toLowerCase();
          if (p.startsWith("tcp")) tcp++;
          else if (p.startsWith("udp")) udp++;
        }
        this.conns = { tcp, udp };
      }
      if (procs && finite(procs.all) > 0) this.processCount = procs.all;
    })().finally(() => {
      this.slowRunning = null;
    });
    return this.slowRunning;
  }

  /** `instances`: every instance (folders are measured) with its pid while running (processes are too). */
  async collect(instances: UsageTarget[] = []): Promise<LiveState> {
    void this.refreshSlow();
    const running = instances.filter((i): i is RunningInstance => i.pid !== null);
    const measured = new Map((await this.instanceUsage.measure(running).catch(() => [])).map((u) => [u.uuid, u]));
    const linuxNet = LINUX ? networkTotals() : null;
    const [load, memory, disk, net] = await Promise.all([
      within(currentLoad(), PROBE_MS, null),
      within(mem(), PROBE_MS, null),
      disks(),
      linuxNet ? [] : within(networkStats("*"), PROBE_MS, []),
    ]);

    let rx = linuxNet?.rx ?? 0;
    let tx = linuxNet?.tx ?? 0;
    for (const n of net) {
      if (isLoopback(n.iface)) continue;
      rx += finite(n.rx_bytes);
      tx += finite(n.tx_bytes);
    }
    const now = Date.now();
    let inSpeed = 0;
    let outSpeed = 0;
    if (linuxNet || net.length > 0) {
      if (this.lastNet) {
        const dt = (now - this.lastNet.at) / 1000;
        // Counters can reset (interface re-created): no negative speeds.
        if (dt > 0) {
          inSpeed = Math.max(0, (rx - this.lastNet.rx) / dt);
          outSpeed = Math.max(0, (tx - this.lastNet.tx) / dt);
        }
      }
      this.lastNet = { at: now, rx, tx };
    }

    const [l1, l5, l15] = os.loadavg();
    const cpuUsage = process.cpuUsage();
    const cpuPct = finite(load?.currentLoad);
    return {
      cpu: Math.min(100, Math.max(0, cpuPct)),
      memUsed: finite(memory?.active, os.totalmem() - os.freemem()),
      memTotal: finite(memory?.total, os.totalmem()),
      swapUsed: finite(memory?.swapused),
      diskUsed: disk.used,
      netInTransfer: rx,
      netOutTransfer: tx,
      netInSpeed: Math.round(inSpeed),
      netOutSpeed: Math.round(outSpeed),
      uptime: Math.floor(os.uptime()),
      load1: finite(l1),
      load5: finite(l5),
      load15: finite(l15),
      tcpConnCount: this.conns.tcp,
      udpConnCount: this.conns.udp,
      processCount: this.processCount,
      temperatures: this.temperatures,
      process: { cpuMicros: cpuUsage.user + cpuUsage.system, memory: process.memoryUsage().rss },
      // Absent = unknown (the panel says so); never an empty list standing for "could not tell".
      ...(this.users ? { users: this.users } : {}),
      needsReboot: this.reboot,
      instanceUsage: instances.map((i) => ({
        uuid: i.uuid,
        cpu: measured.get(i.uuid)?.cpu ?? 0,
        memory: measured.get(i.uuid)?.memory ?? 0,
        processStartedAt: measured.get(i.uuid)?.processStartedAt ?? null,
        space: this.folderSizes.get(i.cwd),
      })),
    };
  }
}
