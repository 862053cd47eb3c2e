/**
 * Region geometry in IMAGE PIXELS of the original image, in the server's canonical result shape,
 * and the pure functions the workspace needs on it. y grows downwards; a bbox `rotation` turns it
 * clockwise (degrees) about its centre, exactly as the server validates it.
 */

/** An [x, y] point in image pixels. */
export type Point = [number, number];

/** A rotatable box: top-left corner before rotation, size, clockwise degrees about the centre. */
export interface BBox {
  x: number;
  y: number;
  width: number;
  height: number;
  rotation: number;
}

/** A closed polygon; the last point connects back to the first. */
export interface Polygon {
  points: Point[];
}

/** Keypoints `[x, y, v]` with COCO visibility: 0 not labelled, 1 occluded, 2 visible. */
export interface Keypoints {
  points: [number, number, number][];
}

/** COCO RLE over the whole image (column-major) plus its tight box `[x, y, w, h]`. */
export interface Mask {
  rle: { size: [number, number]; counts: string | number[] };
  bbox?: [number, number, number, number];
}

/** Every geometric shape type the image workspace draws. */
export type ShapeType = 'bbox' | 'polygon' | 'keypoints' | 'mask';

/** A geometry tagged with its type, so functions can switch on it. */
export type Shape =
  | { type: 'bbox'; geometry: BBox }
  | { type: 'polygon'; geometry: Polygon }
  | { type: 'keypoints'; geometry: Keypoints }
  | { type: 'mask'; geometry: Mask };

/** An axis-aligned rectangle as min/max corners (rbush's layout). */
export interface Rect {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

/** True if `type` names a geometric shape type. */
export function isShapeType(type: string): type is ShapeType {
  return type === 'bbox' || type === 'polygon' || type === 'keypoints' || type === 'mask';
}

/** The four corners of a (possibly rotated) box, clockwise from the unrotated top-left. */
export function boxCorners(b: BBox): Point[] {
  const local: Point[] = [
    [b.x, b.y],
    [b.x + b.width, b.y],
    [b.x + b.width, b.y + b.height],
    [b.x, b.y + b.height],
  ];
  if (b.rotation % 360 === 0) return local;
  const cx = b.x + b.width / 2;
  const cy = b.y + b.height / 2;
  const a = (b.rotation * Math.PI) / 180;
  const cos = Math.cos(a);
  const sin = Math.sin(a);
  return local.map(([px, py]): Point => {
    const dx = px - cx;
    const dy = py - cy;
    return [cx + dx * cos - dy * sin, cy + dx * sin + dy * cos];
  });
}

/** The axis-aligned bounds of a list of points, or null if it is empty. */
export function pointsBounds(points: readonly (readonly number[])[]): Rect | null {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const p of points) {
    const x = p[0] ?? NaN;
    const y = p[1] ?? NaN;
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  return minX <= maxX ? { minX, minY, maxX, maxY } : null;
}

/** The AABB of a shape (rotation-aware); null for a shape with nothing to draw. */
export function bounds(shape: Shape): Rect | null {
  switch (shape.type) {
    case 'bbox':
      return pointsBounds(boxCorners(normalizeBox(shape.geometry)));
    case 'polygon':
      return pointsBounds(shape.geometry.points);
    case 'keypoints':
      // Unlabelled keypoints (v = 0) usually sit at (0, 0) and must not stretch the bounds.
      return pointsBounds(shape.geometry.points.filter((p) => p[2] > 0));
    case 'mask': {
      const box = shape.geometry.bbox;
      if (box) return { minX: box[0], minY: box[1], maxX: box[0] + box[2], maxY: box[1] + box[3] };
      const [h, w] = shape.geometry.rle.size;
      return { minX: 0, minY: 0, maxX: w, maxY: h };
    }
  }
}

/** True if two rectangles overlap or touch. */
export function rectsIntersect(a: Rect, b: Rect): boolean {
  return a.minX <= b.maxX && b.minX <= a.maxX && a.minY <= b.maxY && b.minY <= a.maxY;
}

/** Distance from point `p` to the segment `a`–`b`. */
export function distanceToSegment(p: Point, a: Point, b: Point): number {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const len2 = dx * dx + dy * dy;
  let t = len2 === 0 ? 0 : ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2;
  t = Math.max(0, Math.min(1, t));
  return Math.hypot(p[0] - (a[0] + t * dx), p[1] - (a[1] + t * dy));
}

/** Distance from `p` to the closed outline through `points` (Infinity if empty). */
export function distanceToOutline(p: Point, points: readonly Point[]): number {
  let best = Infinity;
  const n = points.length;
  for (let i = 0; i < n; i++) {
    const a = points[i] as Point;
    const b = points[(i + 1) % n] as Point;
    best = Math.min(best, distanceToSegment(p, a, b));
  }
  return best;
}

/**
 * Even-odd point-in-polygon test. Points ON the outline count as inside (a click exactly on an
 * edge selects); fewer than 3 points enclose nothing.
 */
export function pointInPolygon(p: Point, points: readonly Point[]): boolean {
  const n = points.length;
  if (n < 3) return false;
  if (distanceToOutline(p, points) <= 1e-9) return true;
  let inside = false;
  const [x, y] = p;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const [xi, yi] = points[i] as Point;
    const [xj, yj] = points[j] as Point;
    // Half-open rule on y so a ray through a vertex is counted once.
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** A box with non-negative width/height (a drag up or left gives negative ones); same centre. */
export function normalizeBox(b: BBox): BBox {
  if (b.width >= 0 && b.height >= 0) return b;
  return {
    x: b.width < 0 ? b.x + b.width : b.x,
    y: b.height < 0 ? b.y + b.height : b.y,
    width: Math.abs(b.width),
    height: Math.abs(b.height),
    rotation: b.rotation,
  };
}

/** A box from two drag corners (any order), unrotated. */
export function boxFromCorners(a: Point, b: Point): BBox {
  return normalizeBox({ x: a[0], y: a[1], width: b[0] - a[0], height: b[1] - a[1], rotation: 0 });
}

/** A point clamped into `[0, w] x [0, h]`. */
export function clampPoint(p: Point, w: number, h: number): Point {
  return [Math.min(w, Math.max(0, p[0])), Math.min(h, Math.max(0, p[1]))];
}

/**
 * A box kept inside a `w` x `h` image. An unrotated box is cut to the image; a rotated one is
 * moved (and, if it cannot fit, shrunk about its centre) so that all four corners are inside.
 */
export function clampBox(box: BBox, w: number, h: number): BBox {
  const b = normalizeBox(box);
  if (b.rotation % 360 === 0) {
    const x0 = Math.min(w, Math.max(0, b.x));
    const y0 = Math.min(h, Math.max(0, b.y));
    const x1 = Math.min(w, Math.max(0, b.x + b.width));
    const y1 = Math.min(h, Math.max(0, b.y + b.height));
    return { x: x0, y: y0, width: x1 - x0, height: y1 - y0, rotation: b.rotation };
  }
  const r = pointsBounds(boxCorners(b)) as Rect;
  const k = Math.min(1, w / (r.maxX - r.minX || 1), h / (r.maxY - r.minY || 1));
  let cx = b.x + b.width / 2;
  let cy = b.y + b.height / 2;
  const halfX = ((r.maxX - r.minX) * k) / 2;
  const halfY = ((r.maxY - r.minY) * k) / 2;
  cx = Math.min(w - halfX, Math.max(halfX, cx));
  cy = Math.min(h - halfY, Math.max(halfY, cy));
  const width = b.width * k;
  const height = b.height * k;
  return { x: cx - width / 2, y: cy - height / 2, width, height, rotation: b.rotation };
}

/** A shape kept inside a `w` x `h` image (masks are already image-sized and returned as is). */
export function clampToImage(shape: Shape, w: number, h: number): Shape {
  switch (shape.type) {
    case 'bbox':
      return { type: 'bbox', geometry: clampBox(shape.geometry, w, h) };
    case 'polygon':
      return { type: 'polygon', geometry: { points: shape.geometry.points.map((p) => clampPoint(p, w, h)) } };
    case 'keypoints':
      return {
        type: 'keypoints',
        geometry: {
          points: shape.geometry.points.map(([x, y, v]): [number, number, number] =>
            v > 0 ? [...clampPoint([x, y], w, h), v] : [x, y, v],
          ),
        },
      };
    case 'mask':
      return shape;
  }
}

/** Area enclosed by a simple polygon (shoelace; always >= 0). */
export function polygonArea(points: readonly Point[]): number {
  let twice = 0;
  const n = points.length;
  for (let i = 0; i < n; i++) {
    const [x0, y0] = points[i] as Point;
    const [x1, y1] = points[(i + 1) % n] as Point;
    twice += x0 * y1 - x1 * y0;
  }
  return Math.abs(twice) / 2;
}

/** Clip a polygon by a convex one (Sutherland–Hodgman); the clip must be clockwise or not. */
function clipConvex(subject: Point[], clip: Point[]): Point[] {
  const orient = Math.sign(signedArea(clip)) || 1;
  let out = subject;
  for (let i = 0; i < clip.length && out.length > 0; i++) {
    const a = clip[i] as Point;
    const b = clip[(i + 1) % clip.length] as Point;
    const side = (p: Point): number =>
      orient * ((b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]));
    const input = out;
    out = [];
    for (let j = 0; j < input.length; j++) {
      const cur = input[j] as Point;
      const prev = input[(j + input.length - 1) % input.length] as Point;
      const sc = side(cur);
      const sp = side(prev);
      if (sc >= 0) {
        if (sp < 0) out.push(intersect(prev, cur, sp, sc));
        out.push(cur);
      } else if (sp >= 0) {
        out.push(intersect(prev, cur, sp, sc));
      }
    }
  }
  return out;
}

function signedArea(points: readonly Point[]): number {
  let twice = 0;
  for (let i = 0; i < points.length; i++) {
    const [x0, y0] = points[i] as Point;
    const [x1, y1] = points[(i + 1) % points.length] as Point;
    twice += x0 * y1 - x1 * y0;
  }
  return twice / 2;
}

function intersect(p: Point, q: Point, sp: number, sq: number): Point {
  const t = sp / (sp - sq);
  return [p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])];
}

/** Intersection over union of two boxes (rotated boxes are intersected as convex polygons). */
export function boxIoU(a: BBox, b: BBox): number {
  const na = normalizeBox(a);
  const nb = normalizeBox(b);
  const areaA = na.width * na.height;
  const areaB = nb.width * nb.height;
  let inter: number;
  if (na.rotation % 360 === 0 && nb.rotation % 360 === 0) {
    const w = Math.min(na.x + na.width, nb.x + nb.width) - Math.max(na.x, nb.x);
    const h = Math.min(na.y + na.height, nb.y + nb.height) - Math.max(na.y, nb.y);
    inter = w > 0 && h > 0 ? w * h : 0;
  } else {
    inter = polygonArea(clipConvex(boxCorners(na), boxCorners(nb)));
  }
  const union = areaA + areaB - inter;
  return union > 0 ? inter / union : 0;
}
