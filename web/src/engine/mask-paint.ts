/**
 * The heavy half of mask painting, as pure message handling so that the same code runs in the
 * mask worker (mask.worker.ts) and, where there is no Worker (Vitest, old browsers), on the main
 * thread: stamping brush segments into a stroke's bitmap (cropped to the object's box, grown
 * while painting), COCO RLE decoding and encoding, and the RGBA pixels the canvas shows.
 *
 * Requests: `begin` a stroke (on a copy of an existing mask or a new one), `paint` a batch of
 * segments, `end` it (the mask geometry, or null when nothing is left), `abort` it; `render` a
 * committed mask. Replies carry pixels as `MaskPixels` (RGBA of the crop).
 */

import { MaskBitmap, encodeCounts, maskToBitmap, runWriter, type Mask } from '../core';

export interface BeginStroke {
  op: 'begin';
  stroke: number;
  /** The mask painted on (copied), or null for a new one. */
  base: Mask | null;
  erase: boolean;
  /** Image size in pixels. */
  width: number;
  height: number;
  /** Colour of the preview pixels, and of the pixels `end` returns for display. */
  color: string;
  commitColor: string;
}

export type MaskRequest =
  | BeginStroke
  /** Segments, 5 numbers each: from (ax, ay) to (bx, by) with radius r (image px); a dab when a = b. */
  | { op: 'paint'; stroke: number; segments: number[] }
  | { op: 'end'; stroke: number }
  | { op: 'abort'; stroke: number }
  | { op: 'render'; key: number; mask: Mask; color: string };

/**
 * Pixels of the image rectangle [x, x + width) x [y, y + height): RGBA from the core; the worker
 * sends them on as an ImageBitmap (`bitmap`, and `rgba` null) so the main thread only draws them.
 */
export interface MaskPixels {
  x: number;
  y: number;
  width: number;
  height: number;
  rgba: Uint8ClampedArray<ArrayBuffer> | null;
  bitmap?: ImageBitmap;
}

export type MaskReply =
  | { op: 'painted'; stroke: number; pixels: MaskPixels | null }
  /** `pixels` null with a mask: the last `painted` pixels are the mask's (same colour). */
  | { op: 'ended'; stroke: number; mask: Mask | null; pixels: MaskPixels | null }
  | { op: 'rendered'; key: number; pixels: MaskPixels | null }
  /** The worker could not load or a request threw: the painter carries on without it. */
  | { op: 'failed'; message: string };

/** '#rrggbb' as one little-endian RGBA word (opaque). */
export function rgbaWord(color: string): number {
  const r = parseInt(color.slice(1, 3), 16) || 0;
  const g = parseInt(color.slice(3, 5), 16) || 0;
  const b = parseInt(color.slice(5, 7), 16) || 0;
  return ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0;
}

/** RGBA of a bitmap's crop: `color` where set, transparent elsewhere (null for an empty bitmap). */
export function bitmapPixels(bm: MaskBitmap, color: string): (MaskPixels & { rgba: Uint8ClampedArray<ArrayBuffer> }) | null {
  if (bm.width <= 0 || bm.height <= 0) return null;
  const rgba = new Uint8ClampedArray(bm.width * bm.height * 4);
  fillWords(new Uint32Array(rgba.buffer), bm, rgbaWord(color), 0, 0, bm.width, bm.height);
  return { x: bm.x, y: bm.y, width: bm.width, height: bm.height, rgba };
}

/** Write the words of crop columns [c0, c1) x rows [r0, r1). */
function fillWords(words: Uint32Array, bm: MaskBitmap, word: number, c0: number, r0: number, c1: number, r1: number): void {
  const { data, width } = bm;
  for (let r = r0; r < r1; r++) {
    const row = r * width;
    for (let i = row + c0; i < row + c1; i++) words[i] = data[i] === 1 ? word : 0;
  }
}

interface Stroke {
  bitmap: MaskBitmap;
  value: 0 | 1;
  width: number;
  height: number;
  color: string;
  commitColor: string;
  /** Preview pixels, kept in step with the bitmap (redrawn where a batch painted). */
  pixels: (MaskPixels & { rgba: Uint8ClampedArray<ArrayBuffer> }) | null;
}

/** Handles mask requests; one per worker (or per page without workers). */
export class MaskPaintCore {
  private readonly strokes = new Map<number, Stroke>();

  /** Strokes begun and not yet ended or aborted. */
  get open(): number {
    return this.strokes.size;
  }

  handle(req: MaskRequest): MaskReply | null {
    switch (req.op) {
      case 'begin': {
        const bitmap = req.base ? maskToBitmap(req.base) : new MaskBitmap();
        const stroke: Stroke = { bitmap, value: req.erase ? 0 : 1, width: req.width, height: req.height, color: req.color, commitColor: req.commitColor, pixels: null };
        stroke.pixels = bitmapPixels(bitmap, req.color);
        this.strokes.set(req.stroke, stroke);
        return null;
      }
      case 'paint': {
        const s = this.strokes.get(req.stroke);
        if (!s) return null;
        paintSegments(s, req.segments);
        return { op: 'painted', stroke: req.stroke, pixels: s.pixels };
      }
      case 'end': {
        const s = this.strokes.get(req.stroke);
        if (!s) return null;
        this.strokes.delete(req.stroke);
        const mask = encodeBitmap(s.bitmap, s.width, s.height);
        const pixels = !mask || s.commitColor === s.color ? null : bitmapPixels(s.bitmap, s.commitColor);
        return { op: 'ended', stroke: req.stroke, mask, pixels };
      }
      case 'abort':
        this.strokes.delete(req.stroke);
        return null;
      case 'render':
        return { op: 'rendered', key: req.key, pixels: bitmapPixels(maskToBitmap(req.mask), req.color) };
    }
  }
}

/** Stamp `segments` (flat, 5 numbers each) and bring the preview pixels up to date. */
function paintSegments(s: Stroke, segments: readonly number[]): void {
  const bm = s.bitmap;
  const before = { x: bm.x, y: bm.y, width: bm.width, height: bm.height };
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (let i = 0; i + 4 < segments.length; i += 5) {
    const ax = segments[i] as number;
    const ay = segments[i + 1] as number;
    const bx = segments[i + 2] as number;
    const by = segments[i + 3] as number;
    const r = segments[i + 4] as number;
    if (s.value === 1) grow(bm, ax, ay, bx, by, r, s.width, s.height);
    if (ax === bx && ay === by) bm.disc(ax, ay, r, s.value, s.width, s.height);
    else bm.line(ax, ay, bx, by, r, s.value, s.width, s.height);
    const reach = Math.max(0.5, r) + 1;
    minX = Math.min(minX, ax - reach, bx - reach);
    minY = Math.min(minY, ay - reach, by - reach);
    maxX = Math.max(maxX, ax + reach, bx + reach);
    maxY = Math.max(maxY, ay + reach, by + reach);
  }
  const grew = bm.x !== before.x || bm.y !== before.y || bm.width !== before.width || bm.height !== before.height;
  if (!s.pixels || s.pixels.width === 0) {
    s.pixels = bitmapPixels(bm, s.color);
    return;
  }
  if (grew) {
    // Move the pixels drawn so far into the grown crop, row by row, then draw what is new.
    const old = s.pixels;
    const rgba = new Uint8ClampedArray(bm.width * bm.height * 4);
    for (let r = 0; r < old.height; r++) {
      rgba.set(old.rgba.subarray(r * old.width * 4, (r + 1) * old.width * 4), ((r + old.y - bm.y) * bm.width + (old.x - bm.x)) * 4);
    }
    s.pixels = { x: bm.x, y: bm.y, width: bm.width, height: bm.height, rgba };
  }
  // Redraw only the rows and columns this batch could have touched.
  const c0 = Math.max(0, Math.floor(minX) - bm.x);
  const r0 = Math.max(0, Math.floor(minY) - bm.y);
  const c1 = Math.min(bm.width, Math.ceil(maxX) - bm.x);
  const r1 = Math.min(bm.height, Math.ceil(maxY) - bm.y);
  if (c1 > c0 && r1 > r0) fillWords(new Uint32Array(s.pixels.rgba.buffer), bm, rgbaWord(s.color), c0, r0, c1, r1);
}

/**
 * Make room for a segment before stamping it, with slack: the crop then grows (a copy of the
 * whole bitmap, and new preview pixels) every so often instead of at every batch of a stroke
 * that keeps leaving it. The slack is transparent; the mask's bbox is the set pixels' own.
 */
function grow(bm: MaskBitmap, ax: number, ay: number, bx: number, by: number, radius: number, w: number, h: number): void {
  const r = Math.max(0.5, radius);
  const minX = Math.max(0, Math.floor(Math.min(ax, bx) - r));
  const minY = Math.max(0, Math.floor(Math.min(ay, by) - r));
  const maxX = Math.min(w, Math.ceil(Math.max(ax, bx) + r));
  const maxY = Math.min(h, Math.ceil(Math.max(ay, by) + r));
  if (minX >= maxX || minY >= maxY) return;
  if (bm.width > 0 && minX >= bm.x && minY >= bm.y && maxX <= bm.x + bm.width && maxY <= bm.y + bm.height) return;
  const pad = Math.max(64, Math.round(Math.max(bm.width, bm.height) / 4));
  bm.ensure(Math.max(0, minX - pad), Math.max(0, minY - pad), Math.min(w, maxX + pad), Math.min(h, maxY + pad));
}

/**
 * `bitmapToMask` (core/mask.ts) reading the bitmap row by row (the RLE is column-major: reading
 * it column by column strides through memory and is ~4x slower on big masks): the same canonical
 * geometry, full-image COCO RLE + the set pixels' bbox, or null if none is set. Pixels outside the
 * image must be clear (the brush never sets them).
 */
export function encodeBitmap(bm: MaskBitmap, w: number, h: number): Mask | null {
  const { data, width } = bm;
  const x0 = Math.max(0, bm.x);
  const x1 = Math.min(w, bm.x + width);
  const y0 = Math.max(0, bm.y);
  const y1 = Math.min(h, bm.y + bm.height);
  if (x1 <= x0 || y1 <= y0) return null;
  const cols = x1 - x0;
  // Per column, the rows where the value flips (from 0 above the crop).
  const flips: number[][] = Array.from({ length: cols }, () => []);
  const prev = new Uint8Array(cols);
  let minY = -1;
  let maxY = -1;
  for (let py = y0; py < y1; py++) {
    const row = (py - bm.y) * width + (x0 - bm.x);
    let any = false;
    for (let c = 0; c < cols; c++) {
      const v = data[row + c] === 1 ? 1 : 0;
      if (v !== prev[c]) {
        (flips[c] as number[]).push(py);
        prev[c] = v;
      }
      if (v) any = true;
    }
    if (any) {
      if (minY < 0) minY = py;
      maxY = py;
    }
  }
  if (minY < 0) return null;
  const { push: emit, finish } = runWriter();
  let minX = -1;
  let maxX = -1;
  emit(0, x0 * h);
  for (let c = 0; c < cols; c++) {
    const f = flips[c] as number[];
    if (f.length > 0) {
      if (minX < 0) minX = x0 + c;
      maxX = x0 + c;
    }
    let at = 0;
    let v = 0;
    for (const row of f) {
      emit(v, row - at);
      v = 1 - v;
      at = row;
    }
    emit(v, y1 - at);
    emit(0, h - y1);
  }
  emit(0, (w - x1) * h);
  return { rle: { size: [h, w], counts: encodeCounts(finish()) }, bbox: [minX, minY, maxX - minX + 1, maxY - minY + 1] };
}
