/**
 * The annotation document: regions in a normalized map plus a z-order list and a `version`
 * counter bumped on every change, so the UI subscribes to one number instead of deep reactivity.
 * Regions are immutable values: a change replaces the object, so old references stay valid
 * snapshots (undo relies on that). Screens change the document through commands (commands.ts).
 */

import { isRelationRegion, type Region, type RegionId } from './regions';
import { ResultFormatError, regionFromResult, regionToResult, type ResultItem } from './result';

// The region kinds and the result format are part of the document's public surface.
export * from './regions';
export * from './result';

/** What changed: the ids touched, or 'all' after a bulk load. */
export interface Change {
  version: number;
  ids: readonly RegionId[] | 'all';
}

/** The annotation document of one task. */
export class AnnotationDocument {
  /** Bumped on every change; compare it to know whether to redraw. */
  version = 0;
  private readonly byId = new Map<RegionId, Region>();
  private order: RegionId[] = [];
  private zCache: Map<RegionId, number> | null = null;
  private readonly listeners = new Set<(change: Change) => void>();
  /** How many relations the document holds (removals look for dangling ones only when > 0). */
  private relations = 0;

  /** A document holding `regions`, bottom to top. */
  constructor(regions: Iterable<Region> = []) {
    for (const r of regions) {
      if (this.byId.has(r.id)) throw new Error(`duplicate region id "${r.id}"`);
      this.byId.set(r.id, r);
      this.order.push(r.id);
      if (isRelationRegion(r)) this.relations++;
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

  /** Ids of the relations (outside `ids`) that point at one of `ids`, bottom to top. */
  relationsTo(ids: ReadonlySet<RegionId>): RegionId[] {
    if (this.relations === 0) return [];
    return this.list()
      .filter((r) => isRelationRegion(r) && !ids.has(r.id) && (ids.has(r.geometry.from) || ids.has(r.geometry.to)))
      .map((r) => r.id);
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
    if (isRelationRegion(region)) this.relations++;
    this.changed([region.id], true);
  }

  /** Remove a region; returns it and its former z position. Low level: prefer commands. */
  delete(id: RegionId): { region: Region; index: number } {
    const region = this.require(id);
    const index = this.order.indexOf(id);
    this.byId.delete(id);
    this.order.splice(index, 1);
    if (isRelationRegion(region)) this.relations--;
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

  /** A document from the server's canonical result list; throws ResultFormatError (a relation
   * must link two regions of the same result). */
  static fromResult(json: unknown): AnnotationDocument {
    if (!Array.isArray(json)) throw new ResultFormatError('result', 'must be a list of regions');
    const regions = json.map((item, i) => regionFromResult(item, `result[${i}]`));
    const ids = new Set(regions.map((r) => r.id));
    regions.forEach((r, i) => {
      if (!isRelationRegion(r)) return;
      for (const end of ['from', 'to'] as const) {
        const target = r.geometry[end];
        if (!ids.has(target)) throw new ResultFormatError(`result[${i}].geometry.${end}`, `no region with id "${target}" in the result`);
      }
    });
    return new AnnotationDocument(regions);
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
