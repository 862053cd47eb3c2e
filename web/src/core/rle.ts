/**
 * COCO run-length encoding, read side: decode the compressed string form and test pixels.
 * Runs alternate 0s and 1s starting with 0s, over the image in column-major (Fortran) order.
 */

import type { Mask } from './geometry';

/** Run lengths of a COCO compressed RLE string; null if it is malformed. */
export function decodeCounts(counts: string): number[] | null {
  // Each count is a signed base-32 varint in chars '0'..'o' (0x20 = more, 0x10 = sign on the
  // last char); from the fourth count on it is a delta to the count two places back.
  const runs: number[] = [];
  let value = 0;
  let k = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts.charCodeAt(i) - 48;
    if (c < 0 || c >= 64) return null;
    value += (c & 0x1f) * 2 ** (5 * k);
    k++;
    if (c & 0x20) continue;
    if (c & 0x10) value -= 2 ** (5 * k); // sign-extend without 32-bit shifts
    if (runs.length > 2) value += runs[runs.length - 2] as number;
    if (value < 0) return null;
    runs.push(value);
    value = 0;
    k = 0;
  }
  return k === 0 ? runs : null;
}

const cache = new WeakMap<Mask, number[] | null>();

/** The mask's run lengths (decoded once per mask object). */
export function maskRuns(mask: Mask): number[] | null {
  const hit = cache.get(mask);
  if (hit !== undefined) return hit;
  const { counts } = mask.rle;
  const runs = typeof counts === 'string' ? decodeCounts(counts) : counts;
  cache.set(mask, runs);
  return runs;
}

/** True if the image pixel containing (x, y) is set in the mask. */
export function maskContains(mask: Mask, x: number, y: number): boolean {
  const [h, w] = mask.rle.size;
  const px = Math.floor(x);
  const py = Math.floor(y);
  if (px < 0 || py < 0 || px >= w || py >= h) return false;
  const runs = maskRuns(mask);
  if (!runs) return false;
  const index = px * h + py;
  let start = 0;
  for (let i = 0; i < runs.length; i++) {
    start += runs[i] as number;
    if (index < start) return i % 2 === 1;
  }
  return false;
}
