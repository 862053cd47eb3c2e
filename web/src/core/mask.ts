/**
 * Mask bitmaps for the brush: one bitmap per object cropped to its box (grown while painting),
 * and the COCO RLE write side (encode runs to the compressed string, a cropped bitmap to a
 * full-image RLE plus its tight bbox, and back). Column-major, runs start with 0s, as in rle.ts.
 */

import type { Mask } from './geometry';
import { maskRuns } from './rle';

/** COCO compressed RLE string of run lengths (inverse of `decodeCounts`). */
export function encodeCounts(runs: readonly number[]): string {
  let out = '';
  for (let i = 0; i < runs.length; i++) {
    let x = runs[i] as number;
    if (i > 2) x -= runs[i - 2] as number;
    let more = true;
    while (more) {
      // Arithmetic shift without 32-bit limits: floor division keeps the sign.
      let c = ((x % 32) + 32) % 32;
      x = Math.floor(x / 32);
      more = c & 0x10 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      out += String.fromCharCode(c + 48);
    }
  }
  return out;
}

/** A binary bitmap covering image pixels [x, x + width) x [y, y + height), row-major. */
export class MaskBitmap {
  constructor(
    public x = 0,
    public y = 0,
    public width = 0,
    public height = 0,
    public data: Uint8Array = new Uint8Array(0),
  ) {}

  /** A copy (strokes paint on copies so the region's mask stays an immutable value). */
  clone(): MaskBitmap {
    return new MaskBitmap(this.x, this.y, this.width, this.height, this.data.slice());
  }

  /** True if image pixel (px, py) is set. */
  get(px: number, py: number): boolean {
    const cx = px - this.x;
    const cy = py - this.y;
    if (cx < 0 || cy < 0 || cx >= this.width || cy >= this.height) return false;
    return this.data[cy * this.width + cx] === 1;
  }

  /** Number of set pixels. */
  count(): number {
    let n = 0;
    for (const v of this.data) n += v;
    return n;
  }

  /** Grow the crop to include [minX, maxX) x [minY, maxY), keeping the pixels. */
  ensure(minX: number, minY: number, maxX: number, maxY: number): void {
    if (this.width > 0 && minX >= this.x && minY >= this.y && maxX <= this.x + this.width && maxY <= this.y + this.height) return;
    const nx = this.width > 0 ? Math.min(this.x, minX) : minX;
    const ny = this.width > 0 ? Math.min(this.y, minY) : minY;
    const nw = (this.width > 0 ? Math.max(this.x + this.width, maxX) : maxX) - nx;
    const nh = (this.height > 0 ? Math.max(this.y + this.height, maxY) : maxY) - ny;
    const data = new Uint8Array(Math.max(0, nw * nh));
    for (let r = 0; r < this.height; r++) {
      data.set(this.data.subarray(r * this.width, (r + 1) * this.width), (r + this.y - ny) * nw + (this.x - nx));
    }
    Object.assign(this, { x: nx, y: ny, width: nw, height: nh, data });
  }

  /** Set (value 1) or clear (0) a filled disc of `radius` at (cx, cy), clipped to the image. */
  disc(cx: number, cy: number, radius: number, value: 0 | 1, imageW: number, imageH: number): void {
    const r = Math.max(0.5, radius);
    const minX = Math.max(0, Math.floor(cx - r));
    const minY = Math.max(0, Math.floor(cy - r));
    const maxX = Math.min(imageW, Math.ceil(cx + r));
    const maxY = Math.min(imageH, Math.ceil(cy + r));
    if (minX >= maxX || minY >= maxY) return;
    if (value === 1) this.ensure(minX, minY, maxX, maxY);
    for (let py = minY; py < maxY; py++) {
      for (let px = minX; px < maxX; px++) {
        // Pixel centres inside the disc.
        if ((px + 0.5 - cx) ** 2 + (py + 0.5 - cy) ** 2 > r * r) continue;
        const ix = px - this.x;
        const iy = py - this.y;
        if (ix < 0 || iy < 0 || ix >= this.width || iy >= this.height) continue;
        this.data[iy * this.width + ix] = value;
      }
    }
  }

  /** Stamp discs along the segment a -> b (one brush stroke step). */
  line(ax: number, ay: number, bx: number, by: number, radius: number, value: 0 | 1, imageW: number, imageH: number): void {
    const steps = Math.max(1, Math.ceil(Math.hypot(bx - ax, by - ay) / Math.max(0.5, radius / 2)));
    for (let i = 0; i <= steps; i++) {
      const t = i / steps;
      this.disc(ax + (bx - ax) * t, ay + (by - ay) * t, radius, value, imageW, imageH);
    }
  }

  /** Tight bounds of the set pixels `[x, y, w, h]` in image pixels, or null if empty. */
  tightBox(): [number, number, number, number] | null {
    let minX = Infinity;
    let minY = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    for (let r = 0; r < this.height; r++) {
      for (let c = 0; c < this.width; c++) {
        if (this.data[r * this.width + c] !== 1) continue;
        if (c < minX) minX = c;
        if (c > maxX) maxX = c;
        if (r < minY) minY = r;
        if (r > maxY) maxY = r;
      }
    }
    if (minX === Infinity) return null;
    return [this.x + minX, this.y + minY, maxX - minX + 1, maxY - minY + 1];
  }
}

/** Column-major run lengths written `n` pixels of one value at a time; runs start with 0s. */
export function runWriter(): { push(value: number, n: number): void; finish(): number[] } {
  const runs: number[] = [];
  let current = 0; // value of the run being counted
  let length = 0;
  return {
    push(value, n) {
      if (n <= 0) return;
      if (value === current) {
        length += n;
        return;
      }
      runs.push(length);
      current = value;
      length = n;
    },
    finish() {
      runs.push(length);
      return runs;
    },
  };
}

/** Full-image column-major run lengths of a cropped bitmap on a `w` x `h` image. */
export function bitmapRuns(bm: MaskBitmap, w: number, h: number): number[] {
  const { push, finish } = runWriter();
  const x0 = Math.max(0, bm.x);
  const x1 = Math.min(w, bm.x + bm.width);
  const y0 = Math.max(0, bm.y);
  const y1 = Math.min(h, bm.y + bm.height);
  if (x1 <= x0 || y1 <= y0) return [w * h];
  push(0, x0 * h);
  for (let px = x0; px < x1; px++) {
    push(0, y0);
    for (let py = y0; py < y1; py++) push(bm.data[(py - bm.y) * bm.width + (px - bm.x)] === 1 ? 1 : 0, 1);
    push(0, h - y1);
  }
  push(0, (w - x1) * h);
  return finish();
}

/** The canonical mask geometry of a bitmap on a `w` x `h` image, or null if no pixel is set. */
export function bitmapToMask(bm: MaskBitmap, w: number, h: number): Mask | null {
  const box = bm.tightBox();
  if (!box) return null;
  return { rle: { size: [h, w], counts: encodeCounts(bitmapRuns(bm, w, h)) }, bbox: box };
}

/** The inclusive pixel bounds of the set pixels of column-major runs on an image `h` high; null if none is set. */
function runBounds(runs: readonly number[], h: number): { minX: number; minY: number; maxX: number; maxY: number } | null {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -1;
  let maxY = -1;
  let start = 0;
  runs.forEach((n, i) => {
    if (i % 2 === 1 && n > 0) {
      const a = start;
      const b = start + n - 1;
      const ax = Math.floor(a / h);
      const bx = Math.floor(b / h);
      minX = Math.min(minX, ax);
      maxX = Math.max(maxX, bx);
      if (ax === bx) {
        minY = Math.min(minY, a % h);
        maxY = Math.max(maxY, b % h);
      } else {
        // A run across a column boundary holds the column's last row and the next one's first.
        minY = 0;
        maxY = h - 1;
      }
    }
    start += n;
  });
  return maxX < 0 ? null : { minX, minY, maxX, maxY };
}

/**
 * `mask` moved by whole pixels (`dx`, `dy`), without a bitmap: in column-major order a move that
 * keeps every set pixel inside the image shifts every run by `dx * h + dy`, so only the leading
 * and trailing 0-runs change (the result is what `bitmapToMask` would give). Null when a set
 * pixel would leave the image, or the mask is malformed or empty.
 */
export function translateMask(mask: Mask, dx: number, dy: number): Mask | null {
  const [h, w] = mask.rle.size;
  const runs = maskRuns(mask);
  if (!runs || h <= 0 || !Number.isInteger(dx) || !Number.isInteger(dy)) return null;
  const b = runBounds(runs, h);
  if (!b || b.minX + dx < 0 || b.maxX + dx >= w || b.minY + dy < 0 || b.maxY + dy >= h) return null;
  const delta = dx * h + dy;
  const out = runs.slice();
  out[0] = (out[0] as number) + delta;
  if (out.length % 2 === 0) out.push(0); // ends with set pixels: a trailing 0-run to take the shift
  out[out.length - 1] = (out[out.length - 1] as number) - delta;
  if (out[out.length - 1] === 0) out.pop();
  const bbox: [number, number, number, number] = [b.minX + dx, b.minY + dy, b.maxX - b.minX + 1, b.maxY - b.minY + 1];
  return { rle: { size: [h, w], counts: encodeCounts(out) }, bbox };
}

/** A mask's pixels as a bitmap cropped to its set pixels (empty bitmap if it is malformed). */
export function maskToBitmap(mask: Mask): MaskBitmap {
  const [h] = mask.rle.size;
  const runs = maskRuns(mask);
  if (!runs || h <= 0) return new MaskBitmap();
  // First pass: bounds of the set pixels.
  const bounds = runBounds(runs, h);
  if (!bounds) return new MaskBitmap();
  const { minX, minY, maxX, maxY } = bounds;
  const bm = new MaskBitmap(minX, minY, maxX - minX + 1, maxY - minY + 1);
  bm.data = new Uint8Array(bm.width * bm.height);
  let start = 0;
  runs.forEach((n, i) => {
    if (i % 2 === 1) {
      for (let k = start; k < start + n; k++) {
        const px = Math.floor(k / h);
        const py = k % h;
        bm.data[(py - bm.y) * bm.width + (px - bm.x)] = 1;
      }
    }
    start += n;
  });
  return bm;
}
