import { describe, expect, it } from 'vitest';
import { MaskBitmap, bitmapRuns, bitmapToMask, encodeCounts, maskToBitmap, translateMask } from './mask';
import { decodeCounts, maskContains } from './rle';

describe('COCO RLE encode', () => {
  it('round-trips run lengths through the compressed string', () => {
    const cases = [[0], [12], [3, 4, 5], [0, 7, 1, 100, 2, 3], [1000000, 5, 2_000_000, 1, 0, 64], [5, 1, 5, 1, 5, 1, 5, 30]];
    for (const runs of cases) expect(decodeCounts(encodeCounts(runs))).toEqual(runs);
  });
  it('encodes a known mask as the server decodes it', () => {
    // A 4x4 mask with a 2x2 square at rows 1-2, cols 1-2 (column-major runs [5,2,2,2,5]); the
    // server's decode_coco_rle('52203') gives the same runs.
    expect(encodeCounts([5, 2, 2, 2, 5])).toBe('52203');
    expect(decodeCounts('52203')).toEqual([5, 2, 2, 2, 5]);
  });
  it('round-trips random masks through bitmaps and the full-image RLE', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let t = 0; t < 20; t++) {
      const w = 5 + Math.floor(rand() * 30);
      const h = 5 + Math.floor(rand() * 30);
      const bm = new MaskBitmap();
      for (let s = 0; s < 4; s++) bm.disc(rand() * w, rand() * h, 1 + rand() * 4, 1, w, h);
      const mask = bitmapToMask(bm, w, h);
      if (!mask) continue;
      const runs = decodeCounts(mask.rle.counts as string) as number[];
      expect(runs.reduce((a, b) => a + b, 0)).toBe(w * h);
      for (let x = 0; x < w; x++) for (let y = 0; y < h; y++) expect(maskContains(mask, x + 0.5, y + 0.5)).toBe(bm.get(x, y));
      const back = maskToBitmap(mask);
      expect([back.x, back.y, back.width, back.height]).toEqual(mask.bbox);
      expect(bitmapRuns(back, w, h)).toEqual(runs);
    }
  });
  it('moves a mask on its runs exactly as through a bitmap, and refuses moves off the image', () => {
    let seed = 11;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    let moved = 0;
    let refused = 0;
    for (let t = 0; t < 400; t++) {
      const w = 3 + Math.floor(rand() * 20);
      const h = 3 + Math.floor(rand() * 20);
      const bm = new MaskBitmap();
      for (let s = 0; s < 1 + Math.floor(rand() * 3); s++) bm.disc(rand() * w, rand() * h, 0.5 + rand() * 3, 1, w, h);
      const mask = bitmapToMask(bm, w, h);
      if (!mask) continue;
      const dx = Math.floor(rand() * 9) - 4;
      const dy = Math.floor(rand() * 9) - 4;
      const [bx, by, bw, bh] = mask.bbox as [number, number, number, number];
      const fits = bx + dx >= 0 && bx + bw + dx <= w && by + dy >= 0 && by + bh + dy <= h;
      const fast = translateMask(mask, dx, dy);
      if (!fits) {
        expect(fast).toBeNull();
        refused++;
        continue;
      }
      const slow = maskToBitmap(mask);
      slow.x += dx;
      slow.y += dy;
      expect(fast).toEqual(bitmapToMask(slow, w, h));
      moved++;
    }
    expect(moved).toBeGreaterThan(20); // both branches were exercised
    expect(refused).toBeGreaterThan(20);
    // A mask touching the last pixel (its runs end with set pixels) moves back and forth.
    const corner = bitmapToMask(Object.assign(new MaskBitmap(3, 2, 1, 1), { data: new Uint8Array([1]) }), 4, 3) as NonNullable<ReturnType<typeof bitmapToMask>>;
    expect(decodeCounts(corner.rle.counts as string)).toEqual([11, 1]);
    const left = translateMask(corner, -3, -2);
    expect(decodeCounts(left?.rle.counts as string)).toEqual([0, 1, 11]);
    expect(translateMask(left!, 3, 2)).toEqual(corner);
    expect(translateMask(corner, 1, 0)).toBeNull();
    expect(translateMask(corner, 0.5, 0)).toBeNull(); // whole pixels only
  });

  it('encodes an empty bitmap as one run and gives no mask', () => {
    expect(bitmapRuns(new MaskBitmap(), 4, 3)).toEqual([12]);
    expect(bitmapToMask(new MaskBitmap(), 4, 3)).toBeNull();
  });
  it('grows the crop and clears with the eraser', () => {
    const bm = new MaskBitmap();
    bm.line(2, 2, 8, 2, 1, 1, 20, 10);
    expect(bm.get(5, 2)).toBe(true);
    expect(bm.tightBox()).toEqual([1, 1, 8, 2]);
    bm.disc(5, 2, 2, 0, 20, 10);
    expect(bm.get(5, 2)).toBe(false);
    expect(bm.get(1, 1)).toBe(true);
  });
});
