/**
 * The kinds of region an annotation document holds, one per place a region lives in the media
 * (DESIGN.md "Annotation results"):
 *
 * - `shape`: geometry on the image (or on one video frame, carried as the `frame` extra key);
 * - `track`: a video object as keyframes `{frame, geometry, outside}` — a shape type but no
 *   `geometry` of its own;
 * - `span`: `[start, end)` in Unicode code points of the task's text, plus a label;
 * - `relation`: a labelled link `{from, to}` between two other regions (spans or shapes);
 * - `value`: a whole-task answer (classification, free text).
 *
 * Every kind has an id, a tool, attributes, an origin and an optional score; regions are
 * immutable values (a change replaces the object).
 */

import { isShapeType, type Shape, type ShapeType } from './geometry';

/** A region's stable id (client-generated, unique within the annotation). */
export type RegionId = string;

/** Who made a region; the server also knows `consensus`. */
export type Origin = 'human' | 'model' | 'model-edited' | 'consensus';

/** Attribute values as the schema allows them (bool, number, choice, text). */
export type Attributes = Readonly<Record<string, unknown>>;

/** Fields every region has; `hidden` / `locked` are UI-only and never serialized. */
interface RegionBase {
  readonly id: RegionId;
  readonly tool: string;
  readonly attributes: Attributes;
  readonly score?: number;
  readonly origin: Origin;
  readonly hidden?: boolean;
  readonly locked?: boolean;
  /** Canonical keys this client does not interpret (e.g. `frame`), kept for a lossless round trip. */
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** A labelled geometric region (bbox, polygon, keypoints, mask). */
export type ShapeRegion = RegionBase & { readonly label: string; readonly track?: never } & Shape;

/** A whole-task answer (classification / free text): a `value`, no label, no geometry. */
export type ValueRegion = RegionBase & { readonly type: 'classification' | 'text'; readonly value: unknown };

/** `[start, end)` in Unicode code points (not UTF-16 units) of the task's text. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

/** A labelled text span; `text` (optional) is the covered text, `end - start` code points long. */
export type SpanRegion = RegionBase & { readonly type: 'span'; readonly label: string; readonly geometry: Span; readonly text?: string };

/** The two regions a relation links, by id. */
export interface RelationEnds {
  readonly from: RegionId;
  readonly to: RegionId;
}

/** A labelled, directed link between two regions of the same result. */
export type RelationRegion = RegionBase & { readonly type: 'relation'; readonly label: string; readonly geometry: RelationEnds };

/** One keyframe of a track: the geometry on `frame`; `outside` hides the object from here on. */
export interface Keyframe<G = Shape['geometry']> {
  readonly frame: number;
  readonly geometry: G;
  readonly outside: boolean;
}

/** A video object: a shape type whose geometry lives in keyframes (strictly increasing frames). */
export type TrackRegion = {
  [T in ShapeType]: RegionBase & {
    readonly type: T;
    readonly label: string;
    readonly geometry?: never;
    readonly track: readonly Keyframe<Extract<Shape, { type: T }>['geometry']>[];
  };
}[ShapeType];

/** Any region a document holds. */
export type Region = ShapeRegion | ValueRegion | SpanRegion | RelationRegion | TrackRegion;

/** The five kinds of region (see the module comment). */
export type RegionKind = 'shape' | 'track' | 'span' | 'relation' | 'value';

/** Every region kind, in a fixed order. */
export const REGION_KINDS: readonly RegionKind[] = ['shape', 'track', 'span', 'relation', 'value'];

/** True if the region has geometry to draw and hit-test on an image (not a track). */
export function isShapeRegion(region: Region): region is ShapeRegion {
  return isShapeType(region.type) && !('track' in region);
}

/** True for a video track. */
export function isTrackRegion(region: Region): region is TrackRegion {
  return 'track' in region && isShapeType(region.type);
}

/** True for a text span. */
export function isSpanRegion(region: Region): region is SpanRegion {
  return region.type === 'span';
}

/** True for a relation between two regions. */
export function isRelationRegion(region: Region): region is RelationRegion {
  return region.type === 'relation';
}

/** True for a whole-task answer. */
export function isValueRegion(region: Region): region is ValueRegion {
  return region.type === 'classification' || region.type === 'text';
}

/** The kind of a region. */
export function regionKind(region: Region): RegionKind {
  if (isShapeType(region.type)) return 'track' in region ? 'track' : 'shape';
  if (region.type === 'span') return 'span';
  if (region.type === 'relation') return 'relation';
  return 'value';
}

const isNum = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const isTuple = (v: unknown, n: number): boolean => Array.isArray(v) && v.length === n && v.every(isNum);

/** Why `geometry` is not a valid `type` geometry (field-level message), or null if it is. */
export function geometryProblem(type: ShapeType, geometry: unknown): string | null {
  if (typeof geometry !== 'object' || geometry === null) return 'must be an object';
  const g = geometry as Record<string, unknown>;
  switch (type) {
    case 'bbox':
      return ['x', 'y', 'width', 'height', 'rotation'].every((k) => isNum(g[k]))
        ? null
        : 'needs finite numbers x, y, width, height, rotation';
    case 'polygon':
    case 'keypoints': {
      const n = type === 'polygon' ? 2 : 3;
      const ok = Array.isArray(g.points) && g.points.every((p) => isTuple(p, n));
      return ok ? null : `points must be a list of [x, y${n === 3 ? ', v' : ''}]`;
    }
    case 'mask': {
      const rle = g.rle as Record<string, unknown> | undefined;
      const ok = typeof rle === 'object' && rle !== null && isTuple(rle.size, 2);
      if (!ok) return 'needs rle {size: [h, w], counts}';
      return g.bbox === undefined || isTuple(g.bbox, 4) ? null : 'bbox must be [x, y, w, h]';
    }
  }
}

/** Why `geometry` is not a span `{start, end}` with integers 0 <= start < end, or null. */
export function spanProblem(geometry: unknown): string | null {
  if (typeof geometry !== 'object' || geometry === null) return 'must be an object {start, end}';
  const { start, end } = geometry as Record<string, unknown>;
  if (!isInt(start) || !isInt(end)) return 'needs integers start and end (code points)';
  if (start < 0) return `start must be >= 0, not ${start}`;
  return start < end ? null : `start (${start}) must be less than end (${end})`;
}

/** Why `geometry` is not a relation `{from, to}` between two different region ids, or null. */
export function relationProblem(geometry: unknown): string | null {
  if (typeof geometry !== 'object' || geometry === null) return 'must be an object {from, to}';
  const { from, to } = geometry as Record<string, unknown>;
  if (typeof from !== 'string' || from === '' || typeof to !== 'string' || to === '') return 'needs region ids from and to';
  return from === to ? 'from and to must be different regions' : null;
}

/** Where a track is malformed: `at` is the path below the track (`[2].frame`, or '' for the list). */
export interface TrackProblem {
  readonly at: string;
  readonly message: string;
}

/** Why `track` is not a non-empty list of `type` keyframes with strictly increasing frames, or null. */
export function trackProblem(type: ShapeType, track: unknown): TrackProblem | null {
  if (!Array.isArray(track) || track.length === 0) return { at: '', message: 'must be a non-empty list of keyframes' };
  let last = -1;
  for (const [i, key] of track.entries()) {
    if (typeof key !== 'object' || key === null) return { at: `[${i}]`, message: 'must be an object {frame, geometry, outside}' };
    const { frame, geometry, outside } = key as Record<string, unknown>;
    if (!isInt(frame) || frame < 0) return { at: `[${i}].frame`, message: 'must be an integer >= 0' };
    if (frame <= last) return { at: `[${i}].frame`, message: `frames must be strictly increasing (${frame} after ${last})` };
    last = frame;
    if (typeof outside !== 'boolean') return { at: `[${i}].outside`, message: 'must be true or false' };
    const problem = geometryProblem(type, geometry);
    if (problem) return { at: `[${i}].geometry`, message: problem };
  }
  return null;
}
