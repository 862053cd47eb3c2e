/**
 * The annotation document: regions in a normalized map plus a z-order list and a `version`
 * counter bumped on every change, so the UI subscribes to one number instead of deep reactivity.
 * Regions are immutable values: a change replaces the object, so old references stay valid
 * snapshots (undo relies on that). Screens change the document through commands (commands.ts).
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
export type ShapeRegion = RegionBase & { readonly label: string } & Shape;

/** A whole-task answer (classification / free text): a `value`, no label, no geometry. */
export type ValueRegion = RegionBase & { readonly type: 'classification' | 'text'; readonly value: unknown };

/** Any region the image workspace holds. */
export type Region = ShapeRegion | ValueRegion;

/** One item of the server's canonical result list. */
export type ResultItem = Record<string, unknown>;

/** What changed: the ids touched, or 'all' after a bulk load. */
export interface Change {
  version: number;
  ids: readonly RegionId[] | 'all';
}

/** Thrown by `fromResult` with the JSON path of the first problem. */
export class ResultFormatError extends Error {
  constructor(readonly path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = 'ResultFormatError';
  }
}

const ORIGINS: readonly Origin[] = ['human', 'model', 'model-edited', 'consensus'];
const KNOWN_KEYS = new Set(['id', 'tool', 'type', 'label', 'geometry', 'value', 'attributes', 'score', 'origin']);

const isNum = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);
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

/** True if the region has geometry to draw and hit-test. */
export function isShapeRegion(region: Region): region is ShapeRegion {
  return isShapeType(region.type);
}

/** The annotation document of one task. */
export class AnnotationDocument {
  /** Bumped on every change; compare it to know whether to redraw. */
  version = 0;
  private readonly byId = new Map<RegionId, Region>();
  private order: RegionId[] = [];
  private zCache: Map<RegionId, number> | null = null;
  private readonly listeners = new Set<(change: Change) => void>();

  /** A document holding `regions`, bottom to top. */
  constructor(regions: Iterable<Region> = []) {
    for (const r of regions) {
      if (this.byId.has(r.id)) throw new Error(`duplicate region id "${r.id}"`);
      this.byId.set(r.id, r);
      this.order.push(r.id);
    }
  }

  /** Read-only view of the region map. */
  get regions(): ReadonlyMap<RegionId, Region> {
    return this.byId;
  }

  /** Region ids bottom to top (z-order). */
  get ordering(): readonly RegionId[] {
    return this.order;
  }

  /** Number of regions. */
  get size(): number {
    return this.byId.size;
  }

  /** The region with `id`, if any. */
  get(id: RegionId): Region | undefined {
    return this.byId.get(id);
  }

  /** Regions bottom to top. */
  list(): Region[] {
    return this.order.map((id) => this.byId.get(id) as Region);
  }

  /** Position of `id` in the z-order (higher is on top); -1 if absent. */
  zIndex(id: RegionId): number {
    if (!this.zCache) this.zCache = new Map(this.order.map((rid, i) => [rid, i]));
    return this.zCache.get(id) ?? -1;
  }

  /** Listen to changes; returns the unsubscribe function. */
  subscribe(listener: (change: Change) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Insert a region at z position `index` (default: on top). Low level: prefer commands. */
  insert(region: Region, index = this.order.length): void {
    if (this.byId.has(region.id)) throw new Error(`region "${region.id}" already exists`);
    this.byId.set(region.id, region);
    this.order.splice(Math.max(0, Math.min(index, this.order.length)), 0, region.id);
    this.changed([region.id], true);
  }

  /** Remove a region; returns it and its former z position. Low level: prefer commands. */
  delete(id: RegionId): { region: Region; index: number } {
    const region = this.require(id);
    const index = this.order.indexOf(id);
    this.byId.delete(id);
    this.order.splice(index, 1);
    this.changed([id], true);
    return { region, index };
  }

  /** Put region objects back exactly as given (no origin change). Used by undo. */
  restore(regions: readonly Region[]): void {
    for (const r of regions) this.require(r.id);
    for (const r of regions) this.byId.set(r.id, r);
    this.changed(regions.map((r) => r.id), false);
  }

  /**
   * Apply a HUMAN edit to a region: `edit` returns the new value; the first human edit of a
   * `model` region turns it into `model-edited`. Returns the new region.
   */
  edit<R extends Region>(id: RegionId, edit: (region: R) => R): R {
    const before = this.require(id) as R;
    let after = edit(before);
    if (after.origin === 'model') after = { ...after, origin: 'model-edited' };
    this.byId.set(id, after);
    this.changed([id], false);
    return after;
  }

  /** Set UI-only flags (hidden / locked); not an edit, not serialized, not undoable. */
  setFlags(id: RegionId, flags: { hidden?: boolean; locked?: boolean }): void {
    const r = this.require(id);
    const next: Record<string, unknown> = { ...r };
    for (const key of ['hidden', 'locked'] as const) {
      const v = flags[key];
      if (v === true) next[key] = true;
      else if (v === false) delete next[key];
    }
    this.byId.set(id, next as unknown as Region);
    this.changed([id], false);
  }

  /** Replace the z-order with a permutation of the current ids. Low level: prefer commands. */
  setOrder(ids: readonly RegionId[]): void {
    const seen = new Set(ids);
    if (ids.length !== this.order.length || seen.size !== ids.length || ids.some((id) => !this.byId.has(id))) {
      throw new Error('setOrder needs a permutation of the current region ids');
    }
    this.order = [...ids];
    this.changed(ids, true);
  }

  /** The canonical result list for the server (hidden / locked dropped). */
  toResult(): ResultItem[] {
    return this.list().map(regionToResult);
  }

  /** A document from the server's canonical result list; throws ResultFormatError. */
  static fromResult(json: unknown): AnnotationDocument {
    if (!Array.isArray(json)) throw new ResultFormatError('result', 'must be a list of regions');
    return new AnnotationDocument(json.map((item, i) => regionFromResult(item, `result[${i}]`)));
  }

  private require(id: RegionId): Region {
    const r = this.byId.get(id);
    if (!r) throw new Error(`no region "${id}"`);
    return r;
  }

  private changed(ids: readonly RegionId[], orderChanged: boolean): void {
    if (orderChanged) this.zCache = null;
    this.version++;
    const change: Change = { version: this.version, ids };
    for (const listener of this.listeners) listener(change);
  }
}

/** One region as a canonical result item. */
export function regionToResult(r: Region): ResultItem {
  const out: ResultItem = { ...r.extra, id: r.id, tool: r.tool, type: r.type };
  if ('label' in r) out.label = r.label;
  if ('geometry' in r) out.geometry = structuredClone(r.geometry);
  if ('value' in r) out.value = structuredClone(r.value);
  out.attributes = { ...r.attributes };
  if (r.score !== undefined) out.score = r.score;
  out.origin = r.origin;
  return out;
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
  const extra = Object.fromEntries(Object.entries(o).filter(([k]) => !KNOWN_KEYS.has(k)));
  if (Object.keys(extra).length > 0) base.extra = structuredClone(extra);
  if (isShapeType(type)) {
    if (typeof o.geometry !== 'object' || o.geometry === null) {
      throw new ResultFormatError(`${path}.geometry`, `required for a ${type} region`);
    }
    const geometry = structuredClone(o.geometry) as Record<string, unknown>;
    if (type === 'bbox' && geometry.rotation === undefined) geometry.rotation = 0;
    const problem = geometryProblem(type, geometry);
    if (problem) throw new ResultFormatError(`${path}.geometry`, problem);
    return { ...base, label: str('label'), geometry } as unknown as ShapeRegion;
  }
  if (type === 'classification' || type === 'text') {
    return { ...base, value: structuredClone(o.value) } as unknown as ValueRegion;
  }
  throw new ResultFormatError(`${path}.type`, `"${type}" regions are not part of the image workspace`);
}
