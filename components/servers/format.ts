/** Display formats of the servers views (sizes in binary units, as Nezha and `free -h` show them). */

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "—";
  let v = Math.max(0, n);
  let i = 0;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 || i === 0 ? Math.round(v) : v.toFixed(1)} ${UNITS[i]}`;
}

export function formatSpeed(n: number | null | undefined): string {
  return n === null || n === undefined ? "—" : `${formatBytes(n)}/s`;
}

/** "12d 3h", "3h 4m", "5m 6s": two units are enough to tell machines apart. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "—";
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3_600);
  const m = Math.floor((s % 3_600) / 60);
  if (d) return `${d}d ${h}h`;
  if (h) return `${h}h ${m}m`;
  if (m) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

export function percentOf(used: number | null, total: number | null): number | null {
  if (used === null || !total) return null;
  return Math.min(100, Math.max(0, (used / total) * 100));
}

export function formatPercent(p: number | null | undefined): string {
  return p === null || p === undefined || !Number.isFinite(p) ? "—" : `${p.toFixed(1)}%`;
}

export function formatLoad(n: number | null | undefined): string {
  return n === null || n === undefined ? "—" : n.toFixed(2);
}
