import { describe, expect, it } from 'vitest';
import { AnnotationDocument, type Region } from '../core/document';
import { UpdateGeometry } from '../core/commands';
import { SpatialIndex } from './spatial';
import { box, polygon } from '../test/fixtures';

function indexOf(regions: Region[]): { doc: AnnotationDocument; index: SpatialIndex } {
  const doc = new AnnotationDocument(regions);
  const index = new SpatialIndex();
  index.rebuild(doc);
  return { doc, index };
}

/** n boxes on a 100-column grid with 20 px pitch. */
function grid(n: number): Region[] {
  return Array.from({ length: n }, (_, i) => box(`b${i}`, (i % 100) * 20, Math.floor(i / 100) * 20, 10, 10));
}

describe('SpatialIndex.hitTest', () => {
  it('picks the topmost of overlapping shapes', () => {
    const { doc, index } = indexOf([box('low', 0, 0, 100, 100), box('mid', 10, 10, 50, 50), box('top', 20, 20, 10, 10)]);
    expect(index.hitTest([25, 25], 0, 1)).toBe('top');
    expect(index.hitTest([45, 45], 0, 1)).toBe('mid');
    expect(index.hitTest([90, 90], 0, 1)).toBe('low');
    expect(index.hitTest([150, 150], 0, 1)).toBeNull();
    doc.setOrder(['top', 'mid', 'low']);
    expect(index.hitTest([25, 25], 0, 1)).toBe('low');
  });

  it('tests the shape, not its bounding box', () => {
    // A triangle whose bbox covers (9, 1) but whose shape does not.
    const { index } = indexOf([box('under', 0, 0, 10, 10), polygon('tri', [[0, 0], [10, 10], [0, 10]])]);
    expect(index.hitTest([9, 1], 0, 1)).toBe('under');
    expect(index.hitTest([1, 9], 0, 1)).toBe('tri');
  });

  it('handles rotated boxes', () => {
    // 45-degree diamond centred at (50, 50); its bbox corner (52, 52 - 7) is outside the shape.
    const { index } = indexOf([box('r', 40, 40, 20, 20, { rotation: 45 })]);
    expect(index.hitTest([50, 50], 0, 1)).toBe('r');
    expect(index.hitTest([63, 50], 0, 1)).toBe('r'); // inside the turned corner, outside the unrotated box
    expect(index.hitTest([41, 41], 0, 1)).toBeNull(); // inside the unrotated box, outside the diamond
  });

  it('scales the tolerance with zoom', () => {
    const { index } = indexOf([box('a', 0, 0, 10, 10)]);
    // 3 image px right of the edge is 6 screen px at scale 2, 3 at scale 1, 1.5 at scale 0.5.
    expect(index.hitTest([13, 5], 4, 2)).toBeNull();
    expect(index.hitTest([13, 5], 4, 1)).toBe('a');
    expect(index.hitTest([13, 5], 4, 0.5)).toBe('a');
    expect(index.hitTest([13, 5], 2, 1)).toBeNull();
    expect(index.hitTest([13, 5], 6, 2)).toBe('a');
  });

  it('hits keypoints within tolerance and masks by pixel', () => {
    const kp: Region = { id: 'kp', tool: 'pose', type: 'keypoints', label: 'p', geometry: { points: [[100, 100, 2], [0, 0, 0]] }, attributes: {}, origin: 'human' };
    const mask: Region = { id: 'm', tool: 'seg', type: 'mask', label: 'road', geometry: { rle: { size: [6, 5], counts: '=3305' }, bbox: [2, 1, 2, 3] }, attributes: {}, origin: 'human' };
    const { index } = indexOf([kp, mask]);
    expect(index.hitTest([103, 100], 4, 1)).toBe('kp');
    expect(index.hitTest([0, 0], 4, 1)).toBeNull(); // unlabelled keypoint
    expect(index.hitTest([2.5, 2.5], 4, 1)).toBe('m');
    expect(index.hitTest([1.5, 2.5], 0, 1)).toBeNull();
  });

  it('skips hidden regions and follows document changes', () => {
    const doc = new AnnotationDocument([box('a', 0, 0, 10, 10), box('b', 0, 0, 10, 10)]);
    const index = new SpatialIndex();
    const stop = index.follow(doc);
    expect(index.hitTest([5, 5], 0, 1)).toBe('b');
    doc.setFlags('b', { hidden: true });
    expect(index.hitTest([5, 5], 0, 1)).toBe('a');
    new UpdateGeometry('a', { x: 50, y: 50, width: 10, height: 10, rotation: 0 }).apply(doc);
    expect(index.hitTest([5, 5], 0, 1)).toBeNull();
    expect(index.hitTest([55, 55], 0, 1)).toBe('a');
    doc.delete('a');
    expect(index.size).toBe(0);
    stop();
  });
});

describe('SpatialIndex.search', () => {
  it('returns only the visible ids of 10,000 boxes, in z-order', () => {
    const { index } = indexOf(grid(10_000));
    expect(index.size).toBe(10_000);
    // Columns 0-4 (x 0..90) and rows 0-2 (y 0..50): 5 x 3 boxes.
    const ids = index.search({ minX: 0, minY: 0, maxX: 95, maxY: 55 });
    const expected = [0, 1, 2].flatMap((row) => [0, 1, 2, 3, 4].map((col) => `b${row * 100 + col}`));
    expect(ids).toEqual(expected);
    expect(index.search({ minX: 5000, minY: 5000, maxX: 6000, maxY: 6000 })).toEqual([]);
  });

  it('updates and removes incrementally', () => {
    const { doc, index } = indexOf(grid(10));
    new UpdateGeometry('b0', { x: 1000, y: 1000, width: 5, height: 5, rotation: 0 }).apply(doc);
    index.update('b0');
    expect(index.search({ minX: 999, minY: 999, maxX: 1001, maxY: 1001 })).toEqual(['b0']);
    index.remove('b0');
    expect(index.search({ minX: 999, minY: 999, maxX: 1001, maxY: 1001 })).toEqual([]);
  });
});
