/**
 * Time-sliced drawing of a raster: the surface is cut into tiles (device pixels); each frame
 * draws as many tiles as its time budget predicts, then flushes once (Chromium rasterizes
 * recorded canvas commands when the canvas is read, so the flush is where the time goes, and a
 * flush per tile would cost more than the tiles). The prediction is the number of shapes a tile
 * draws times a cost per shape learned from the slices so far (the first tiles are flushed and
 * timed one by one until 200 shapes were); tiles predicted at more than half a budget are split
 * into quarters, so no single tile costs a frame unless it cannot be split.
 */

import type { DeviceRect } from './renderer';

/** Tiles of at most `size` x `size` covering `width` x `height`, row by row. */
export function tileGrid(width: number, height: number, size: number): DeviceRect[] {
  const out: DeviceRect[] = [];
  for (let y = 0; y < height; y += size) {
    for (let x = 0; x < width; x += size) out.push({ x, y, width: Math.min(size, width - x), height: Math.min(size, height - y) });
  }
  return out;
}

/** The four quarters of a tile (integer edges, together exactly the tile). */
export function quarters(t: DeviceRect): DeviceRect[] {
  const w = Math.floor(t.width / 2);
  const h = Math.floor(t.height / 2);
  return [
    { x: t.x, y: t.y, width: w, height: h },
    { x: t.x + w, y: t.y, width: t.width - w, height: h },
    { x: t.x, y: t.y + h, width: w, height: t.height - h },
    { x: t.x + w, y: t.y + h, width: t.width - w, height: t.height - h },
  ];
}

/** What one `run` did. */
export interface SliceStats {
  tiles: number;
  shapes: number;
  ms: number;
  /** No tile left: the raster is complete. */
  done: boolean;
}

/** Runs slices of tiles within a time budget, learning what a shape costs on this machine. */
export class TileScheduler {
  constructor(
    /** Estimated ms per shape drawn (flush included). */
    public perShapeMs = 0.05,
    /** Estimated ms per tile besides its shapes (clip, clear, search). */
    readonly perTileMs = 0.2,
    /** Tiles are not split below this side (device px). */
    readonly minSide = 32,
  ) {}

  /** Predicted ms of a tile drawing `shapes` shapes. */
  predict(shapes: number): number {
    return this.perTileMs + shapes * this.perShapeMs;
  }

  /**
   * Draw tiles from the front of `queue` (which it consumes) while the prediction fits in
   * `budgetMs`, at least one tile unless the budget is already spent (<= 0), then `flush` once.
   * `collect` lists what a tile would draw and `draw` draws it.
   */
  run<T>(
    queue: DeviceRect[],
    budgetMs: number,
    clock: () => number,
    collect: (tile: DeviceRect) => readonly T[],
    draw: (tile: DeviceRect, items: readonly T[]) => void,
    flush: () => void = () => {},
  ): SliceStats {
    const start = clock();
    let tiles = 0;
    let shapes = 0;
    let planned = 0;
    let since = start;
    let unflushed = { tiles: 0, shapes: 0 };
    while (queue.length > 0 && budgetMs > 0) {
      const tile = queue[0] as DeviceRect;
      const items = collect(tile);
      const predicted = this.predict(items.length);
      if (predicted > budgetMs / 2 && tile.width >= 2 * this.minSide && tile.height >= 2 * this.minSide) {
        queue.splice(0, 1, ...quarters(tile));
        continue;
      }
      if (tiles > 0 && clock() - start + planned + predicted > budgetMs) break;
      draw(tile, items);
      queue.shift();
      tiles++;
      shapes += items.length;
      unflushed = { tiles: unflushed.tiles + 1, shapes: unflushed.shapes + items.length };
      if (this.calibrated) {
        planned += predicted;
      } else {
        // Until a few shapes' worth has been timed, time each tile: a wrong first guess must not
        // cost a whole frame.
        since = this.learn(flush, clock, since, unflushed);
        unflushed = { tiles: 0, shapes: 0 };
      }
    }
    if (unflushed.tiles > 0) this.learn(flush, clock, since, unflushed);
    return { tiles, shapes, ms: clock() - start, done: queue.length === 0 };
  }

  /** Whether enough shapes were timed to trust `perShapeMs`. */
  private calibrated = false;
  private timedShapes = 0;

  /** Flush, and learn the cost per shape from the tiles flushed; returns the time after. */
  private learn(flush: () => void, clock: () => number, since: number, done: { tiles: number; shapes: number }): number {
    flush();
    const now = clock();
    const perShape = Math.max(0, now - since - done.tiles * this.perTileMs) / Math.max(1, done.shapes);
    this.perShapeMs = this.timedShapes === 0 ? perShape : 0.5 * this.perShapeMs + 0.5 * perShape;
    this.timedShapes += done.shapes;
    if (this.timedShapes >= 200) this.calibrated = true;
    return now;
  }
}
