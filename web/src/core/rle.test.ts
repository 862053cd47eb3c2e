import { describe, expect, it } from 'vitest';
import { decodeCounts, maskContains } from './rle';
import type { Mask } from './geometry';

describe('decodeCounts', () => {
  // The server's test vectors (pycocotools' rleToString), shared so the two cannot drift.
  it.each([
    ['352', [3, 5, 2]],
    ['0T3', [0, 100]],
    ['1238', [1, 2, 3, 10]],
    ['', []],
    ['PP\\9', [307200]],
    ['05PeQ3Na[nLmooo0@PPPPOW1', [0, 5, 100000, 3, 17, 2 ** 20, 1, 0, 40]],
    ['5T33mLU6OWb9<bWF', [5, 100, 3, 1, 200, 0, 9999, 12, 1]],
  ])('decodes %j', (text, counts) => {
    expect(decodeCounts(text)).toEqual(counts);
  });

  it.each(['p', '0 ', 'T', '1\x00'])('rejects malformed %j', (text) => {
    expect(decodeCounts(text)).toBeNull();
  });
});

describe('maskContains', () => {
  // 6 rows x 5 columns, column-major: a 2x3 block at columns 2-3, rows 1-3.
  const mask: Mask = { rle: { size: [6, 5], counts: '=3305' }, bbox: [2, 1, 2, 3] };

  it('reads pixels in column-major order', () => {
    expect(maskContains(mask, 2.5, 1.5)).toBe(true);
    expect(maskContains(mask, 3.9, 3.9)).toBe(true);
    expect(maskContains(mask, 1.5, 1.5)).toBe(false);
    expect(maskContains(mask, 2.5, 4.5)).toBe(false);
    expect(maskContains(mask, 9, 1)).toBe(false);
  });

  it('accepts uncompressed counts', () => {
    expect(maskContains({ rle: { size: [6, 5], counts: [13, 3, 3, 3, 8] } }, 3, 2)).toBe(true);
  });
});
