/** Small display formatters. */

/** `1234567` → `1.2 MB`. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

/** A count with thousands separators: `100000` → `100,000`. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** A task or job state as words: `in_progress` → `in progress`. */
export function stateLabel(state: string): string {
  return state.replaceAll('_', ' ');
}

/** `1` and `'task'` → `1 task`, `1500` → `1,500 tasks`; irregular plurals as `many`. */
export function plural(n: number, noun: string, many: string = `${noun}s`): string {
  return `${formatCount(n)} ${n === 1 ? noun : many}`;
}

/** Bytes in binary units, as limits are set: `536870912` → `512 MiB`, `1572864` → `1.5 MiB`. */
export function formatBinaryBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '—';
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 || Number.isInteger(v) ? v : v.toFixed(1)} ${units[i]}`;
}

/** A fraction in [0, 1] as a whole percentage. */
export function formatPercent(fraction: number): string {
  if (!Number.isFinite(fraction)) return '—';
  return `${Math.round(Math.min(1, Math.max(0, fraction)) * 100)}%`;
}

/** An ISO timestamp as local `YYYY-MM-DD HH:MM`. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (x: number) => String(x).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}
