/** Geometry of the dashboard's hand-drawn SVG charts (no chart library). */

/** A round axis maximum ≥ `value` (1, 2, 2.5, 5 × 10^k), and at least 1. */
export function niceMax(value: number): number {
  if (!Number.isFinite(value) || value <= 1) return 1;
  const exp = Math.pow(10, Math.floor(Math.log10(value)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * exp >= value) return m * exp;
  return 10 * exp;
}

/** Evenly spaced ticks from 0 to `max`: at most `count` steps, whole-number steps when `max` is
 * a whole number (so 5 gives 0..5, not 0, 1.25, 2.5 …). */
export function ticks(max: number, count = 4): number[] {
  let steps = count;
  if (Number.isInteger(max)) {
    steps = [5, 4, 2, 1].find((n) => n <= Math.max(count, 5) && max % n === 0 && max / n >= 1) ?? 1;
  }
  return Array.from({ length: steps + 1 }, (_, i) => (max * i) / steps);
}

/** One bar of a horizontal bar chart. */
export interface Bar {
  label: string;
  value: number;
  y: number;
  width: number;
  height: number;
}

/** Horizontal bars for `items`, `rowHeight` apart, scaled so `max` fills `width`. */
export function horizontalBars(items: readonly { label: string; value: number }[], width: number, rowHeight: number, gap = 4): { bars: Bar[]; max: number } {
  const max = niceMax(Math.max(0, ...items.map((i) => i.value)));
  const bars = items.map((it, i) => ({
    label: it.label,
    value: it.value,
    y: i * rowHeight,
    width: Math.max(0, (it.value / max) * width),
    height: rowHeight - gap,
  }));
  return { bars, max };
}

/** Daily series with the missing days between the first and last filled with 0. */
export function fillDays(series: readonly { date: string; annotations: number }[]): { date: string; value: number }[] {
  const valid = series.filter((s) => /^\d{4}-\d{2}-\d{2}$/.test(s.date)).sort((a, b) => a.date.localeCompare(b.date));
  const first = valid[0];
  const last = valid[valid.length - 1];
  if (!first || !last) return [];
  const byDate = new Map<string, number>();
  for (const s of valid) byDate.set(s.date, (byDate.get(s.date) ?? 0) + s.annotations);
  const out: { date: string; value: number }[] = [];
  const day = new Date(`${first.date}T00:00:00Z`);
  const end = new Date(`${last.date}T00:00:00Z`).getTime();
  for (let guard = 0; day.getTime() <= end && guard < 3660; guard++) {
    const key = day.toISOString().slice(0, 10);
    out.push({ date: key, value: byDate.get(key) ?? 0 });
    day.setUTCDate(day.getUTCDate() + 1);
  }
  return out;
}

/** Points of a line chart of `values` in a `width` × `height` box (y down), and its SVG path. */
export function linePoints(values: readonly number[], width: number, height: number): { points: { x: number; y: number }[]; path: string; max: number } {
  const max = niceMax(Math.max(0, ...values));
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  const points = values.map((v, i) => ({
    x: values.length > 1 ? i * step : width / 2,
    y: height - (v / max) * height,
  }));
  const path = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
  return { points, path, max };
}
