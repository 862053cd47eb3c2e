import { describe, expect, it } from 'vitest';
import { MaskBitmap, bitmapToMask, maskContains, maskToBitmap, type Mask } from '../core';
import { MaskPaintCore, encodeBitmap, rgbaWord } from './mask-paint';

const W = 120;
const H = 90;

/** A stroke of `points` with radius `r`, the way the brush did it on the main thread. */
function direct(points: [number, number][], r: number, value: 0 | 1 = 1, base = new MaskBitmap()): MaskBitmap {
  const [first, ...rest] = points as [[number, number], ...[number, number][]];
  base.disc(first[0], first[1], r, value, W, H);
  let last = first;
  for (const p of rest) {
    base.line(last[0], last[1], p[0], p[1], r, value, W, H);
    last = p;
  }
  return base;
}

/** The same stroke as flat segments (a dab, then one segment per move). */
function segments(points: [number, number][], r: number): number[] {
  const out: number[] = [];
  points.forEach((p, i) => {
    const a = points[i - 1] ?? p;
    out.push(a[0], a[1], p[0], p[1], r);
  });
  return out;
}

const ZIGZAG: [number, number][] = [[10, 10], [30, 14], [50, 40], [20, 60], [70, 70], [110, 85], [119, 5]];

function begin(core: MaskPaintCore, base: Mask | null = null, erase = false, color = '#ff8000') {
  core.handle({ op: 'begin', stroke: 1, base, erase, width: W, height: H, color, commitColor: color });
}

describe('MaskPaintCore', () => {
  it('paints the same mask as the brush did, whatever the batching', () => {
    const want = bitmapToMask(direct(ZIGZAG, 4), W, H);
    const segs = segments(ZIGZAG, 4);
    for (const batch of [5, 10, 15, segs.length]) {
      const core = new MaskPaintCore();
      begin(core);
      for (let i = 0; i < segs.length; i += batch) core.handle({ op: 'paint', stroke: 1, segments: segs.slice(i, i + batch) });
      const end = core.handle({ op: 'end', stroke: 1 });
      expect(end).toMatchObject({ op: 'ended', stroke: 1, mask: want });
      expect(core.open).toBe(0);
    }
  });

  it('keeps the preview pixels in step with the bitmap as it grows and as batches touch it', () => {
    const core = new MaskPaintCore();
    begin(core);
    const segs = segments(ZIGZAG, 3);
    const word = rgbaWord('#ff8000');
    expect(word).toBe(0xff0080ff);
    for (let i = 0; i < segs.length; i += 5) {
      const reply = core.handle({ op: 'paint', stroke: 1, segments: segs.slice(i, i + 5) });
      const px = reply?.op === 'painted' ? reply.pixels : null;
      // After every batch: exactly the pixels of the stroke so far, in its colour, else clear.
      const soFar = direct(ZIGZAG.slice(0, i / 5 + 1), 3);
      const words = new Uint32Array((px?.rgba as Uint8ClampedArray).buffer);
      const wrong: string[] = [];
      for (let y = 0; y < (px?.height ?? 0); y++) {
        for (let x = 0; x < (px?.width ?? 0); x++) {
          const ix = x + (px?.x ?? 0);
          const iy = y + (px?.y ?? 0);
          if (words[y * (px?.width ?? 0) + x] !== (soFar.get(ix, iy) ? word : 0)) wrong.push(`${ix},${iy}`);
        }
      }
      expect(wrong, `after batch ${i / 5}`).toEqual([]);
      // The crop holds every set pixel (it grows with slack, so it may hold more).
      const box = soFar.tightBox() as [number, number, number, number];
      expect(box[0]).toBeGreaterThanOrEqual(px?.x ?? Infinity);
      expect(box[0] + box[2]).toBeLessThanOrEqual((px?.x ?? 0) + (px?.width ?? 0));
    }
  });

  it('erases from a copy of the base mask, removes it when empty, and renders committed masks', () => {
    const base = bitmapToMask(direct([[20, 20], [60, 20]], 5), W, H) as Mask;
    const core = new MaskPaintCore();
    begin(core, base, true, '#ffffff');
    core.handle({ op: 'paint', stroke: 1, segments: segments([[20, 20]], 6) });
    const ended = core.handle({ op: 'end', stroke: 1 });
    const mask = ended?.op === 'ended' ? ended.mask : null;
    expect(maskContains(mask as Mask, 20, 20)).toBe(false);
    expect(maskContains(mask as Mask, 50, 20)).toBe(true);
    expect(maskContains(base, 20, 20)).toBe(true); // the base is a value: untouched

    begin(core, base, true);
    core.handle({ op: 'paint', stroke: 1, segments: segments([[10, 20], [70, 20]], 8) });
    expect(core.handle({ op: 'end', stroke: 1 })).toEqual({ op: 'ended', stroke: 1, mask: null, pixels: null });

    const rendered = core.handle({ op: 'render', key: 7, mask: base, color: '#00ff00' });
    expect(rendered).toMatchObject({ op: 'rendered', key: 7, pixels: { x: 15, y: 15, width: 50, height: 10 } });
    const px = rendered?.op === 'rendered' ? rendered.pixels : null;
    const at = (x: number, y: number) => new Uint32Array((px?.rgba as Uint8ClampedArray).buffer)[(y - (px?.y ?? 0)) * (px?.width ?? 0) + (x - (px?.x ?? 0))];
    expect(at(40, 20)).toBe(rgbaWord('#00ff00'));
    expect(at(40, 24)).toBe(rgbaWord('#00ff00'));
    expect(at(15, 15)).toBe(0);
  });

  it('ignores requests for strokes it does not know, and aborts', () => {
    const core = new MaskPaintCore();
    expect(core.handle({ op: 'paint', stroke: 9, segments: [1, 1, 1, 1, 1] })).toBeNull();
    expect(core.handle({ op: 'end', stroke: 9 })).toBeNull();
    begin(core);
    core.handle({ op: 'abort', stroke: 1 });
    expect(core.open).toBe(0);
  });
});

describe('encodeBitmap', () => {
  /** Deterministic PRNG (mulberry32). */
  function rng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  it('gives exactly what bitmapToMask gives', () => {
    const r = rng(3);
    for (let n = 0; n < 60; n++) {
      // Crops inside, across the edges and outside the image; sparse to dense; pixels set only
      // inside the image (the brush clips to it).
      const bm = new MaskBitmap(Math.floor(r() * 140) - 20, Math.floor(r() * 110) - 20, Math.floor(r() * 50), Math.floor(r() * 50));
      const density = [0.02, 0.5, 0.97][n % 3] as number;
      bm.data = new Uint8Array(bm.width * bm.height).map((_, i) => {
        const x = bm.x + (i % bm.width);
        const y = bm.y + Math.floor(i / bm.width);
        return x >= 0 && y >= 0 && x < W && y < H && r() < density ? 1 : 0;
      });
      const want = bitmapToMask(bm, W, H);
      expect(encodeBitmap(bm, W, H), `case ${n}`).toEqual(want);
      if (want) expect(maskToBitmap(want).count()).toBe(bm.count());
    }
    // Whole columns set (a run crossing columns) and the full image.
    const full = new MaskBitmap(0, 0, W, H, new Uint8Array(W * H).fill(1));
    expect(encodeBitmap(full, W, H)).toEqual(bitmapToMask(full, W, H));
    const cols = new MaskBitmap(10, 0, 3, H, new Uint8Array(3 * H).fill(1));
    expect(encodeBitmap(cols, W, H)).toEqual(bitmapToMask(cols, W, H));
  });
});
