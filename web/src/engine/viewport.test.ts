import { describe, expect, it } from 'vitest';
import { Viewport } from './viewport';
import type { Point } from '../core/geometry';

describe('Viewport', () => {
  it('keeps the image point under the cursor fixed while zooming', () => {
    const v = new Viewport({ viewWidth: 800, viewHeight: 600 });
    v.fit(4000, 3000, 800, 600, 20);
    const cursors: Point[] = [[123.4, 456.7], [0, 0], [799, 599], [400, 300]];
    for (const cursor of cursors) {
      for (const factor of [1.1, 1 / 1.1, 2.5, 0.37, 7]) {
        const before = v.toImage(cursor);
        v.zoomAt(cursor, factor);
        const after = v.toImage(cursor);
        expect(Math.abs(after[0] - before[0])).toBeLessThan(1e-9);
        expect(Math.abs(after[1] - before[1])).toBeLessThan(1e-9);
      }
    }
  });

  it('clamps zoom and still keeps the point fixed', () => {
    const v = new Viewport({ minScale: 0.5, maxScale: 4, viewWidth: 100, viewHeight: 100 });
    const before = v.toImage([30, 40]);
    expect(v.zoomAt([30, 40], 100)).toBe(4);
    expect(v.toImage([30, 40])).toEqual(before);
    expect(v.zoomAt([30, 40], 1e-6)).toBe(0.5);
  });

  it('fits and centres the image', () => {
    const v = new Viewport();
    v.fit(2000, 1000, 800, 600, 50);
    expect(v.scale).toBeCloseTo(0.35, 12); // (800 - 100) / 2000
    const [cx, cy] = v.toScreen([1000, 500]);
    expect(cx).toBeCloseTo(400, 9);
    expect(cy).toBeCloseTo(300, 9);
    const [x0] = v.toScreen([0, 0]);
    expect(x0).toBeCloseTo(50, 9);
  });

  it('pans in screen pixels and converts both ways', () => {
    const v = new Viewport({ viewWidth: 200, viewHeight: 100 });
    v.zoomTo(2, [0, 0]);
    v.panBy(10, -20);
    expect(v.toScreen([5, 5])).toEqual([20, -10]);
    expect(v.toImage([20, -10])).toEqual([5, 5]);
  });

  it('reports the visible image rect', () => {
    const v = new Viewport({ viewWidth: 200, viewHeight: 100 });
    v.zoomTo(2, [0, 0]);
    v.panBy(-100, -50);
    expect(v.visibleImageRect()).toEqual({ minX: 50, minY: 25, maxX: 150, maxY: 75 });
  });

  it('gives a device-pixel transform', () => {
    const v = new Viewport();
    v.zoomTo(3, [0, 0]);
    v.panBy(4, 5);
    expect(v.transform(2)).toEqual([6, 0, 0, 6, 8, 10]);
  });
});
