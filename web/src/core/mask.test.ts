import { describe, expect, it } from 'vitest';
import { MaskBitmap, bitmapRuns, bitmapToMask, encodeCounts, maskToBitmap } from './mask';
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
