/**
 * Regions to and from the server's canonical result JSON (DESIGN.md "Annotation results").
 * `regionToResult(regionFromResult(item))` equals `item` after the defaults the server also
 * applies (`rotation: 0`, `attributes: {}`, `origin: "human"`, a keyframe's `outside: false`);
 * keys this client does not interpret are carried through unchanged.
 */

import { isShapeType, type ShapeType } from './geometry';
import {
  geometryProblem,
  relationProblem,
  spanProblem,
  trackProblem,
  type Origin,
  type Region,
  type RelationRegion,
  type ShapeRegion,
  type SpanRegion,
  type TrackRegion,
  type ValueRegion,
} from './regions';

/** One item of the server's canonical result list. */
export type ResultItem = Record<string, unknown>;

/** Thrown by `fromResult` with the JSON path of the first problem. */
export class ResultFormatError extends Error {
  constructor(readonly path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = 'ResultFormatError';
  }
}

const ORIGINS: readonly Origin[] = ['human', 'model', 'model-edited', 'consensus'];
const COMMON_KEYS = ['id', 'tool', 'type', 'attributes', 'score', 'origin'];
/** The keys each type interprets (everything else goes to `extra`). */
const KNOWN_KEYS: Record<string, ReadonlySet<string>> = {
  shape: new Set([...COMMON_KEYS, 'label', 'geometry', 'track']),
  span: new Set([...COMMON_KEYS, 'label', 'geometry', 'text']),
  relation: new Set([...COMMON_KEYS, 'label', 'geometry']),
  value: new Set([...COMMON_KEYS, 'value']),
};

/** One region as a canonical result item. */
export function regionToResult(r: Region): ResultItem {
  const out: ResultItem = { ...r.extra, id: r.id, tool: r.tool, type: r.type };
  if ('label' in r) out.label = r.label;
  if ('geometry' in r) out.geometry = structuredClone(r.geometry);
  if ('track' in r) out.track = structuredClone(r.track);
  if ('text' in r && r.text !== undefined) out.text = r.text;
  if ('value' in r) out.value = structuredClone(r.value);
  out.attributes = { ...r.attributes };
  if (r.score !== undefined) out.score = r.score;
  out.origin = r.origin;
  return out;
}

/** A shape geometry from JSON with the server's defaults (a bbox's rotation 0); throws at `path`. */
function shapeGeometry(type: ShapeType, raw: unknown, path: string): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null) throw new ResultFormatError(path, `required for a ${type} region`);
  const geometry = structuredClone(raw) as Record<string, unknown>;
  if (type === 'bbox' && geometry.rotation === undefined) geometry.rotation = 0;
  const problem = geometryProblem(type, geometry);
  if (problem) throw new ResultFormatError(path, problem);
  return geometry;
}

/** Keyframes from JSON (`outside` defaults to false); throws at the keyframe's path. */
function keyframes(type: ShapeType, raw: unknown, path: string): unknown[] {
  if (!Array.isArray(raw)) throw new ResultFormatError(path, 'must be a non-empty list of keyframes');
  const track = raw.map((key, i) => {
    if (typeof key !== 'object' || key === null) return key;
    const k = key as Record<string, unknown>;
    const extra = Object.keys(k).filter((name) => name !== 'frame' && name !== 'geometry' && name !== 'outside');
    if (extra.length) throw new ResultFormatError(`${path}[${i}].${extra[0]}`, 'unknown field');
    return { frame: k.frame, geometry: shapeGeometry(type, k.geometry, `${path}[${i}].geometry`), outside: k.outside ?? false };
  });
  const problem = trackProblem(type, track);
  if (problem) throw new ResultFormatError(`${path}${problem.at}`, problem.message);
  return track;
}

/** One canonical result item as a region; throws ResultFormatError. */
export function regionFromResult(item: unknown, path = 'region'): Region {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    throw new ResultFormatError(path, 'must be an object');
  }
  const o = item as Record<string, unknown>;
  const str = (key: string): string => {
    const v = o[key];
    if (typeof v !== 'string' || v === '') throw new ResultFormatError(`${path}.${key}`, 'must be a non-empty string');
    return v;
  };
  const id = str('id');
  const tool = str('tool');
  const type = str('type');
  const origin = o.origin ?? 'human';
  if (!ORIGINS.includes(origin as Origin)) {
    throw new ResultFormatError(`${path}.origin`, `must be one of: ${ORIGINS.join(', ')}`);
  }
  const attributes = o.attributes ?? {};
  if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes)) {
    throw new ResultFormatError(`${path}.attributes`, 'must be an object');
  }
  const base: Record<string, unknown> = { id, tool, type, attributes: { ...attributes }, origin };
  if (o.score !== undefined) {
    if (typeof o.score !== 'number') throw new ResultFormatError(`${path}.score`, 'must be a number');
    base.score = o.score;
  }
  const group = isShapeType(type) ? 'shape' : type === 'span' || type === 'relation' ? type : type === 'classification' || type === 'text' ? 'value' : null;
  if (group === null) throw new ResultFormatError(`${path}.type`, `"${type}" is not a region type (bbox, polygon, keypoints, mask, span, relation, classification, text)`);
  const known = KNOWN_KEYS[group] as ReadonlySet<string>;
  const extra = Object.fromEntries(Object.entries(o).filter(([k]) => !known.has(k)));
  if (Object.keys(extra).length > 0) base.extra = structuredClone(extra);

  if (isShapeType(type)) {
    if (o.track !== undefined) {
      if (o.geometry !== undefined) throw new ResultFormatError(`${path}.geometry`, 'a track region keeps its geometry in its keyframes');
      return { ...base, label: str('label'), track: keyframes(type, o.track, `${path}.track`) } as unknown as TrackRegion;
    }
    return { ...base, label: str('label'), geometry: shapeGeometry(type, o.geometry, `${path}.geometry`) } as unknown as ShapeRegion;
  }
  if (type === 'span') {
    const problem = spanProblem(o.geometry);
    if (problem) throw new ResultFormatError(`${path}.geometry`, problem);
    const { start, end } = o.geometry as { start: number; end: number };
    const region: Record<string, unknown> = { ...base, label: str('label'), geometry: { start, end } };
    if (o.text !== undefined) {
      if (typeof o.text !== 'string') throw new ResultFormatError(`${path}.text`, 'must be a string');
      const length = [...o.text].length;
      if (length !== end - start) throw new ResultFormatError(`${path}.text`, `has ${length} code points but the span covers ${end - start}`);
      region.text = o.text;
    }
    return region as unknown as SpanRegion;
  }
  if (type === 'relation') {
    const problem = relationProblem(o.geometry);
    if (problem) throw new ResultFormatError(`${path}.geometry`, problem);
    const { from, to } = o.geometry as { from: string; to: string };
    return { ...base, label: str('label'), geometry: { from, to } } as unknown as RelationRegion;
  }
  return { ...base, value: structuredClone(o.value) } as unknown as ValueRegion;
}
