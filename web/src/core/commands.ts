/**
 * Undo as a capped command stack (apply / invert / merge), not snapshots. A command records what
 * it replaced while it applies, so `invert()` is valid only after `apply()`; the inverse restores
 * the exact previous region objects and z-order.
 */

import {
  geometryProblem,
  isRelationRegion,
  isShapeRegion,
  isSpanRegion,
  isTrackRegion,
  relationProblem,
  spanProblem,
  trackProblem,
  type AnnotationDocument,
  type Attributes,
  type Keyframe,
  type Region,
  type RegionId,
  type RelationEnds,
  type Span,
  type TrackRegion,
} from './document';
import type { Shape } from './geometry';

/** One undoable change to a document. */
export interface Command {
  /** Human-readable name for menus and toasts ("Move box"). */
  readonly label: string;
  /** Change the document. */
  apply(doc: AnnotationDocument): void;
  /** The command that undoes this one (call after `apply`). */
  invert(): Command;
  /** This command and `next` (already applied) as one, or null if they stay separate. */
  mergeWith?(next: Command): Command | null;
}

function notApplied(label: string): never {
  throw new Error(`invert() of "${label}" before apply()`);
}

/** Put back exact region objects (the inverse of every edit). */
export class RestoreRegions implements Command {
  constructor(
    private readonly before: readonly Region[],
    private readonly after: readonly Region[],
    readonly label: string,
  ) {}
  apply(doc: AnnotationDocument): void {
    doc.restore(this.after);
  }
  invert(): Command {
    return new RestoreRegions(this.after, this.before, this.label);
  }
}

/** Base for human edits of existing regions: records before/after objects. */
abstract class EditRegions implements Command {
  protected before: Region[] | null = null;
  protected after: Region[] = [];
  abstract readonly label: string;
  constructor(protected readonly ids: readonly RegionId[]) {}
  protected abstract change(region: Region): Region;
  apply(doc: AnnotationDocument): void {
    this.before = this.ids.map((id) => {
      const r = doc.get(id);
      if (!r) throw new Error(`no region "${id}"`);
      return r;
    });
    // Compute every new value first: a refused change leaves the document untouched.
    const changed = this.before.map((r) => this.change(r));
    this.after = this.ids.map((id, i) => doc.edit(id, () => changed[i] as Region));
  }
  invert(): Command {
    return new RestoreRegions(this.after, this.before ?? notApplied(this.label), this.label);
  }
}

/** Add one region (on top, or at z position `index`). */
export class AddRegion implements Command {
  readonly label: string;
  constructor(private readonly region: Region, private readonly index?: number) {
    this.label = `Add ${region.type}`;
  }
  apply(doc: AnnotationDocument): void {
    doc.insert(this.region, this.index);
  }
  invert(): Command {
    return new RemoveRegions([this.region.id], this.label);
  }
}

/** Put removed regions back at their former z positions (inverse of RemoveRegions). */
class InsertRegions implements Command {
  constructor(
    private readonly entries: readonly { region: Region; index: number }[],
    readonly label: string,
  ) {}
  apply(doc: AnnotationDocument): void {
    // Ascending positions: each one is final once the lower ones are back.
    for (const e of [...this.entries].sort((a, b) => a.index - b.index)) doc.insert(e.region, e.index);
  }
  invert(): Command {
    return new RemoveRegions(this.entries.map((e) => e.region.id), this.label);
  }
}

/** Remove regions, and the relations that point at them (a relation cannot dangle). */
export class RemoveRegions implements Command {
  private removed: { region: Region; index: number }[] | null = null;
  constructor(private readonly ids: readonly RegionId[], readonly label = 'Delete') {}
  apply(doc: AnnotationDocument): void {
    const all = [...this.ids, ...doc.relationsTo(new Set(this.ids))];
    // Highest z first, so recorded positions are the original ones once re-inserted ascending.
    const sorted = all.sort((a, b) => doc.zIndex(b) - doc.zIndex(a));
    this.removed = sorted.map((id) => doc.delete(id));
  }
  invert(): Command {
    return new InsertRegions(this.removed ?? notApplied(this.label), this.label);
  }
}

/** What UpdateGeometry sets: a shape's geometry, a span's `[start, end)` or a relation's ends. */
export type AnyGeometry = Shape['geometry'] | Span | RelationEnds;

/**
 * Set a region's geometry (a shape's, a span's range, a relation's ends; a track changes through
 * SetKeyframe). Consecutive updates of the same region with the same `gesture` id merge, so a
 * whole drag is one undo step.
 */
export class UpdateGeometry extends EditRegions {
  readonly label = 'Edit shape';
  constructor(
    readonly id: RegionId,
    private readonly geometry: AnyGeometry,
    readonly gesture?: string | number,
  ) {
    super([id]);
  }
  protected change(region: Region): Region {
    const problem = isShapeRegion(region)
      ? geometryProblem(region.type, this.geometry)
      : isSpanRegion(region)
        ? spanProblem(this.geometry)
        : isRelationRegion(region)
          ? relationProblem(this.geometry)
          : `a ${isTrackRegion(region) ? 'track keeps its geometry in keyframes' : `${region.type} region has no geometry`}`;
    if (problem) throw new Error(`not a ${region.type} geometry for "${region.id}": ${problem}`);
    return { ...region, geometry: this.geometry } as Region;
  }
  mergeWith(next: Command): Command | null {
    if (!(next instanceof UpdateGeometry) || next.id !== this.id) return null;
    if (this.gesture === undefined || next.gesture !== this.gesture) return null;
    const merged = new UpdateGeometry(this.id, next.geometry, this.gesture);
    merged.before = this.before;
    merged.after = next.after;
    return merged;
  }
}

/**
 * Set the label of shape regions. `attributes` gives a region's attributes under the new label
 * (e.g. without the ones the new label does not declare); by default they are kept as they are.
 */
export class SetLabel extends EditRegions {
  readonly label = 'Change label';
  constructor(
    ids: readonly RegionId[],
    private readonly value: string,
    private readonly attributes?: (region: Region, label: string) => Attributes,
  ) {
    super(ids);
  }
  protected change(region: Region): Region {
    if (!('label' in region)) throw new Error(`region "${region.id}" has no label`);
    const attributes = this.attributes ? this.attributes(region, this.value) : region.attributes;
    return { ...region, label: this.value, attributes };
  }
}

/**
 * Set one attribute on regions (`undefined` removes it). Consecutive sets of the same attribute
 * on the same regions with the same `gesture` id merge, so typing into a field is one undo step.
 */
export class SetAttribute extends EditRegions {
  readonly label: string;
  constructor(
    ids: readonly RegionId[],
    readonly key: string,
    private readonly value: unknown,
    readonly gesture?: string | number,
  ) {
    super(ids);
    this.label = `Set ${key}`;
  }
  protected change(region: Region): Region {
    const attributes: Record<string, unknown> = { ...region.attributes };
    if (this.value === undefined) delete attributes[this.key];
    else attributes[this.key] = this.value;
    return { ...region, attributes: attributes as Attributes };
  }
  mergeWith(next: Command): Command | null {
    if (!(next instanceof SetAttribute) || next.key !== this.key) return null;
    if (this.gesture === undefined || next.gesture !== this.gesture) return null;
    if (next.ids.length !== this.ids.length || next.ids.some((id, i) => id !== this.ids[i])) return null;
    const merged = new SetAttribute(this.ids, this.key, next.value, this.gesture);
    merged.before = this.before;
    merged.after = next.after;
    return merged;
  }
}

/**
 * Set a track's keyframe on `keyframe.frame` (replacing the one there, or inserted in frame
 * order). Consecutive sets of the same track and frame with the same `gesture` id merge, so a
 * drag on one frame is one undo step.
 */
export class SetKeyframe extends EditRegions {
  readonly label = 'Set keyframe';
  constructor(
    readonly id: RegionId,
    private readonly keyframe: Keyframe,
    readonly gesture?: string | number,
  ) {
    super([id]);
  }
  protected change(region: Region): Region {
    if (!isTrackRegion(region)) throw new Error(`region "${region.id}" is not a track`);
    const others = (region.track as readonly Keyframe[]).filter((k) => k.frame !== this.keyframe.frame);
    const track = [...others, this.keyframe].sort((a, b) => a.frame - b.frame);
    const problem = trackProblem(region.type, track);
    if (problem) throw new Error(`not a ${region.type} track for "${region.id}": track${problem.at} ${problem.message}`);
    return { ...region, track } as TrackRegion;
  }
  mergeWith(next: Command): Command | null {
    if (!(next instanceof SetKeyframe) || next.id !== this.id || next.keyframe.frame !== this.keyframe.frame) return null;
    if (this.gesture === undefined || next.gesture !== this.gesture) return null;
    const merged = new SetKeyframe(this.id, next.keyframe, this.gesture);
    merged.before = this.before;
    merged.after = next.after;
    return merged;
  }
}

/** Remove a track's keyframe on `frame` (a track keeps at least one). */
export class RemoveKeyframe extends EditRegions {
  readonly label = 'Remove keyframe';
  constructor(
    readonly id: RegionId,
    private readonly frame: number,
  ) {
    super([id]);
  }
  protected change(region: Region): Region {
    if (!isTrackRegion(region)) throw new Error(`region "${region.id}" is not a track`);
    const track = (region.track as readonly Keyframe[]).filter((k) => k.frame !== this.frame);
    if (track.length === region.track.length) throw new Error(`track "${region.id}" has no keyframe on frame ${this.frame}`);
    if (track.length === 0) throw new Error(`track "${region.id}" needs at least one keyframe; delete the track instead`);
    return { ...region, track } as TrackRegion;
  }
}

/** Where ReorderZ moves regions. */
export type ZMove = 'front' | 'back' | 'forward' | 'backward';

/** Restore a recorded z-order (inverse of ReorderZ). */
class SetOrder implements Command {
  constructor(private readonly before: readonly RegionId[], private readonly after: readonly RegionId[], readonly label: string) {}
  apply(doc: AnnotationDocument): void {
    doc.setOrder(this.after);
  }
  invert(): Command {
    return new SetOrder(this.after, this.before, this.label);
  }
}

/** Move regions to the front/back or one step forward/backward in z-order. */
export class ReorderZ implements Command {
  readonly label = 'Reorder';
  private before: readonly RegionId[] | null = null;
  private after: readonly RegionId[] = [];
  constructor(private readonly ids: readonly RegionId[], private readonly move: ZMove) {}
  apply(doc: AnnotationDocument): void {
    this.before = [...doc.ordering];
    this.after = reorder(this.before, new Set(this.ids), this.move);
    doc.setOrder(this.after);
  }
  invert(): Command {
    return new SetOrder(this.after, this.before ?? notApplied(this.label), this.label);
  }
}

function reorder(order: readonly RegionId[], moving: ReadonlySet<RegionId>, move: ZMove): RegionId[] {
  const rest = order.filter((id) => !moving.has(id));
  const picked = order.filter((id) => moving.has(id));
  if (move === 'front') return [...rest, ...picked];
  if (move === 'back') return [...picked, ...rest];
  const out = [...order];
  // Step each moving id past its neighbour, scanning from the side it moves towards.
  const up = move === 'forward';
  for (let k = 0; k < out.length; k++) {
    const i = up ? out.length - 2 - k : k + 1;
    const j = up ? i + 1 : i - 1;
    if (i < 0 || i >= out.length) continue;
    const a = out[i] as RegionId;
    const b = out[j] as RegionId;
    if (moving.has(a) && !moving.has(b)) [out[i], out[j]] = [b, a];
  }
  return out;
}

/** Several commands as one undo step. */
export class Batch implements Command {
  constructor(private readonly commands: readonly Command[], readonly label: string) {}
  apply(doc: AnnotationDocument): void {
    for (const c of this.commands) c.apply(doc);
  }
  invert(): Command {
    return new Batch(this.commands.map((c) => c.invert()).reverse(), this.label);
  }
}

interface Entry {
  forward: Command;
  backward: Command;
}

/** Undo/redo stack over one document, capped (oldest entries dropped). */
export class History {
  private done: Entry[] = [];
  private undone: Entry[] = [];

  constructor(private readonly doc: AnnotationDocument, readonly limit = 128) {}

  /** Apply `command`, merging it into the last step when it can; clears redo. */
  execute(command: Command): void {
    command.apply(this.doc);
    this.undone = [];
    const last = this.done[this.done.length - 1];
    const merged = last?.forward.mergeWith?.(command) ?? null;
    if (last && merged) {
      this.done[this.done.length - 1] = { forward: merged, backward: merged.invert() };
      return;
    }
    this.done.push({ forward: command, backward: command.invert() });
    if (this.done.length > this.limit) this.done.splice(0, this.done.length - this.limit);
  }

  /** Undo the last step; returns its command, or null if there is none. */
  undo(): Command | null {
    const entry = this.done.pop();
    if (!entry) return null;
    entry.backward.apply(this.doc);
    this.undone.push(entry);
    return entry.forward;
  }

  /** Redo the last undone step exactly; returns its command, or null. */
  redo(): Command | null {
    const entry = this.undone.pop();
    if (!entry) return null;
    // Re-apply the inverse of the inverse: exact recorded objects, not a recomputation.
    const again = entry.backward.invert();
    again.apply(this.doc);
    this.done.push({ forward: entry.forward, backward: entry.backward });
    return entry.forward;
  }

  /** True if there is a step to undo. */
  get canUndo(): boolean {
    return this.done.length > 0;
  }

  /** True if there is a step to redo. */
  get canRedo(): boolean {
    return this.undone.length > 0;
  }

  /** Number of steps that can be undone. */
  get depth(): number {
    return this.done.length;
  }

  /** Forget all steps (e.g. after loading another task). */
  clear(): void {
    this.done = [];
    this.undone = [];
  }
}
