/**
 * One task's annotation session, whatever the medium, without the framework: the document and
 * its history, the selection, suggestions (accept / reject / threshold), answers
 * (classification / text), labels and attributes, hide / lock, the object list, the draft and
 * what a submit sends. A medium's view (views.ts) adds its own tools on top and attaches itself,
 * so undo and submit can stop or finish its in-progress input. Svelte components call it and
 * watch `version`.
 */

import {
  AddRegion,
  AnnotationDocument,
  History,
  RemoveRegions,
  RestoreRegions,
  SetAttribute,
  SetLabel,
  isValueRegion,
  regionKind,
  type Command,
  type Region,
  type RegionId,
  type RegionKind,
  type ResultItem,
  type ValueRegion,
} from '../../core';
import { attributesAfterRelabel, type AttributeSpec } from './attributes';
import type { Draft } from './draft';
import type { WorkspaceSchema } from './schema';

/** What the session needs from the view attached to it. */
export interface AttachedView {
  /** Drop in-progress input (a half-drawn shape) before undo / redo. */
  cancel?(): void;
  /** Commit input the user already handed over (a released brush stroke) before reading the document. */
  settle?(): void;
}

/** What changed besides the document: `state` (selection, tool, palette…) or `filter` (what is shown). */
export type SessionChange = 'state' | 'filter';

/** Set a value region's `value` (undoable; consecutive text edits of one region merge). */
class SetValue implements Command {
  readonly label = 'Answer';
  private before: Region | null = null;
  private after: Region | null = null;
  constructor(readonly id: RegionId, private readonly value: unknown, readonly merge = false) {}
  apply(doc: AnnotationDocument): void {
    this.before = doc.get(this.id) ?? null;
    this.after = doc.edit<ValueRegion>(this.id, (r) => ({ ...r, value: this.value }));
  }
  invert(): Command {
    if (!this.before || !this.after) throw new Error('invert() of "Answer" before apply()');
    return new RestoreRegions([this.after], [this.before], this.label);
  }
  mergeWith(next: Command): Command | null {
    if (!(next instanceof SetValue) || !this.merge || !next.merge || next.id !== this.id) return null;
    const merged = new SetValue(this.id, next.value, true);
    merged.before = this.before;
    merged.after = next.after;
    return merged;
  }
}

/** Mark model suggestions accepted (not a document edit: the geometry stays the model's). */
class Accept implements Command {
  readonly label = 'Accept suggestion';
  constructor(private readonly ids: readonly RegionId[], private readonly reviewed: Set<RegionId>, private readonly on = true) {}
  apply(doc: AnnotationDocument): void {
    for (const id of this.ids) {
      if (this.on) this.reviewed.add(id);
      else this.reviewed.delete(id);
    }
    // Same objects back: bumps the version so views refresh, changes nothing.
    doc.restore(this.ids.map((id) => doc.get(id)).filter((r): r is Region => !!r));
  }
  invert(): Command {
    return new Accept(this.ids, this.reviewed, !this.on);
  }
}

let seq = 0;
function uid(): string {
  const c = globalThis.crypto;
  return c && 'randomUUID' in c ? c.randomUUID().slice(0, 13) : `r${Date.now().toString(36)}${(++seq).toString(36)}`;
}

/** The labelled regions (shapes, tracks, spans, relations): everything but whole-task answers. */
const labelled = (r: Region): r is Exclude<Region, ValueRegion> => 'label' in r;

/** One task's annotation session. */
export class AnnotationSession {
  readonly doc: AnnotationDocument;
  readonly history: History;
  /** Accepted model suggestions. */
  readonly reviewed = new Set<RegionId>();
  /** Suggestions below this score are hidden and never submitted. */
  minScore = 0;
  predictionsLoaded = false;
  /** Called with user-facing notes from tools and actions. */
  onNotify: (message: string) => void = () => {};
  private selected: RegionId | null = null;
  private view: AttachedView | null = null;
  private readonly listeners = new Set<(change: SessionChange) => void>();

  /** `objectKinds`: the region kinds the object list shows (the view's, without answers). */
  constructor(
    readonly schema: WorkspaceSchema,
    regions: Iterable<Region> = [],
    readonly objectKinds: readonly RegionKind[] = ['shape'],
  ) {
    this.doc = new AnnotationDocument(regions);
    this.history = new History(this.doc);
  }

  /** A session restored from a draft (regions, accepted suggestions, flags). */
  static fromDraft(schema: WorkspaceSchema, draft: Draft, objectKinds?: readonly RegionKind[]): AnnotationSession {
    const s = new AnnotationSession(schema, AnnotationDocument.fromResult(draft.result).list(), objectKinds);
    for (const id of draft.reviewed) s.reviewed.add(id);
    for (const id of draft.hidden) if (s.doc.get(id)) s.doc.setFlags(id, { hidden: true });
    for (const id of draft.locked) if (s.doc.get(id)) s.doc.setFlags(id, { locked: true });
    s.predictionsLoaded = draft.predictions_loaded;
    return s;
  }

  /**
   * A session over a result you submitted, to edit it: model regions in it were accepted when it
   * was submitted (only reviewed suggestions are), so they stay reviewed and are sent again; no
   * predictions are added on top.
   */
  static fromSubmitted(schema: WorkspaceSchema, result: unknown, objectKinds?: readonly RegionKind[]): AnnotationSession {
    const s = new AnnotationSession(schema, AnnotationDocument.fromResult(result).list(), objectKinds);
    for (const r of s.doc.list()) if (r.origin === 'model') s.reviewed.add(r.id);
    s.predictionsLoaded = true;
    return s;
  }

  /** The view that draws this session (one at a time). */
  attach(view: AttachedView | null): void {
    this.view = view;
  }

  /** Listen to changes that are not document changes; returns the unsubscribe function. */
  subscribe(listener: (change: SessionChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Tell the screens something they show changed (selection, a view's tool or palette…). */
  touch(change: SessionChange = 'state'): void {
    for (const l of this.listeners) l(change);
  }

  notify(message: string): void {
    this.onNotify(message);
  }

  newId(): string {
    let id = uid();
    while (this.doc.get(id)) id = uid();
    return id;
  }

  // --- selection --------------------------------------------------------------------------------

  selection(): RegionId | null {
    return this.selected;
  }

  select(id: RegionId | null): void {
    if (id === this.selected) return;
    this.selected = id;
    this.touch();
  }

  // --- labels and attributes --------------------------------------------------------------------

  /** Set the label of a region (a label of its own tool); attributes the new label does not take are dropped. */
  relabel(id: RegionId, label: string): void {
    const r = this.doc.get(id);
    if (!r || !labelled(r) || r.label === label) return;
    const specs = (l: string) => this.schema.attributesOf?.(r.tool, l) ?? [];
    this.history.execute(new SetLabel([id], label, (x, to) => attributesAfterRelabel(x.attributes, this.attributeSpecs(x), specs(to))));
  }

  /** The attributes a region's label declares (none for answers). */
  attributeSpecs(region: Region): readonly AttributeSpec[] {
    return labelled(region) ? this.schema.attributesOf?.(region.tool, region.label) ?? [] : [];
  }

  /** Set (`undefined`: remove) an attribute of an unlocked region; edits with one `gesture` id merge into one undo step. */
  setAttribute(id: RegionId, key: string, value: unknown, gesture?: number): void {
    const r = this.doc.get(id);
    if (!r || r.locked || Object.is(r.attributes[key], value)) return;
    this.history.execute(new SetAttribute([id], key, value, gesture));
  }

  /** Labels a region may take (its tool's labels). */
  labelsFor(region: Region): string[] {
    if (!labelled(region)) return [];
    const palette = this.schema.palettes[region.type as keyof WorkspaceSchema['palettes']] ?? [];
    return palette.filter((p) => p.tool === region.tool).map((p) => p.label);
  }

  colorOf(region: Region): string {
    return labelled(region) ? this.schema.colorOf(region.tool, region.label) : '#888888';
  }

  // --- the object list --------------------------------------------------------------------------

  /** The regions the object list shows, in z-order (top first). */
  objects(): Region[] {
    return this.doc.list().filter((r) => this.objectKinds.includes(regionKind(r))).reverse();
  }

  deleteSelected(): void {
    const id = this.selected;
    const r = id ? this.doc.get(id) : undefined;
    if (!r || r.locked) return;
    this.history.execute(new RemoveRegions([r.id]));
    this.select(null);
  }

  remove(id: RegionId): void {
    if (!this.doc.get(id)) return;
    this.history.execute(new RemoveRegions([id]));
    if (this.selected === id) this.select(null);
  }

  toggleHidden(id: RegionId): void {
    const r = this.doc.get(id);
    if (!r) return;
    this.doc.setFlags(id, { hidden: !r.hidden });
    if (!r.hidden && this.selected === id) this.select(null);
  }

  toggleLocked(id: RegionId): void {
    const r = this.doc.get(id);
    if (r) this.doc.setFlags(id, { locked: !r.locked });
  }

  cycle(step: 1 | -1): void {
    const list = this.objects().filter((r) => !r.hidden && this.visibleSuggestion(r));
    if (list.length === 0) return;
    const i = list.findIndex((r) => r.id === this.selected);
    const next = list[(i + step + list.length) % list.length] as Region;
    this.select(next.id);
  }

  // --- suggestions ------------------------------------------------------------------------------

  /** True for a model region not yet accepted (and never edited: an edit makes it model-edited). */
  isPending(r: Region): boolean {
    return r.origin === 'model' && !this.reviewed.has(r.id);
  }

  /** False for pending suggestions under the threshold. */
  visibleSuggestion(r: Region): boolean {
    return !(this.isPending(r) && r.score !== undefined && r.score < this.minScore);
  }

  /** Hide pending suggestions scored under `score`. */
  setMinScore(score: number): void {
    this.minScore = score;
    this.touch('filter');
  }

  /** Add suggestions to the document (not undoable: they are the starting point). */
  addSuggestions(regions: readonly Region[]): void {
    for (const r of regions) this.doc.insert(r);
    this.predictionsLoaded = true;
  }

  pending(): Region[] {
    return this.doc.list().filter((r) => this.isPending(r));
  }

  accept(id: RegionId): void {
    const r = this.doc.get(id);
    if (r && this.isPending(r)) this.history.execute(new Accept([id], this.reviewed));
  }

  reject(id: RegionId): void {
    const r = this.doc.get(id);
    if (r && r.origin === 'model') this.remove(id);
  }

  /** Accept every pending suggestion at or above the threshold; returns how many. */
  acceptAll(): number {
    const ids = this.pending().filter((r) => this.visibleSuggestion(r)).map((r) => r.id);
    if (ids.length) this.history.execute(new Accept(ids, this.reviewed));
    return ids.length;
  }

  // --- answers (classification / text) ---------------------------------------------------------

  answer(tool: string): ValueRegion | null {
    return (this.doc.list().find((r) => r.tool === tool && isValueRegion(r)) as ValueRegion | undefined) ?? null;
  }

  /** Set a classification's choices (none removes the answer) or a text answer ('' removes it). */
  setAnswer(tool: string, type: 'classification' | 'text', value: string[] | string): void {
    const existing = this.answer(tool);
    const empty = Array.isArray(value) ? value.length === 0 : value === '';
    const v = Array.isArray(value) ? { choices: value } : { text: value };
    if (empty) {
      if (existing) this.history.execute(new RemoveRegions([existing.id], 'Clear answer'));
      return;
    }
    if (existing) {
      this.history.execute(new SetValue(existing.id, v, type === 'text'));
      return;
    }
    const region: ValueRegion = { id: `${tool}-${this.newId()}`, tool, type, value: v, attributes: {}, origin: 'human' };
    this.history.execute(new AddRegion(region));
  }

  // --- undo, result, draft ----------------------------------------------------------------------

  undo(): void {
    this.view?.cancel?.();
    this.history.undo();
    if (this.selected && !this.doc.get(this.selected)) this.select(null);
  }

  redo(): void {
    this.view?.cancel?.();
    this.history.redo();
    if (this.selected && !this.doc.get(this.selected)) this.select(null);
  }

  /** Commit the view's handed-over input (call before reading the document for a submit). */
  settle(): void {
    this.view?.settle?.();
  }

  /** What a submit sends: every region except pending suggestions (unreviewed model output). */
  submittable(): ResultItem[] {
    const pending = new Set(this.pending().map((r) => r.id));
    return this.doc.toResult().filter((item) => !pending.has(item['id'] as string));
  }

  /** The autosave payload. */
  draft(leadMs: number, now = new Date()): Draft {
    const list = this.doc.list();
    return {
      v: 1,
      saved_at: now.toISOString(),
      result: this.doc.toResult(),
      reviewed: [...this.reviewed].filter((id) => this.doc.get(id)),
      hidden: list.filter((r) => r.hidden).map((r) => r.id),
      locked: list.filter((r) => r.locked).map((r) => r.id),
      lead_ms: Math.round(leadMs),
      predictions_loaded: this.predictionsLoaded,
    };
  }

  // --- keyboard ---------------------------------------------------------------------------------

  /**
   * Run a keymap action every medium shares (undo, delete, cycle, lock, hide, suggestions);
   * returns false for the others. The view's own actions run first (views.ts).
   */
  perform(action: string): boolean {
    const sel = this.selected;
    switch (action) {
      case 'history.undo': this.undo(); return true;
      case 'history.redo': this.redo(); return true;
      case 'draw.cancel': this.select(null); return true;
      case 'selection.delete': this.deleteSelected(); return true;
      case 'selection.next': this.cycle(1); return true;
      case 'selection.previous': this.cycle(-1); return true;
      case 'selection.lock': if (sel) this.toggleLocked(sel); return true;
      case 'selection.hide': if (sel) this.toggleHidden(sel); return true;
      case 'prediction.accept': if (sel) this.accept(sel); return true;
      case 'prediction.reject': if (sel) this.reject(sel); return true;
      case 'prediction.acceptAll': this.notify(`Accepted ${this.acceptAll()} suggestion(s)`); return true;
      default: return false;
    }
  }
}
