/**
 * Brush and eraser for masks. A stroke paints into a bitmap cropped to the object's box (a copy
 * of the selected mask, or a new one); on release it becomes ONE command: AddRegion for a new
 * mask, UpdateGeometry for an edited one, RemoveRegions when the eraser empties it. Geometry is
 * COCO RLE of the full image plus `bbox`.
 */

import { AddRegion, MaskBitmap, RemoveRegions, UpdateGeometry, bitmapToMask, isShapeRegion, maskToBitmap, type Point, type RegionId } from '../../core';
import type { Preview, Tool, ToolHost, ToolPointer } from './types';

export class BrushTool implements Tool {
  readonly name: string;
  private stroke: { bitmap: MaskBitmap; target: RegionId | null; last: Point; label: string; tool: string } | null = null;
  private cursor: Point | null = null;

  constructor(private readonly host: ToolHost, readonly erase = false) {
    this.name = erase ? 'eraser' : 'brush';
  }

  get busy(): boolean {
    return this.stroke !== null;
  }

  /** The selected mask region, if it can be painted on. */
  private selectedMask(): { id: RegionId; bitmap: MaskBitmap; label: string; tool: string } | null {
    const id = this.host.selection();
    const r = id ? this.host.doc.get(id) : undefined;
    if (!r || !isShapeRegion(r) || r.type !== 'mask' || r.locked || r.hidden) return null;
    return { id: r.id, bitmap: maskToBitmap(r.geometry), label: r.label, tool: r.tool };
  }

  down(e: ToolPointer): void {
    if (e.button !== 0) return;
    const h = this.host;
    let target = this.selectedMask();
    if (!target && this.erase) {
      const hit = h.index.hitTest(e.point, 0, h.scale());
      const r = hit ? h.doc.get(hit) : undefined;
      if (r && isShapeRegion(r) && r.type === 'mask' && !r.locked) {
        h.select(r.id);
        target = this.selectedMask();
      }
    }
    if (this.erase && !target) {
      h.notify('Select a mask to erase from');
      return;
    }
    const active = h.activeLabel('mask');
    if (!target && !active) {
      h.notify('This project has no mask tool');
      return;
    }
    this.stroke = target
      ? { bitmap: target.bitmap, target: target.id, last: e.point, label: target.label, tool: target.tool }
      : { bitmap: new MaskBitmap(), target: null, last: e.point, label: active?.label ?? '', tool: active?.tool ?? '' };
    this.stroke.bitmap.disc(e.point[0], e.point[1], h.brushRadius(), this.erase ? 0 : 1, h.imageWidth, h.imageHeight);
  }

  move(e: ToolPointer): void {
    this.cursor = e.point;
    const s = this.stroke;
    if (!s) return;
    const h = this.host;
    s.bitmap.line(s.last[0], s.last[1], e.point[0], e.point[1], h.brushRadius(), this.erase ? 0 : 1, h.imageWidth, h.imageHeight);
    s.last = e.point;
  }

  up(e: ToolPointer): void {
    const s = this.stroke;
    if (!s) return;
    this.move(e);
    this.stroke = null;
    const h = this.host;
    const mask = bitmapToMask(s.bitmap, h.imageWidth, h.imageHeight);
    if (s.target) {
      h.history.execute(mask ? new UpdateGeometry(s.target, mask) : new RemoveRegions([s.target], 'Erase mask'));
      if (!mask) h.select(null);
      return;
    }
    if (!mask) return;
    const id = h.newId();
    h.history.execute(new AddRegion({ id, tool: s.tool, type: 'mask', label: s.label, geometry: mask, attributes: {}, origin: 'human' }));
    h.select(id);
  }

  action(id: string): boolean {
    if (id === 'draw.cancel' && this.stroke) {
      this.cancel();
      return true;
    }
    return false;
  }

  cancel(): void {
    this.stroke = null;
  }

  preview(): Preview {
    return {
      kind: 'mask',
      bitmap: this.stroke?.bitmap ?? null,
      erase: this.erase,
      cursor: this.cursor,
      radius: this.host.brushRadius(),
      label: this.stroke?.label ?? this.host.activeLabel('mask')?.label ?? '',
    };
  }
}
