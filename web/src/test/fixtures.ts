/** Small region builders shared by the tests. */

import type { Origin, ShapeRegion } from '../core/document';
import type { Point } from '../core/geometry';

/** An unrotated (or rotated) human bbox region. */
export function box(id: string, x: number, y: number, w: number, h: number, opts: { label?: string; rotation?: number; origin?: Origin } = {}): ShapeRegion {
  return {
    id,
    tool: 'objects',
    type: 'bbox',
    label: opts.label ?? 'car',
    geometry: { x, y, width: w, height: h, rotation: opts.rotation ?? 0 },
    attributes: {},
    origin: opts.origin ?? 'human',
  };
}

/** A human polygon region. */
export function polygon(id: string, points: Point[], label = 'car'): ShapeRegion {
  return { id, tool: 'outlines', type: 'polygon', label, geometry: { points }, attributes: {}, origin: 'human' };
}
