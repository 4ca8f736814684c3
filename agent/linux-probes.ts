/**
 * The per-report probes on Linux, read straight from /proc and statfs(2). systeminformation
 * gathers the same figures by starting programs (`df`, `cat`, `ss`, `ps`) through a shell, some
 * synchronously; at one report every 2 s that cost more CPU than everything else the agent does
 * (bench/agent-footprint.mjs). Each returns null when its source cannot be read, and the caller
 * falls back to systeminformation.
 */
import fs from "node:fs";

export interface MountUsage {
  fs: string;
  type: string;
  mount: string;
  size: number;
  used: number;
}

/** /proc/mounts escapes spaces, tabs, newlines and backslashes as octal. */
function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Every mount with its size and usage (what `df` prints): the caller keeps the real ones. */
export function mountUsage(): MountUsage[] | null {
  if (typeof fs.statfsSync !== "function") return null; // Node < 18.15
  let text: string;
  try {
    text = fs.readFileSync("/proc/mounts", "utf8");
  } catch {
    return null;
  }
  const out: MountUsage[] = [];
  for (const line of text.split("\n")) {
    const [device, mountPoint, type] = line.split(" ");
    if (!device || !mountPoint || !device.startsWith("/")) continue;
    try {
      const st = fs.statfsSync(unescapeMount(mountPoint));
      // `df` counts used as total − free (blocks reserved for root count as used).
      out.push({ fs: unescapeMount(device), type, mount: unescapeMount(mountPoint), size: st.blocks * st.bsize, used: (st.blocks - st.bfree) * st.bsize });
    } catch {
      /* unreadable mount point (permissions, a stale network mount): skip it */
    }
  }
  return out;
}

/** Bytes received and sent since boot over every interface but loopback (/proc/net/dev). */
export function networkTotals(): { rx: number; tx: number } | null {
  let text: string;
  try {
    text = fs.readFileSync("/proc/net/dev", "utf8");
  } catch {
    return null;
  }
  let rx = 0;
  let tx = 0;
  for (const line of text.split("\n").slice(2)) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    if (line.slice(0, colon).trim() === "lo") continue;
    const f = line.slice(colon + 1).trim().split(/\s+/);
    rx += Number(f[0]) || 0;
    tx += Number(f[8]) || 0;
  }
  return { rx, tx };
}

function lineCount(file: string): number | null {
  try {
    const text = fs.readFileSync(file, "utf8");
    let n = 0;
    for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) n++;
    return Math.max(0, n - 1); // header line
  } catch {
    return null;
  }
}

/** Sockets of every state (listening included, as `ss -tuna` lists them), IPv4 and IPv6. */
export function socketCounts(): { tcp: number; udp: number } | null {
  const [tcp4, tcp6, udp4, udp6] = ["tcp", "tcp6", "udp", "udp6"].map((f) => lineCount(`/proc/net/${f}`));
  if (tcp4 === null && tcp6 === null) return null;
  return { tcp: (tcp4 ?? 0) + (tcp6 ?? 0), udp: (udp4 ?? 0) + (udp6 ?? 0) };
}

/** Processes on the machine: the numeric entries of /proc. */
export function processCount(): number | null {
  try {
    let n = 0;
    for (const name of fs.readdirSync("/proc")) if (name.charCodeAt(0) >= 48 && name.charCodeAt(0) <= 57) n++;
    return n;
  } catch {
    return null;
  }
}

export interface CpuTemperatures {
  main: number | null;
  cores: number[];
  socket: number[];
  chipset: number | null;
}

function readTrimmed(file: string): string | null {
  try {
    return fs.readFileSync(file, "utf8").trim();
  } catch {
    return null;
  }
}

function listDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

/** Millidegrees as written by the kernel → °C with one decimal. */
const celsius = (milli: string | null): number | null => {
  const n = Number(milli);
  return milli !== null && milli !== "" && Number.isFinite(n) ? Math.round(n / 100) / 10 : null;
};

/**
 * CPU temperatures from the kernel's thermal zones and hwmon sensors — the sources
 * systeminformation's cpuTemperature reads on Linux (through a shell), with the same choices:
 * `Package`/`Physical`/`Tctl`/`Tccd1` is the CPU, `Core N` the cores, an `acpi` zone a socket,
 * a `pch` zone the chipset, a `cpu` zone the CPU when nothing better is there.
 */
export function cpuTemperatures(): CpuTemperatures {
  const result: CpuTemperatures = { main: null, cores: [], socket: [], chipset: null };
  let cpuZone: number | null = null;
  for (const zone of listDir("/sys/class/thermal").filter((z) => z.startsWith("thermal_zone"))) {
    const type = readTrimmed(`/sys/class/thermal/${zone}/type`)?.toLowerCase() ?? "";
    const t = celsius(readTrimmed(`/sys/class/thermal/${zone}/temp`));
    if (t === null) continue;
    if (type.startsWith("acpi")) result.socket.push(t);
    if (type.startsWith("pch")) result.chipset = t;
    if (cpuZone === null && type.includes("cpu")) cpuZone = t;
  }
  let tctl: number | null = null;
  let pkg: number | null = null;
  for (const mon of listDir("/sys/class/hwmon")) {
    const dir = `/sys/class/hwmon/${mon}`;
    for (const file of listDir(dir).filter((f) => /^temp\d+_label$/.test(f)).sort()) {
      const label = readTrimmed(`${dir}/${file}`)?.toLowerCase() ?? "";
      const t = celsius(readTrimmed(`${dir}/${file.replace(/_label$/, "_input")}`));
      if (t === null) continue;
      if (label === "tctl") tctl = t;
      else if (label.startsWith("core")) result.cores.push(t);
      else if (pkg === null && (label.includes("package") || label.includes("physical") || label === "tccd1" || label === "tdie")) pkg = t;
    }
  }
  result.main = pkg ?? tctl;
  if (result.main === null && result.cores.length > 0) result.main = Math.round(result.cores.reduce((a, b) => a + b, 0) / result.cores.length);
  if (result.main === null) result.main = cpuZone;
  return result;
}
