/** Rectangle tool: press, drag, release adds one bbox (AddRegion); a click without size does nothing. */

import { AddRegion, boxFromCorners, clampPoint, type BBox, type Point } from '../../core';
import type { Preview, Tool, ToolHost, ToolPointer } from './types';

/** Smallest box side, in screen pixels, that counts as drawn (smaller is a click). */
export const MIN_BOX_PX = 3;

export class RectangleTool implements Tool {
  readonly name = 'rectangle';
  private start: Point | null = null;
  private end: Point | null = null;

  constructor(private readonly host: ToolHost) {}

  get busy(): boolean {
    return this.start !== null;
  }

  private box(): BBox | null {
    return this.start && this.end ? boxFromCorners(this.start, this.end) : null;
  }

  down(e: ToolPointer): void {
    if (e.button !== 0) return;
    if (!this.host.activeLabel('bbox')) {
      this.host.notify('This project has no bbox tool');
      return;
    }
    this.start = clampPoint(e.point, this.host.imageWidth, this.host.imageHeight);
    this.end = this.start;
  }

  move(e: ToolPointer): void {
    if (this.start) this.end = clampPoint(e.point, this.host.imageWidth, this.host.imageHeight);
  }

  up(e: ToolPointer): void {
    if (!this.start) return;
    this.move(e);
    const box = this.box();
    this.start = this.end = null;
    const active = this.host.activeLabel('bbox');
    const s = this.host.scale();
    if (!box || !active || box.width * s < MIN_BOX_PX || box.height * s < MIN_BOX_PX) return;
    const id = this.host.newId();
    this.host.history.execute(
      new AddRegion({ id, tool: active.tool, type: 'bbox', label: active.label, geometry: box, attributes: {}, origin: 'human' }),
    );
    this.host.select(id);
  }

  action(id: string): boolean {
    if (id === 'draw.cancel' && this.start) {
      this.cancel();
      return true;
    }
    return false;
  }

  cancel(): void {
    this.start = this.end = null;
  }

  preview(): Preview | null {
    const box = this.box();
    return box ? { kind: 'box', box, label: this.host.activeLabel('bbox')?.label ?? '' } : null;
  }
}
