import { describe, expect, it } from 'vitest';
import { TileScheduler, quarters, tileGrid } from './raster-slices';
import type { DeviceRect } from './renderer';

const area = (ts: DeviceRect[]) => ts.reduce((a, t) => a + t.width * t.height, 0);

describe('tiles', () => {
  it('cover the surface exactly, row by row, and split into exact quarters', () => {
    const grid = tileGrid(300, 130, 128);
    expect(grid.map((t) => [t.x, t.y, t.width, t.height])).toEqual([
      [0, 0, 128, 128], [128, 0, 128, 128], [256, 0, 44, 128],
      [0, 128, 128, 2], [128, 128, 128, 2], [256, 128, 44, 2],
    ]);
    expect(area(grid)).toBe(300 * 130);
    const q = quarters({ x: 10, y: 20, width: 33, height: 17 });
    expect(area(q)).toBe(33 * 17);
    expect(q.map((t) => [t.x, t.y])).toEqual([[10, 20], [26, 20], [10, 28], [26, 28]]);
  });
});

describe('TileScheduler', () => {
  /** Tiles record work; the flush pays for it on the clock: `perTile` + `msPerItem` per item. */
  function fake(msPerItem: number, itemsPerTile: (t: DeviceRect) => number, perTile = 0) {
    let now = 0;
    let owed = 0;
    const drawn: DeviceRect[] = [];
    let flushes = 0;
    return {
      clock: () => now,
      collect: (t: DeviceRect) => Array.from({ length: itemsPerTile(t) }, (_, i) => i),
      draw: (t: DeviceRect, items: readonly number[]) => {
        drawn.push(t);
        owed += perTile + items.length * msPerItem;
      },
      flush: () => {
        flushes++;
        now += owed;
        owed = 0;
      },
      drawn,
      flushes: () => flushes,
    };
  }

  /** A scheduler that trusts its estimate already (200 shapes timed). */
  function calibrated(perShapeMs: number, perTileMs = 0, minSide = 32): TileScheduler {
    const s = new TileScheduler(perShapeMs, perTileMs, minSide);
    const f = fake(perShapeMs, () => 200, perTileMs);
    s.run(tileGrid(32, 32, 32), 1000, f.clock, f.collect, f.draw, f.flush);
    return s;
  }

  it('times the first tiles one by one, then flushes once a slice', () => {
    const s = new TileScheduler(0.01, 0, 8);
    const f = fake(0.1, () => 60); // 6 ms a tile, 100 times the first guess
    const queue = tileGrid(16 * 8, 16, 16);
    // Tile 1 (predicted 0.6 ms) takes 6: learned at once, so the slice stops at the budget.
    expect(s.run(queue, 10, f.clock, f.collect, f.draw, f.flush)).toMatchObject({ tiles: 1, ms: 6 });
    expect(s.perShapeMs).toBeCloseTo(0.1, 9);
    expect(s.run(queue, 13, f.clock, f.collect, f.draw, f.flush)).toMatchObject({ tiles: 2 });
    expect(f.flushes()).toBe(3);
    s.run(queue, 13, f.clock, f.collect, f.draw, f.flush); // 180 + 120 shapes timed: calibrated
    const before = f.flushes();
    expect(s.run(queue, 13, f.clock, f.collect, f.draw, f.flush)).toMatchObject({ tiles: 2, ms: 12 });
    expect(f.flushes()).toBe(before + 1);
  });

  it('draws the tiles its prediction fits in the budget, at least one, none if the budget is spent', () => {
    const s = calibrated(1, 1);
    const f = fake(1, () => 2, 1); // 3 ms a tile
    const queue = tileGrid(64 * 5, 64, 64);
    const run = () => s.run(queue, 8, f.clock, f.collect, f.draw, f.flush);
    expect(run()).toMatchObject({ tiles: 2, shapes: 4, ms: 6, done: false });
    expect(run()).toMatchObject({ tiles: 2, done: false });
    expect(run()).toMatchObject({ tiles: 1, done: true });
    expect(f.drawn.map((t) => t.x)).toEqual([0, 64, 128, 192, 256]);
    // A tile alone over budget (and too small to split) is still drawn: progress every slice...
    const g = fake(1, () => 30);
    expect(calibrated(1, 0, 64).run(tileGrid(64, 64, 64), 8, g.clock, g.collect, g.draw, g.flush)).toMatchObject({ tiles: 1, done: true });
    // ... unless the budget was spent before the slice began.
    expect(s.run(tileGrid(64, 64, 64), 0, g.clock, g.collect, g.draw, g.flush)).toMatchObject({ tiles: 0, done: false });
  });

  it('splits tiles whose shapes predict more than half a budget, and keeps learning', () => {
    // 1 shape per 256 px² of tile: a 256 px tile holds 256 shapes.
    const s = calibrated(0.1);
    const f = fake(0.1, (t) => (t.width * t.height) / 256);
    const queue = tileGrid(256, 256, 256);
    let slices = 0;
    while (!s.run(queue, 8.5, f.clock, f.collect, f.draw, f.flush).done) slices++;
    // 256 shapes * 0.1 ms = 25.6 ms > 4.25 ms: split to 64 px tiles (16 shapes, 1.6 ms each), 5 a slice.
    expect(new Set(f.drawn.map((t) => t.width))).toEqual(new Set([64]));
    expect(area(f.drawn)).toBe(256 * 256);
    expect(slices).toBe(3);
    expect(s.perShapeMs).toBeCloseTo(0.1, 6);
    // Slower than believed: it learns, and the next slices hold fewer tiles.
    const slow = fake(0.4, (t) => (t.width * t.height) / 256);
    const q2 = tileGrid(64 * 8, 64, 64);
    expect(s.run(q2, 10, slow.clock, slow.collect, slow.draw, slow.flush).tiles).toBe(6); // 6 x 1.6 ms believed
    expect(s.perShapeMs).toBeCloseTo(0.25, 6);
    expect(s.run(q2, 10, slow.clock, slow.collect, slow.draw, slow.flush).tiles).toBe(2); // 2 x 4 ms
  });
});
