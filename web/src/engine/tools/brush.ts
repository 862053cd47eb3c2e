/**
 * Brush and eraser for masks. A stroke paints into a bitmap cropped to the object's box (a copy
 * of the selected mask, or a new one) — in the mask worker: this tool only sends the pointer's
 * points to the `MaskPainter` and shows the pixels it sends back. On release the stroke becomes
 * ONE command: AddRegion for a new mask, UpdateGeometry for an edited one, RemoveRegions when
 * the eraser empties it. Geometry is COCO RLE of the full image plus `bbox`.
 *
 * The command is executed when the painter returns the mask, a few ms after release. A stroke
 * still finishing is finished synchronously first when anything needs it done: a new stroke (it
 * paints on the result), an undo / redo or a tool change (both call `cancel`), a submit (`settle`).
 */

import { AddRegion, RemoveRegions, UpdateGeometry, isShapeRegion, type Mask, type Point, type RegionId, type ShapeRegion } from '../../core';
import { sharedMaskPainter, type MaskPainter } from '../mask-painter';
import type { Preview, Tool, ToolHost, ToolPointer } from './types';

interface Stroke {
  id: number;
  target: RegionId | null;
  label: string;
  tool: string;
}

const NO_COLOR = '#ff00ff';

export class BrushTool implements Tool {
  readonly name: string;
  /** The stroke under the pointer. */
  private stroke: Stroke | null = null;
  /** A released stroke whose mask the painter has not returned yet. */
  private finishing: Stroke | null = null;
  private cursor: Point | null = null;

  constructor(
    private readonly host: ToolHost,
    readonly erase = false,
    private readonly painter: MaskPainter = sharedMaskPainter(),
  ) {
    this.name = erase ? 'eraser' : 'brush';
  }

  get busy(): boolean {
    return this.stroke !== null;
  }

  /** The selected mask region, if it can be painted on. */
  private selectedMask(): (ShapeRegion & { type: 'mask' }) | null {
    const id = this.host.selection();
    const r = id ? this.host.doc.get(id) : undefined;
    if (!r || !isShapeRegion(r) || r.type !== 'mask' || r.locked || r.hidden) return null;
    return r;
  }

  down(e: ToolPointer): void {
    if (e.button !== 0) return;
    this.settle();
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
    const label = target?.label ?? active?.label ?? '';
    const tool = target?.tool ?? active?.tool ?? '';
    const region: ShapeRegion = target ?? { id: '', tool, type: 'mask', label, geometry: { rle: { size: [h.imageHeight, h.imageWidth], counts: [] } }, attributes: {}, origin: 'human' };
    const commitColor = h.colorOf?.(region) ?? NO_COLOR;
    const id = this.painter.begin({
      base: target ? target.geometry : null,
      erase: this.erase,
      width: h.imageWidth,
      height: h.imageHeight,
      color: this.erase ? '#ffffff' : commitColor,
      commitColor,
    });
    this.stroke = { id, target: target?.id ?? null, label, tool };
    this.painter.add(id, e.point[0], e.point[1], h.brushRadius());
  }

  move(e: ToolPointer): void {
    this.cursor = e.point;
    const s = this.stroke;
    if (s) this.painter.add(s.id, e.point[0], e.point[1], this.host.brushRadius());
  }

  up(e: ToolPointer): void {
    const s = this.stroke;
    if (!s) return;
    this.move(e);
    this.stroke = null;
    this.finishing = s;
    this.painter.end(s.id, (result) => {
      if (this.finishing !== s) return;
      this.finishing = null;
      this.commit(s, result.mask);
    });
  }

  /** Finish a released stroke now (its mask replayed on this thread if the worker is not done). */
  settle(): void {
    const s = this.finishing;
    if (!s) return;
    this.finishing = null;
    const result = this.painter.finishNow(s.id);
    if (result) this.commit(s, result.mask);
  }

  private commit(s: Stroke, mask: Mask | null): void {
    const h = this.host;
    if (s.target) {
      if (!h.doc.get(s.target)) return; // removed meanwhile
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
      this.painter.abort(this.stroke.id);
      this.stroke = null;
      return true;
    }
    return false;
  }

  /** Drop the stroke under the pointer; a released one is finished (it is already the user's). */
  cancel(): void {
    if (this.stroke) this.painter.abort(this.stroke.id);
    this.stroke = null;
    this.settle();
  }

  preview(): Preview {
    const s = this.stroke ?? this.finishing;
    return {
      kind: 'mask',
      image: s ? this.painter.preview(s.id) : null,
      erase: this.erase,
      cursor: this.cursor,
      radius: this.host.brushRadius(),
      label: s?.label ?? this.host.activeLabel('mask')?.label ?? '',
    };
  }
}
