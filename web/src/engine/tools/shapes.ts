/** Pure geometry edits the tools need: translate (clamped to the image), box resize by handle. */

import { bounds, maskToBitmap, bitmapToMask, translateMask, type BBox, type Point, type Shape } from '../../core';

/** Clamp a move (dx, dy) so the shape's bounds stay inside a `w` x `h` image. */
export function clampMove(shape: Shape, dx: number, dy: number, w: number, h: number): [number, number] {
  const r = bounds(shape);
  if (!r) return [dx, dy];
  const cx = Math.min(Math.max(dx, -r.minX), w - r.maxX);
  const cy = Math.min(Math.max(dy, -r.minY), h - r.maxY);
  // A shape larger than the image cannot be kept inside: keep it where it is.
  return [r.maxX - r.minX > w ? 0 : cx, r.maxY - r.minY > h ? 0 : cy];
}

/** The geometry of `shape` moved by (dx, dy) image pixels. */
export function translate(shape: Shape, dx: number, dy: number): Shape['geometry'] {
  switch (shape.type) {
    case 'bbox':
      return { ...shape.geometry, x: shape.geometry.x + dx, y: shape.geometry.y + dy };
    case 'polygon':
      return { points: shape.geometry.points.map(([x, y]): Point => [x + dx, y + dy]) };
    case 'keypoints':
      return { points: shape.geometry.points.map(([x, y, v]): [number, number, number] => (v > 0 ? [x + dx, y + dy, v] : [x, y, v])) };
    case 'mask': {
      // On the run lengths: no bitmap the size of the mask is decoded and encoded per move.
      const moved = translateMask(shape.geometry, Math.round(dx), Math.round(dy));
      if (moved) return moved;
      // A move taking pixels off the image (the select tool clamps first): crop through a bitmap.
      const [h, w] = shape.geometry.rle.size;
      const bm = maskToBitmap(shape.geometry);
      bm.x += Math.round(dx);
      bm.y += Math.round(dy);
      return bitmapToMask(bm, w, h) ?? shape.geometry;
    }
  }
}

const rad = (deg: number) => (deg * Math.PI) / 180;

function rotateAbout(p: Point, c: Point, deg: number): Point {
  const a = rad(deg);
  const dx = p[0] - c[0];
  const dy = p[1] - c[1];
  return [c[0] + dx * Math.cos(a) - dy * Math.sin(a), c[1] + dx * Math.sin(a) + dy * Math.cos(a)];
}

/**
 * `box` resized by dragging handle `kind`/`index` (as `handlesOf` numbers them: corners clockwise
 * from the top-left, edges top/right/bottom/left) to `p`, in the box's own (rotated) frame.
 */
export function resizeBox(box: BBox, kind: 'corner' | 'edge', index: number, p: Point): BBox {
  const c: Point = [box.x + box.width / 2, box.y + box.height / 2];
  const q = rotateAbout(p, c, -box.rotation);
  let x0 = box.x;
  let y0 = box.y;
  let x1 = box.x + box.width;
  let y1 = box.y + box.height;
  const left = kind === 'corner' ? index === 0 || index === 3 : index === 3;
  const right = kind === 'corner' ? index === 1 || index === 2 : index === 1;
  const top = kind === 'corner' ? index === 0 || index === 1 : index === 0;
  const bottom = kind === 'corner' ? index === 2 || index === 3 : index === 2;
  if (left) x0 = q[0];
  if (right) x1 = q[0];
  if (top) y0 = q[1];
  if (bottom) y1 = q[1];
  const nx0 = Math.min(x0, x1);
  const ny0 = Math.min(y0, y1);
  const width = Math.abs(x1 - x0);
  const height = Math.abs(y1 - y0);
  // The new centre was computed in the unrotated frame of the old centre: rotate it back.
  const nc = rotateAbout([nx0 + width / 2, ny0 + height / 2], c, box.rotation);
  return { x: nc[0] - width / 2, y: nc[1] - height / 2, width, height, rotation: box.rotation };
}

/** Rotation (degrees, clockwise, in (-180, 180]) that points the box's top at `p`. */
export function rotationToward(box: BBox, p: Point): number {
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  let deg = (Math.atan2(p[1] - cy, p[0] - cx) * 180) / Math.PI + 90;
  if (deg > 180) deg -= 360;
  return Math.round(deg * 10) / 10;
}

/** Index of the edge of a closed polygon nearest to `p` and the nearest point on it. */
export function nearestEdge(points: readonly Point[], p: Point): { index: number; point: Point; distance: number } | null {
  let best: { index: number; point: Point; distance: number } | null = null;
  for (let i = 0; i < points.length; i++) {
    const a = points[i] as Point;
    const b = points[(i + 1) % points.length] as Point;
    const dx = b[0] - a[0];
    const dy = b[1] - a[1];
    const len2 = dx * dx + dy * dy;
    const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2));
    const q: Point = [a[0] + t * dx, a[1] + t * dy];
    const d = Math.hypot(p[0] - q[0], p[1] - q[1]);
    if (!best || d < best.distance) best = { index: i, point: q, distance: d };
  }
  return best;
}
