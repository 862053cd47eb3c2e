import { describe, expect, it } from 'vitest';
import {
  bounds,
  boxCorners,
  boxFromCorners,
  boxIoU,
  clampBox,
  clampToImage,
  distanceToSegment,
  normalizeBox,
  pointInPolygon,
  polygonArea,
  type BBox,
  type Point,
} from './geometry';

const square: Point[] = [[0, 0], [10, 0], [10, 10], [0, 10]];
const box = (x: number, y: number, width: number, height: number, rotation = 0): BBox => ({ x, y, width, height, rotation });

describe('bounds', () => {
  it('is the box itself without rotation', () => {
    expect(bounds({ type: 'bbox', geometry: box(1, 2, 3, 4) })).toEqual({ minX: 1, minY: 2, maxX: 4, maxY: 6 });
  });

  it('grows to the rotated corners (45 degrees)', () => {
    const r = bounds({ type: 'bbox', geometry: box(0, 0, 10, 10, 45) });
    const half = 5 * Math.SQRT2;
    expect(r?.minX).toBeCloseTo(5 - half, 9);
    expect(r?.maxX).toBeCloseTo(5 + half, 9);
    expect(r?.minY).toBeCloseTo(5 - half, 9);
    expect(r?.maxY).toBeCloseTo(5 + half, 9);
  });

  it('swaps width and height at 90 degrees', () => {
    const r = bounds({ type: 'bbox', geometry: box(0, 0, 20, 10, 90) });
    expect(r?.minX).toBeCloseTo(5, 9);
    expect(r?.maxX).toBeCloseTo(15, 9);
    expect(r?.minY).toBeCloseTo(-5, 9);
    expect(r?.maxY).toBeCloseTo(15, 9);
  });

  it('rotates clockwise like the server (y down)', () => {
    // The top-left corner of a 90-degree turned box lands at the top-right.
    const [tl] = boxCorners(box(0, 0, 20, 10, 90));
    expect(tl?.[0]).toBeCloseTo(15, 9);
    expect(tl?.[1]).toBeCloseTo(-5, 9);
  });

  it('ignores unlabelled keypoints and is null when none is labelled', () => {
    const geometry = { points: [[0, 0, 0], [5, 6, 2], [7, 9, 1]] as [number, number, number][] };
    expect(bounds({ type: 'keypoints', geometry })).toEqual({ minX: 5, minY: 6, maxX: 7, maxY: 9 });
    expect(bounds({ type: 'keypoints', geometry: { points: [[0, 0, 0]] } })).toBeNull();
  });

  it('uses the mask bbox, else the whole image', () => {
    const rle = { size: [40, 30] as [number, number], counts: [1200] };
    expect(bounds({ type: 'mask', geometry: { rle, bbox: [1, 2, 3, 4] } })).toEqual({ minX: 1, minY: 2, maxX: 4, maxY: 6 });
    expect(bounds({ type: 'mask', geometry: { rle } })).toEqual({ minX: 0, minY: 0, maxX: 30, maxY: 40 });
  });
});

describe('pointInPolygon', () => {
  it('finds inside and outside points', () => {
    expect(pointInPolygon([5, 5], square)).toBe(true);
    expect(pointInPolygon([15, 5], square)).toBe(false);
    expect(pointInPolygon([-0.001, 5], square)).toBe(false);
  });

  it('counts points on edges and vertices as inside', () => {
    expect(pointInPolygon([10, 5], square)).toBe(true);
    expect(pointInPolygon([0, 0], square)).toBe(true);
    expect(pointInPolygon([10, 10], square)).toBe(true);
  });

  it('counts a ray through a vertex once', () => {
    const diamond: Point[] = [[5, 0], [10, 5], [5, 10], [0, 5]];
    expect(pointInPolygon([2, 5], diamond)).toBe(true); // ray passes through vertex (10, 5)
    expect(pointInPolygon([-2, 5], diamond)).toBe(false);
    expect(pointInPolygon([5, 5], diamond)).toBe(true);
  });

  it('handles concave shapes and the even-odd rule', () => {
    const u: Point[] = [[0, 0], [3, 0], [3, 10], [7, 10], [7, 0], [10, 0], [10, 12], [0, 12]];
    expect(pointInPolygon([5, 5], u)).toBe(false); // in the notch
    expect(pointInPolygon([5, 11], u)).toBe(true);
    expect(pointInPolygon([1, 1], u)).toBe(true);
  });

  it('encloses nothing with fewer than 3 points', () => {
    expect(pointInPolygon([0, 0], [[0, 0], [1, 1]])).toBe(false);
    expect(pointInPolygon([0, 0], [])).toBe(false);
  });
});

describe('distanceToSegment', () => {
  it('measures to the interior and to the ends', () => {
    expect(distanceToSegment([5, 3], [0, 0], [10, 0])).toBe(3);
    expect(distanceToSegment([13, 4], [0, 0], [10, 0])).toBe(5);
    expect(distanceToSegment([3, 4], [0, 0], [0, 0])).toBe(5);
  });
});

describe('boxes', () => {
  it('normalizes a drag up and left, keeping the centre', () => {
    const b = normalizeBox(box(10, 10, -4, -6, 30));
    expect(b).toEqual(box(6, 4, 4, 6, 30));
    expect(boxFromCorners([10, 10], [6, 4])).toEqual(box(6, 4, 4, 6));
  });

  it('clamps to the image', () => {
    expect(clampBox(box(-5, 90, 20, 20), 100, 100)).toEqual(box(0, 90, 15, 10));
    const rotated = clampBox(box(90, 40, 20, 20, 45), 100, 100);
    for (const [x, y] of boxCorners(rotated)) {
      expect(x).toBeGreaterThanOrEqual(-1e-9);
      expect(x).toBeLessThanOrEqual(100 + 1e-9);
      expect(y).toBeGreaterThanOrEqual(-1e-9);
    }
    expect(rotated.width).toBeCloseTo(20, 9); // moved, not shrunk
  });

  it('clamps polygon points but leaves unlabelled keypoints alone', () => {
    const poly = clampToImage({ type: 'polygon', geometry: { points: [[-1, 5], [50, 120], [5, 5]] } }, 100, 100);
    expect(poly.geometry).toEqual({ points: [[0, 5], [50, 100], [5, 5]] });
    const kp = clampToImage({ type: 'keypoints', geometry: { points: [[-3, -3, 0], [120, 5, 2]] } }, 100, 100);
    expect(kp.geometry).toEqual({ points: [[-3, -3, 0], [100, 5, 2]] });
  });

  it('computes polygon area whatever the winding', () => {
    expect(polygonArea(square)).toBe(100);
    expect(polygonArea([...square].reverse())).toBe(100);
    expect(polygonArea([[0, 0], [4, 0], [0, 3]])).toBe(6);
  });
});

describe('boxIoU', () => {
  it('is 1 for identical, 0 for disjoint or touching boxes', () => {
    expect(boxIoU(box(0, 0, 10, 10), box(0, 0, 10, 10))).toBe(1);
    expect(boxIoU(box(0, 0, 10, 10), box(20, 20, 5, 5))).toBe(0);
    expect(boxIoU(box(0, 0, 10, 10), box(10, 0, 10, 10))).toBe(0);
  });

  it('computes partial overlap', () => {
    // 5x10 overlap of two 10x10 boxes: 50 / 150.
    expect(boxIoU(box(0, 0, 10, 10), box(5, 0, 10, 10))).toBeCloseTo(1 / 3, 12);
    expect(boxIoU(box(0, 0, 10, 10), box(2, 2, 5, 5))).toBeCloseTo(25 / 100, 12);
  });

  it('accepts unnormalized boxes', () => {
    expect(boxIoU(box(10, 10, -10, -10), box(0, 0, 10, 10))).toBe(1);
  });

  it('intersects rotated boxes as polygons', () => {
    expect(boxIoU(box(0, 0, 10, 10, 90), box(0, 0, 10, 10))).toBeCloseTo(1, 9);
    // A square turned 45 degrees inside itself: overlap is the regular octagon.
    const octagon = 200 * (Math.SQRT2 - 1); // area of the octagon from a 10x10 square and its 45° turn
    const iou = boxIoU(box(0, 0, 10, 10, 45), box(0, 0, 10, 10));
    expect(iou).toBeCloseTo(octagon / (200 - octagon), 9);
  });
});
