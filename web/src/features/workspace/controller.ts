/**
 * The image workspace without the framework: document, history, spatial index, viewport, the
 * pointer tools, selection, palettes, suggestions (accept / reject / threshold), answers
 * (classification / text) and the draft. Svelte components call it and watch `version`.
 */

import {
  AddRegion,
  AnnotationDocument,
  History,
  RemoveRegions,
  ReorderZ,
  RestoreRegions,
  SetAttribute,
  SetLabel,
  UpdateGeometry,
  isShapeRegion,
  type Command,
  type Region,
  type RegionId,
  type ResultItem,
  type ShapeRegion,
  type ShapeType,
  type ValueRegion,
} from '../../core';
import {
  BrushTool,
  KeypointsTool,
  PolygonTool,
  RectangleTool,
  SelectTool,
  SpatialIndex,
  Viewport,
  clampMove,
  translate,
  type ActiveLabel,
  type Tool,
  type ToolHost,
} from '../../engine';
import { attributesAfterRelabel, type AttributeSpec } from './attributes';
import type { Draft } from './draft';
import type { PaletteEntry, WorkspaceSchema } from './schema';

/** The last copied shape, shared by the workspaces of successive tasks (paste into the next). */
let clipboard: ShapeRegion | null = null;

/** Names of the workspace tools. */
export type ToolName = 'select' | 'pan' | 'rectangle' | 'polygon' | 'keypoints' | 'brush' | 'eraser';

/** The shape type each drawing tool makes. */
export const TOOL_TYPE: Partial<Record<ToolName, ShapeType>> = {
  rectangle: 'bbox',
  polygon: 'polygon',
  keypoints: 'keypoints',
  brush: 'mask',
  eraser: 'mask',
};

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

/** One task's workspace. */
export class Workspace implements ToolHost {
  readonly doc: AnnotationDocument;
  readonly history: History;
  readonly index = new SpatialIndex();
  readonly viewport = new Viewport();
  readonly tools: Record<Exclude<ToolName, 'pan'>, Tool>;
  tool: ToolName = 'select';
  lastDrawTool: ToolName = 'rectangle';
  private selected: RegionId | null = null;
  /** Chosen palette index per shape type (keys 1–9). */
  readonly labelIndex: Record<ShapeType, number> = { bbox: 0, polygon: 0, keypoints: 0, mask: 0 };
  brush = 8;
  /** Accepted model suggestions. */
  readonly reviewed = new Set<RegionId>();
  /** Suggestions below this score are hidden and never submitted. */
  minScore = 0;
  predictionsLoaded = false;
  report: string | undefined;
  /** Called with user-facing notes from tools and actions. */
  onNotify: (message: string) => void = () => {};
  /** Called after anything that changes what the UI shows (selection, tool, palette…). */
  onState: () => void = () => {};
  private readonly unfollow: () => void;

  constructor(readonly schema: WorkspaceSchema, readonly imageWidth: number, readonly imageHeight: number, regions: Iterable<Region> = []) {
    this.doc = new AnnotationDocument(regions);
    this.history = new History(this.doc);
    this.unfollow = this.index.follow(this.doc);
    this.tools = {
      select: new SelectTool(this),
      rectangle: new RectangleTool(this),
      polygon: new PolygonTool(this),
      keypoints: new KeypointsTool(this),
      brush: new BrushTool(this),
      eraser: new BrushTool(this, true),
    };
    const first = (['bbox', 'polygon', 'keypoints', 'mask'] as const).find((t) => schema.palettes[t].length > 0);
    this.lastDrawTool = first === 'polygon' ? 'polygon' : first === 'keypoints' ? 'keypoints' : first === 'mask' ? 'brush' : 'rectangle';
  }

  /** A workspace restored from a draft (regions, accepted suggestions, flags). */
  static fromDraft(schema: WorkspaceSchema, w: number, h: number, draft: Draft): Workspace {
    const ws = new Workspace(schema, w, h, AnnotationDocument.fromResult(draft.result).list());
    for (const id of draft.reviewed) ws.reviewed.add(id);
    for (const id of draft.hidden) if (ws.doc.get(id)) ws.doc.setFlags(id, { hidden: true });
    for (const id of draft.locked) if (ws.doc.get(id)) ws.doc.setFlags(id, { locked: true });
    ws.predictionsLoaded = draft.predictions_loaded;
    if (draft.report !== undefined) ws.report = draft.report;
    return ws;
  }

  dispose(): void {
    this.unfollow();
  }

  // --- ToolHost -------------------------------------------------------------------------------

  scale(): number {
    return this.viewport.scale;
  }
  selection(): RegionId | null {
    return this.selected;
  }
  select(id: RegionId | null): void {
    if (id === this.selected) return;
    this.selected = id;
    this.onState();
  }
  activeLabel(type: ShapeType): ActiveLabel | null {
    const p = this.paletteEntry(type);
    return p ? { tool: p.tool, label: p.label, keypoints: p.keypoints, skeleton: p.skeleton } : null;
  }
  newId(): string {
    let id = uid();
    while (this.doc.get(id)) id = uid();
    return id;
  }
  brushRadius(): number {
    return this.brush / 2;
  }
  notify(message: string): void {
    this.onNotify(message);
  }

  // --- tools and palette ------------------------------------------------------------------------

  /** The active pointer tool (the select tool stands in for pan). */
  get activeTool(): Tool {
    return this.tool === 'pan' ? this.tools.select : this.tools[this.tool];
  }

  /** True if the schema has a tool for what `name` draws. */
  available(name: ToolName): boolean {
    const type = TOOL_TYPE[name];
    return !type || this.schema.palettes[type].length > 0;
  }

  setTool(name: ToolName): void {
    if (!this.available(name)) {
      this.notify(`This project's schema has no ${TOOL_TYPE[name]} tool`);
      return;
    }
    if (name !== this.tool) this.activeTool.cancel();
    this.tool = name;
    if (TOOL_TYPE[name]) this.lastDrawTool = name;
    this.onState();
  }

  /** The shape type whose palette keys 1–9 choose from now. */
  get paletteType(): ShapeType {
    const sel = this.selected ? this.doc.get(this.selected) : undefined;
    if (this.tool === 'select' && sel && isShapeRegion(sel)) return sel.type;
    return TOOL_TYPE[this.tool] ?? TOOL_TYPE[this.lastDrawTool] ?? 'bbox';
  }

  paletteEntry(type: ShapeType): PaletteEntry | null {
    const list = this.schema.palettes[type];
    return list[Math.min(this.labelIndex[type], list.length - 1)] ?? null;
  }

  /** Choose palette entry `i` (0-based) for the palette type; relabels the selection in select mode. */
  chooseLabel(i: number): void {
    const type = this.paletteType;
    const entry = this.schema.palettes[type][i];
    if (!entry) return;
    this.labelIndex[type] = i;
    const sel = this.selected ? this.doc.get(this.selected) : undefined;
    if (this.tool === 'select' && sel && isShapeRegion(sel) && !sel.locked) this.relabel(sel.id, entry.label);
    this.onState();
  }

  /** Set the label of a region (a label of its own tool); attributes the new label does not take are dropped. */
  relabel(id: RegionId, label: string): void {
    const r = this.doc.get(id);
    if (!r || !isShapeRegion(r) || r.label === label) return;
    const specs = (l: string) => this.schema.attributesOf?.(r.tool, l) ?? [];
    this.history.execute(new SetLabel([id], label, (x, to) => attributesAfterRelabel(x.attributes, this.attributeSpecs(x), specs(to))));
  }

  /** The attributes a region's label declares (none for answers). */
  attributeSpecs(region: Region): readonly AttributeSpec[] {
    return isShapeRegion(region) ? this.schema.attributesOf?.(region.tool, region.label) ?? [] : [];
  }

  /** Set (`undefined`: remove) an attribute of an unlocked region; edits with one `gesture` id merge into one undo step. */
  setAttribute(id: RegionId, key: string, value: unknown, gesture?: number): void {
    const r = this.doc.get(id);
    if (!r || r.locked || Object.is(r.attributes[key], value)) return;
    this.history.execute(new SetAttribute([id], key, value, gesture));
  }

  /** Labels a region may take (its tool's labels). */
  labelsFor(region: Region): string[] {
    if (!isShapeRegion(region)) return [];
    return this.schema.palettes[region.type].filter((p) => p.tool === region.tool).map((p) => p.label);
  }

  colorOf(region: Region): string {
    return isShapeRegion(region) ? this.schema.colorOf(region.tool, region.label) : '#888888';
  }

  // --- selection edits --------------------------------------------------------------------------

  deleteSelected(): void {
    const id = this.selected;
    const r = id ? this.doc.get(id) : undefined;
    if (!r || r.locked) return;
    this.history.execute(new RemoveRegions([r.id]));
    this.select(null);
  }

  /** Copy the selected shape (kept for pasting into this task or the next ones). */
  copySelected(): boolean {
    const r = this.selected ? this.doc.get(this.selected) : undefined;
    if (!r || !isShapeRegion(r)) return false;
    clipboard = structuredClone(r);
    this.notify(`Copied ${r.type} "${r.label}"`);
    return true;
  }

  /** Paste the copied shape as a new human region, 10 px further while it would land exactly
   * on an existing shape (so repeated pastes fan out), kept inside the image. */
  paste(): boolean {
    const copied = clipboard;
    if (!copied) return false;
    const taken = new Set(this.doc.list().filter(isShapeRegion).map((r) => JSON.stringify(r.geometry)));
    let geometry = copied.geometry;
    for (let step = 0; step < 20 && taken.has(JSON.stringify(geometry)); step++) {
      const shape = { ...copied, geometry } as ShapeRegion;
      const [dx, dy] = clampMove(shape, 10, 10, this.imageWidth, this.imageHeight);
      geometry = translate(shape, dx, dy);
    }
    const region = {
      ...structuredClone(copied), id: this.newId(), geometry, origin: 'human',
      hidden: false, locked: false,
    } as Region;
    this.history.execute(new AddRegion(region));
    this.select(region.id);
    return true;
  }

  /** Move the selected shape to the top or the bottom of the drawing order. */
  reorderSelected(move: 'front' | 'back'): boolean {
    const r = this.selected ? this.doc.get(this.selected) : undefined;
    if (!r || r.locked) return false;
    this.history.execute(new ReorderZ([r.id], move));
    return true;
  }

  remove(id: RegionId): void {
    if (!this.doc.get(id)) return;
    this.history.execute(new RemoveRegions([id]));
    if (this.selected === id) this.select(null);
  }

  nudge(dx: number, dy: number): void {
    const r = this.selected ? this.doc.get(this.selected) : undefined;
    if (!r || !isShapeRegion(r) || r.locked) return;
    const [cx, cy] = clampMove(r, dx, dy, this.imageWidth, this.imageHeight);
    if (cx === 0 && cy === 0) return;
    this.history.execute(new UpdateGeometry(r.id, translate(r, cx, cy)));
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

  /** Shape regions in z-order (top first) as the object list shows them. */
  objects(): Region[] {
    return this.doc.list().filter(isShapeRegion).reverse();
  }

  cycle(step: 1 | -1): void {
    const list = this.objects().filter((r) => !r.hidden && this.visibleSuggestion(r));
    if (list.length === 0) return;
    const i = list.findIndex((r) => r.id === this.selected);
    const next = list[(i + step + list.length) % list.length] as Region;
    this.select(next.id);
  }

  /** Toggle the grabbed keypoint of the selected keypoints region between visible (2) and occluded (1). */
  toggleKeypointVisibility(): boolean {
    const r = this.selected ? this.doc.get(this.selected) : undefined;
    const k = this.tools.select instanceof SelectTool ? this.tools.select.keypoint : null;
    if (!r || !isShapeRegion(r) || r.type !== 'keypoints' || k === null || r.locked) return false;
    const points = r.geometry.points.map((p, i): [number, number, number] => (i === k && p[2] > 0 ? [p[0], p[1], p[2] === 2 ? 1 : 2] : p));
    this.history.execute(new UpdateGeometry(r.id, { points }));
    return true;
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
    return (this.doc.list().find((r) => r.tool === tool && !isShapeRegion(r)) as ValueRegion | undefined) ?? null;
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
    this.activeTool.cancel();
    this.history.undo();
    if (this.selected && !this.doc.get(this.selected)) this.select(null);
  }

  redo(): void {
    this.activeTool.cancel();
    this.history.redo();
    if (this.selected && !this.doc.get(this.selected)) this.select(null);
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
      ...(this.report !== undefined ? { report: this.report } : {}),
    };
  }

  // --- keyboard ---------------------------------------------------------------------------------

  /**
   * Run a keymap action that belongs to the canvas; returns false for the ones the page owns
   * (submit, skip, save, help) or that did nothing. The active tool gets the first say.
   */
  perform(action: string): boolean {
    if (this.activeTool.action(action)) {
      this.onState();
      return true;
    }
    const nudges: Record<string, [number, number]> = {
      'selection.nudgeLeft': [-1, 0], 'selection.nudgeRight': [1, 0], 'selection.nudgeUp': [0, -1], 'selection.nudgeDown': [0, 1],
      'selection.nudgeLeft10': [-10, 0], 'selection.nudgeRight10': [10, 0], 'selection.nudgeUp10': [0, -10], 'selection.nudgeDown10': [0, 10],
    };
    const nudge = nudges[action];
    if (nudge) {
      this.nudge(nudge[0], nudge[1]);
      return true;
    }
    const digit = /^label\.choose(\d)$/.exec(action);
    if (digit) {
      this.chooseLabel(Number(digit[1]) - 1);
      return true;
    }
    switch (action) {
      case 'history.undo': this.undo(); return true;
      case 'history.redo': this.redo(); return true;
      case 'tool.select':
        if (this.tool === 'select' && this.toggleKeypointVisibility()) return true;
        this.setTool('select');
        return true;
      case 'tool.pan': this.setTool('pan'); return true;
      case 'tool.rectangle': this.setTool('rectangle'); return true;
      case 'tool.polygon': this.setTool('polygon'); return true;
      case 'tool.keypoint': this.setTool('keypoints'); return true;
      case 'tool.brush': this.setTool('brush'); return true;
      case 'tool.eraser': this.setTool('eraser'); return true;
      case 'tool.repeat': this.setTool(this.lastDrawTool); return true;
      case 'brush.smaller': this.brush = Math.max(1, Math.round(this.brush / 1.25)); this.onState(); return true;
      case 'brush.larger': this.brush = Math.min(512, Math.round(this.brush * 1.25) + 1); this.onState(); return true;
      case 'draw.cancel': this.select(null); return true;
      case 'selection.delete': this.deleteSelected(); return true;
      case 'selection.copy': return this.copySelected();
      case 'selection.paste': return this.paste();
      case 'selection.front': return this.reorderSelected('front');
      case 'selection.back': return this.reorderSelected('back');
      case 'selection.next': this.cycle(1); return true;
      case 'selection.previous': this.cycle(-1); return true;
      case 'selection.lock': if (this.selected) this.toggleLocked(this.selected); return true;
      case 'selection.hide': if (this.selected) this.toggleHidden(this.selected); return true;
      case 'keypoint.visibility': return this.toggleKeypointVisibility();
      case 'prediction.accept': if (this.selected) this.accept(this.selected); return true;
      case 'prediction.reject': if (this.selected) this.reject(this.selected); return true;
      case 'prediction.acceptAll': this.notify(`Accepted ${this.acceptAll()} suggestion(s)`); return true;
      default: return false;
    }
  }
}
