/**
 * Polygon tool: each click adds a vertex; Enter (draw.finish) or a click on the first vertex
 * closes it (3+ vertices) as one AddRegion; Esc cancels; Backspace removes the last vertex.
 */

import { AddRegion, clampPoint, type Point } from '../../core';
import type { Preview, Tool, ToolHost, ToolPointer } from './types';

/** How close (screen px) a click must be to the first vertex to close the polygon. */
export const CLOSE_PX = 8;

export class PolygonTool implements Tool {
  readonly name = 'polygon';
  private points: Point[] = [];
  private hover: Point | null = null;

  constructor(private readonly host: ToolHost) {}

  get busy(): boolean {
    return this.points.length > 0;
  }

  /** Vertices placed so far. */
  get vertices(): readonly Point[] {
    return this.points;
  }

  private nearFirst(p: Point): boolean {
    const first = this.points[0];
    return !!first && this.points.length >= 3 && Math.hypot(p[0] - first[0], p[1] - first[1]) * this.host.scale() <= CLOSE_PX;
  }

  down(e: ToolPointer): void {
    if (e.button !== 0) return;
    if (!this.host.activeLabel('polygon')) {
      this.host.notify('This project has no polygon tool');
      return;
    }
    if (this.nearFirst(e.point)) {
      this.finish();
      return;
    }
    const p = clampPoint(e.point, this.host.imageWidth, this.host.imageHeight);
    const last = this.points[this.points.length - 1];
    // A double-click lands twice on one spot: keep one vertex.
    if (last && Math.hypot(p[0] - last[0], p[1] - last[1]) * this.host.scale() < 1) return;
    this.points.push(p);
  }

  move(e: ToolPointer): void {
    this.hover = clampPoint(e.point, this.host.imageWidth, this.host.imageHeight);
  }

  up(): void {}

  /** Close the polygon if it has 3+ vertices; returns whether a region was added. */
  finish(): boolean {
    const active = this.host.activeLabel('polygon');
    if (this.points.length < 3 || !active) return false;
    const id = this.host.newId();
    const points = this.points;
    this.points = [];
    this.host.history.execute(
      new AddRegion({ id, tool: active.tool, type: 'polygon', label: active.label, geometry: { points }, attributes: {}, origin: 'human' }),
    );
    this.host.select(id);
    return true;
  }

  action(id: string): boolean {
    if (!this.busy) return false;
    if (id === 'draw.finish') {
      if (!this.finish()) this.host.notify('A polygon needs at least 3 vertices');
      return true;
    }
    if (id === 'draw.cancel') {
      this.cancel();
      return true;
    }
    if (id === 'selection.delete') {
      this.points.pop();
      return true;
    }
    return false;
  }

  cancel(): void {
    this.points = [];
  }

  preview(): Preview | null {
    if (!this.busy) return null;
    const hover = this.hover;
    return {
      kind: 'polygon',
      points: [...this.points],
      hover,
      closable: !!hover && this.nearFirst(hover),
      label: this.host.activeLabel('polygon')?.label ?? '',
    };
  }
}
