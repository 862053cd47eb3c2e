/**
 * Select tool: click selects the topmost region (SpatialIndex.hitTest), drag moves it, handles of
 * the selected region resize a box (corners / edges), rotate it (knob), move a polygon vertex or a
 * keypoint. Alt+click on a polygon vertex deletes it; a double-click on a polygon edge inserts
 * one. Every drag is ONE undo step (UpdateGeometry with one gesture id). Locked regions are
 * selectable but never edited.
 */

import { UpdateGeometry, isShapeRegion, type BBox, type Point, type RegionId, type Shape, type ShapeRegion } from '../../core';
import { handlesOf, type Handle } from '../renderer';
import { clampMove, nearestEdge, resizeBox, rotationToward, translate } from './shapes';
import { nextGesture, type Preview, type Tool, type ToolHost, type ToolPointer } from './types';

/** Pick radius around handles and outlines, in screen pixels. */
export const HANDLE_TOLERANCE_PX = 7;

type Drag =
  | { mode: 'move'; id: RegionId; start: Point; shape: Shape; moved: boolean; gesture: string }
  | { mode: 'handle'; id: RegionId; handle: Handle; shape: Shape; moved: boolean; gesture: string };

export class SelectTool implements Tool {
  readonly name = 'select';
  private drag: Drag | null = null;
  /** Index of the keypoint last grabbed on the selected keypoints region (for visibility toggles). */
  keypoint: number | null = null;

  constructor(private readonly host: ToolHost) {}

  get busy(): boolean {
    return this.drag !== null;
  }

  private selectedShape(): ShapeRegion | null {
    const id = this.host.selection();
    const r = id ? this.host.doc.get(id) : undefined;
    return r && isShapeRegion(r) && !r.hidden ? r : null;
  }

  down(e: ToolPointer): void {
    if (e.button !== 0) return;
    const h = this.host;
    const tol = HANDLE_TOLERANCE_PX / h.scale();
    const sel = this.selectedShape();
    if (sel && !sel.locked) {
      const handle = handlesOf(sel, h.scale())
        .filter((x) => Math.hypot(x.point[0] - e.point[0], x.point[1] - e.point[1]) <= tol)
        .sort((a, b) => Math.hypot(a.point[0] - e.point[0], a.point[1] - e.point[1]) - Math.hypot(b.point[0] - e.point[0], b.point[1] - e.point[1]))[0];
      if (handle) {
        if (sel.type === 'polygon' && handle.kind === 'vertex' && e.alt) {
          const pts = sel.geometry.points;
          if (pts.length > 3) h.history.execute(new UpdateGeometry(sel.id, { points: pts.filter((_, i) => i !== handle.index) }));
          else h.notify('A polygon needs at least 3 vertices');
          return;
        }
        if (handle.kind === 'keypoint') this.keypoint = handle.index;
        this.drag = { mode: 'handle', id: sel.id, handle, shape: sel, moved: false, gesture: nextGesture() };
        return;
      }
      if (sel.type === 'polygon' && e.clicks >= 2) {
        const edge = nearestEdge(sel.geometry.points, e.point);
        if (edge && edge.distance <= tol) {
          const pts = [...sel.geometry.points];
          pts.splice(edge.index + 1, 0, edge.point);
          h.history.execute(new UpdateGeometry(sel.id, { points: pts }));
          return;
        }
      }
    }
    const hit = h.index.hitTest(e.point, HANDLE_TOLERANCE_PX / 2, h.scale());
    if (hit !== h.selection()) this.keypoint = null;
    h.select(hit);
    const r = hit ? h.doc.get(hit) : undefined;
    if (r && isShapeRegion(r) && !r.locked) {
      this.drag = { mode: 'move', id: r.id, start: e.point, shape: r, moved: false, gesture: nextGesture() };
    }
  }

  move(e: ToolPointer): void {
    const d = this.drag;
    if (!d) return;
    const h = this.host;
    let geometry: Shape['geometry'] | null = null;
    if (d.mode === 'move') {
      const [dx, dy] = clampMove(d.shape, e.point[0] - d.start[0], e.point[1] - d.start[1], h.imageWidth, h.imageHeight);
      if (!d.moved && Math.hypot(dx, dy) * h.scale() < 2) return; // a click, not a drag
      geometry = translate(d.shape, dx, dy);
    } else {
      const p: Point = [Math.min(h.imageWidth, Math.max(0, e.point[0])), Math.min(h.imageHeight, Math.max(0, e.point[1]))];
      const s = d.shape;
      const k = d.handle;
      if (s.type === 'bbox' && (k.kind === 'corner' || k.kind === 'edge')) geometry = resizeBox(s.geometry, k.kind, k.index, p);
      else if (s.type === 'bbox' && k.kind === 'rotate') geometry = { ...s.geometry, rotation: rotationToward(s.geometry, e.point) } as BBox;
      else if (s.type === 'polygon') geometry = { points: s.geometry.points.map((q, i): Point => (i === k.index ? p : q)) };
      else if (s.type === 'keypoints') {
        geometry = { points: s.geometry.points.map((q, i): [number, number, number] => (i === k.index ? [p[0], p[1], q[2]] : q)) };
      }
    }
    if (!geometry) return;
    d.moved = true;
    h.history.execute(new UpdateGeometry(d.id, geometry, d.gesture));
  }

  up(_e?: ToolPointer): void {
    this.drag = null;
  }

  action(): boolean {
    return false;
  }

  cancel(): void {
    this.drag = null;
  }

  preview(): Preview | null {
    return null;
  }
}
