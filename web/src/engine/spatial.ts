/**
 * R-tree (rbush) of region bounds in image pixels: culling for the renderer and shape-exact
 * hit-testing (topmost in z-order) for pointer tools. Hidden and non-geometric regions are not
 * indexed.
 */

import RBush from 'rbush';
import {
  boxCorners,
  bounds,
  distanceToOutline,
  normalizeBox,
  pointInPolygon,
  type Point,
  type Rect,
} from '../core/geometry';
import { isShapeRegion, type AnnotationDocument, type Change, type RegionId, type ShapeRegion } from '../core/document';
import { maskContains } from '../core/rle';

interface Item extends Rect {
  id: RegionId;
}

/** True if `p` is inside the shape or within `tol` image pixels of its outline / points. */
export function hitShape(region: ShapeRegion, p: Point, tol: number): boolean {
  switch (region.type) {
    case 'bbox': {
      const corners = boxCorners(normalizeBox(region.geometry));
      return pointInPolygon(p, corners) || distanceToOutline(p, corners) <= tol;
    }
    case 'polygon': {
      const pts = region.geometry.points;
      return pointInPolygon(p, pts) || distanceToOutline(p, pts) <= tol;
    }
    case 'keypoints':
      return region.geometry.points.some(([x, y, v]) => v > 0 && Math.hypot(p[0] - x, p[1] - y) <= tol);
    case 'mask':
      // Pixel-exact; a mask has no outline to grab, so no tolerance.
      return maskContains(region.geometry, p[0], p[1]);
  }
}

/** Spatial index over one document. */
export class SpatialIndex {
  private readonly tree = new RBush<Item>();
  private readonly items = new Map<RegionId, Item>();
  private doc: AnnotationDocument | null = null;

  /** Re-index every region of `doc` (bulk load) and remember the document. */
  rebuild(doc: AnnotationDocument): void {
    this.doc = doc;
    this.tree.clear();
    this.items.clear();
    const batch: Item[] = [];
    for (const region of doc.regions.values()) {
      const item = this.itemFor(region.id);
      if (item) {
        this.items.set(region.id, item);
        batch.push(item);
      }
    }
    this.tree.load(batch);
  }

  /** Re-index one region after it changed, appeared or was hidden. */
  update(id: RegionId): void {
    this.remove(id);
    const item = this.itemFor(id);
    if (item) {
      this.items.set(id, item);
      this.tree.insert(item);
    }
  }

  /** Drop one region from the index. */
  remove(id: RegionId): void {
    const old = this.items.get(id);
    if (old) {
      this.tree.remove(old);
      this.items.delete(id);
    }
  }

  /** Keep the index in step with `doc` from now on; returns the unsubscribe function. */
  follow(doc: AnnotationDocument): () => void {
    this.rebuild(doc);
    return doc.subscribe((change: Change) => {
      if (change.ids === 'all') this.rebuild(doc);
      else for (const id of change.ids) this.update(id);
    });
  }

  /** Number of indexed regions. */
  get size(): number {
    return this.items.size;
  }

  /** Ids whose bounds intersect `rect` (image pixels), bottom to top in z-order. */
  search(rect: Rect): RegionId[] {
    const ids = this.tree.search(rect).map((item) => item.id);
    const doc = this.doc;
    if (doc) ids.sort((a, b) => doc.zIndex(a) - doc.zIndex(b));
    return ids;
  }

  /** Ids whose bounds intersect `rect`, in no particular order (cheaper: no sort). */
  searchUnordered(rect: Rect): RegionId[] {
    return this.tree.search(rect).map((item) => item.id);
  }

  /**
   * The topmost region whose shape contains `point` (image pixels) or whose outline is within
   * `tolerancePx` SCREEN pixels, converted to image pixels with the viewport `scale`.
   */
  hitTest(point: Point, tolerancePx: number, scale: number): RegionId | null {
    const doc = this.doc;
    if (!doc) return null;
    const tol = tolerancePx / scale;
    const near = this.search({ minX: point[0] - tol, minY: point[1] - tol, maxX: point[0] + tol, maxY: point[1] + tol });
    for (let i = near.length - 1; i >= 0; i--) {
      const region = doc.get(near[i] as RegionId);
      if (region && isShapeRegion(region) && hitShape(region, point, tol)) return region.id;
    }
    return null;
  }

  private itemFor(id: RegionId): Item | null {
    const region = this.doc?.get(id);
    if (!region || region.hidden || !isShapeRegion(region)) return null;
    const rect = bounds(region);
    return rect ? { ...rect, id } : null;
  }
}
