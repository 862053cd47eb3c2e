/**
 * A model canvas for tests of partial and sliced redraws (no real canvas in Node): each device
 * pixel keeps the list of paint operations that reached it since it was last cleared —
 * `F:<fill style>@<alpha>`, `S:<stroke style>` and `T:<text>` — so two drawings are the same
 * "pixels" when every pixel saw the same operations in the same order. Coverage is generous like
 * antialiasing: a fill reaches pixels whose centre lies within 1 px of the shape, a stroke those
 * within half its width + 1 px of the outline, a label a box of 0.6 em per character above its
 * anchor. Transforms are scale + translate (what the renderer uses); `clip` takes the bounding box
 * of the current path.
 */

import type { LayerContext } from '../raster-surface';

type Sub = { kind: 'poly'; pts: [number, number][]; closed: boolean } | { kind: 'circle'; cx: number; cy: number; r: number };
type Box = { x0: number; y0: number; x1: number; y1: number };

function segDist(px: number, py: number, a: [number, number], b: [number, number]): number {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((px - a[0]) * dx + (py - a[1]) * dy) / len2));
  return Math.hypot(px - (a[0] + t * dx), py - (a[1] + t * dy));
}

function inside(px: number, py: number, pts: [number, number][]): boolean {
  let c = false;
  for (let i = 0, j = pts.length - 1; i < pts.length; j = i++) {
    const [xi, yi] = pts[i] as [number, number];
    const [xj, yj] = pts[j] as [number, number];
    if (yi > py !== yj > py && px < ((xj - xi) * (py - yi)) / (yj - yi) + xi) c = !c;
  }
  return c;
}

/** Distance from (px, py) to a sub-path's outline, and whether the point is inside it. */
function measure(s: Sub, px: number, py: number): { d: number; in: boolean } {
  if (s.kind === 'circle') {
    const r = Math.hypot(px - s.cx, py - s.cy);
    return { d: Math.abs(r - s.r), in: r <= s.r };
  }
  let d = Infinity;
  const n = s.pts.length;
  for (let i = 0; i < n - 1 + (s.closed ? 1 : 0); i++) d = Math.min(d, segDist(px, py, s.pts[i] as [number, number], s.pts[(i + 1) % n] as [number, number]));
  return { d, in: s.closed && inside(px, py, s.pts) };
}

function boxOf(s: Sub, grow: number): Box {
  if (s.kind === 'circle') return { x0: s.cx - s.r - grow, y0: s.cy - s.r - grow, x1: s.cx + s.r + grow, y1: s.cy + s.r + grow };
  const xs = s.pts.map((p) => p[0]);
  const ys = s.pts.map((p) => p[1]);
  return { x0: Math.min(...xs) - grow, y0: Math.min(...ys) - grow, x1: Math.max(...xs) + grow, y1: Math.max(...ys) + grow };
}

interface State {
  t: [number, number, number, number, number, number];
  clip: Box;
  fillStyle: string | CanvasGradient | CanvasPattern;
  strokeStyle: string | CanvasGradient | CanvasPattern;
  lineWidth: number;
  globalAlpha: number;
  font: string;
}

/** A `LayerContext` over a width x height grid of paint-operation lists. */
export class PixelModel implements LayerContext {
  readonly pixels: string[][];
  lineWidth = 1;
  strokeStyle: string | CanvasGradient | CanvasPattern = '#000';
  fillStyle: string | CanvasGradient | CanvasPattern = '#000';
  globalAlpha = 1;
  font = '10px sans-serif';
  lineJoin: CanvasLineJoin = 'miter';
  textBaseline: CanvasTextBaseline = 'alphabetic';
  imageSmoothingEnabled = true;
  /** Sub-paths painted (filled or stroked) since the last `takeWork()`: a cost for fake clocks. */
  work = 0;
  private t: State['t'] = [1, 0, 0, 1, 0, 0];
  private clipBox: Box;
  private path: Sub[] = [];
  private stack: State[] = [];

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.pixels = Array.from({ length: width * height }, () => []);
    this.clipBox = { x0: 0, y0: 0, x1: width, y1: height };
  }

  /** The pixel's operations as one string. */
  at(x: number, y: number): string {
    return (this.pixels[y * this.width + x] as string[]).join(' ');
  }

  /** Coordinates and contents of the pixels that differ from `other` (same size). */
  diff(other: PixelModel, limit = 5): { count: number; first: string[] } {
    let count = 0;
    const first: string[] = [];
    for (let y = 0; y < this.height; y++) {
      for (let x = 0; x < this.width; x++) {
        const a = this.at(x, y);
        const b = other.at(x, y);
        if (a === b) continue;
        count++;
        if (first.length < limit) first.push(`(${x},${y}) [${a}] vs [${b}]`);
      }
    }
    return { count, first };
  }

  /** How many pixels hold any operation. */
  painted(): number {
    return this.pixels.filter((p) => p.length > 0).length;
  }

  takeWork(): number {
    const w = this.work;
    this.work = 0;
    return w;
  }

  private pt(x: number, y: number): [number, number] {
    const [a, , , d, e, f] = this.t;
    return [a * x + e, d * y + f];
  }

  save(): void {
    const s = this;
    this.stack.push({ t: [...s.t], clip: { ...s.clipBox }, fillStyle: s.fillStyle, strokeStyle: s.strokeStyle, lineWidth: s.lineWidth, globalAlpha: s.globalAlpha, font: s.font });
  }
  restore(): void {
    const s = this.stack.pop();
    if (!s) return;
    Object.assign(this, { t: s.t, clipBox: s.clip, fillStyle: s.fillStyle, strokeStyle: s.strokeStyle, lineWidth: s.lineWidth, globalAlpha: s.globalAlpha, font: s.font });
  }
  setTransform(a: number, b: number, c: number, d: number, e: number, f: number): void {
    this.t = [a, b, c, d, e, f];
  }
  beginPath(): void {
    this.path = [];
  }
  moveTo(x: number, y: number): void {
    this.path.push({ kind: 'poly', pts: [this.pt(x, y)], closed: false });
  }
  lineTo(x: number, y: number): void {
    const last = this.path.at(-1);
    if (last?.kind === 'poly') last.pts.push(this.pt(x, y));
    else this.moveTo(x, y);
  }
  closePath(): void {
    const last = this.path.at(-1);
    if (last?.kind === 'poly') last.closed = true;
  }
  rect(x: number, y: number, w: number, h: number): void {
    this.path.push({ kind: 'poly', pts: [this.pt(x, y), this.pt(x + w, y), this.pt(x + w, y + h), this.pt(x, y + h)], closed: true });
  }
  arc(x: number, y: number, radius: number): void {
    // A lone moveTo before the arc is not a shape.
    const last = this.path.at(-1);
    if (last?.kind === 'poly' && last.pts.length === 1) this.path.pop();
    const [cx, cy] = this.pt(x, y);
    this.path.push({ kind: 'circle', cx, cy, r: radius * this.t[0] });
  }
  clip(): void {
    const b = this.path.map((s) => boxOf(s, 0));
    const c = this.clipBox;
    this.clipBox = {
      x0: Math.max(c.x0, Math.min(...b.map((x) => x.x0))),
      y0: Math.max(c.y0, Math.min(...b.map((x) => x.y0))),
      x1: Math.min(c.x1, Math.max(...b.map((x) => x.x1))),
      y1: Math.min(c.y1, Math.max(...b.map((x) => x.y1))),
    };
  }
  clearRect(x: number, y: number, w: number, h: number): void {
    const [x0, y0] = this.pt(x, y);
    const [x1, y1] = this.pt(x + w, y + h);
    this.each({ x0, y0, x1, y1 }, 0, (i) => {
      (this.pixels[i] as string[]).length = 0;
    });
  }
  fill(): void {
    this.paint(`F:${String(this.fillStyle)}@${this.globalAlpha}`, 1, (m) => m.in || m.d <= 1);
  }
  stroke(): void {
    const hw = (this.lineWidth * this.t[0]) / 2;
    this.paint(`S:${String(this.strokeStyle)}`, hw + 1, (m) => m.d <= hw + 1);
  }
  fillText(text: string, x: number, y: number): void {
    const [sx, sy] = this.pt(x, y);
    const em = Number(/(\d+(?:\.\d+)?)px/.exec(this.font)?.[1] ?? 10) * this.t[0];
    this.each({ x0: sx, y0: sy - em * 1.2, x1: sx + text.length * em * 0.6, y1: sy }, 0, (i) => (this.pixels[i] as string[]).push(`T:${text}`));
  }
  setLineDash(): void {}
  drawImage(): void {}
  getImageData(): void {}

  /** Add `op` once to every pixel in the clip that any sub-path covers. */
  private paint(op: string, grow: number, covers: (m: { d: number; in: boolean }) => boolean): void {
    const hit = new Set<number>();
    for (const s of this.path) {
      if (s.kind === 'poly' && s.pts.length < 2) continue;
      this.work++;
      this.each(boxOf(s, grow), 1, (i, px, py) => {
        if (!hit.has(i) && covers(measure(s, px, py))) hit.add(i);
      });
    }
    for (const i of [...hit].sort((a, b) => a - b)) (this.pixels[i] as string[]).push(op);
  }

  /** Visit the pixels of `b` (grown by `pad`) inside the clip and the grid, with their centres. */
  private each(b: Box, pad: number, fn: (i: number, px: number, py: number) => void): void {
    const c = this.clipBox;
    const x0 = Math.max(Math.floor(b.x0 - pad), Math.ceil(c.x0 - 1e-9), 0);
    const y0 = Math.max(Math.floor(b.y0 - pad), Math.ceil(c.y0 - 1e-9), 0);
    const x1 = Math.min(Math.ceil(b.x1 + pad), Math.floor(c.x1 + 1e-9), this.width);
    const y1 = Math.min(Math.ceil(b.y1 + pad), Math.floor(c.y1 + 1e-9), this.height);
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) fn(y * this.width + x, x + 0.5, y + 0.5);
  }
}
