/**
 * The image view without the framework: spatial index, viewport, the pointer tools, the label
 * palette per shape type, copy / paste, nudges and drawing order, over a shell session
 * (`AnnotationSession`: document, history, selection, suggestions, answers, draft). Svelte
 * components call it and watch the shell's `version`.
 */

import {
  AddRegion,
  ReorderZ,
  type AnnotationDocument,
  type History,
  UpdateGeometry,
  isShapeRegion,
  type Region,
  type RegionId,
  type ShapeRegion,
  type ShapeType,
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
  isTypingTarget,
  translate,
  type ActiveLabel,
  type Tool,
  type ToolHost,
} from '../../engine';
import { labelSlots, type AnnotationSession, type PaletteEntry, type ViewController, type WorkspaceSchema } from '../annotate';

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

const NUDGES: Record<string, [number, number]> = {
  'selection.nudgeLeft': [-1, 0], 'selection.nudgeRight': [1, 0], 'selection.nudgeUp': [0, -1], 'selection.nudgeDown': [0, 1],
  'selection.nudgeLeft10': [-10, 0], 'selection.nudgeRight10': [10, 0], 'selection.nudgeUp10': [0, -10], 'selection.nudgeDown10': [0, 10],
};

/** One task's image view. */
export class ImageWorkspace implements ToolHost, ViewController {
  readonly index = new SpatialIndex();
  readonly viewport = new Viewport();
  readonly tools: Record<Exclude<ToolName, 'pan'>, Tool>;
  tool: ToolName = 'select';
  lastDrawTool: ToolName = 'rectangle';
  /** Chosen palette index per shape type (keys 1–9). */
  readonly labelIndex: Record<ShapeType, number> = { bbox: 0, polygon: 0, keypoints: 0, mask: 0 };
  brush = 8;
  /** Space is held: a drag pans. */
  panKey = false;
  /** Called after a change of the view itself (fit, zoom): every layer is redrawn. */
  onViewChange: () => void = () => {};
  private readonly unfollow: () => void;

  constructor(readonly session: AnnotationSession, readonly imageWidth: number, readonly imageHeight: number) {
    this.unfollow = this.index.follow(session.doc);
    this.tools = {
      select: new SelectTool(this),
      rectangle: new RectangleTool(this),
      polygon: new PolygonTool(this),
      keypoints: new KeypointsTool(this),
      brush: new BrushTool(this),
      eraser: new BrushTool(this, true),
    };
    const first = (['bbox', 'polygon', 'keypoints', 'mask'] as const).find((t) => session.schema.palettes[t].length > 0);
    this.lastDrawTool = first === 'polygon' ? 'polygon' : first === 'keypoints' ? 'keypoints' : first === 'mask' ? 'brush' : 'rectangle';
    session.attach(this);
  }

  get doc(): AnnotationDocument {
    return this.session.doc;
  }
  get history(): History {
    return this.session.history;
  }
  get schema(): WorkspaceSchema {
    return this.session.schema;
  }

  dispose(): void {
    this.unfollow();
  }

  // --- ViewController ---------------------------------------------------------------------------

  /** Drop in-progress drawing (before undo / redo). */
  cancel(): void {
    this.activeTool.cancel();
  }

  /** Commit a released brush stroke (before a submit). */
  settle(): void {
    this.activeTool.settle?.();
  }

  /** Select a region with the select tool (the server refused a submit because of it). */
  reveal(id: RegionId): void {
    this.setTool('select');
    this.select(id);
  }

  /** Space held pans while drawing (outside text fields). */
  keydown(e: KeyboardEvent): boolean {
    if (e.key !== ' ' || isTypingTarget(e.target)) return false;
    this.panKey = true;
    e.preventDefault();
    return true;
  }

  keyup(e: KeyboardEvent): void {
    if (e.key === ' ') this.panKey = false;
  }

  // --- ToolHost -------------------------------------------------------------------------------

  scale(): number {
    return this.viewport.scale;
  }
  selection(): RegionId | null {
    return this.session.selection();
  }
  select(id: RegionId | null): void {
    this.session.select(id);
  }
  activeLabel(type: ShapeType): ActiveLabel | null {
    const p = this.paletteEntry(type);
    return p ? { tool: p.tool, label: p.label, keypoints: p.keypoints, skeleton: p.skeleton } : null;
  }
  newId(): string {
    return this.session.newId();
  }
  brushRadius(): number {
    return this.brush / 2;
  }
  notify(message: string): void {
    this.session.notify(message);
  }
  colorOf(region: Region): string {
    return this.session.colorOf(region);
  }

  /** The selected region, if any. */
  private selectedRegion(): Region | undefined {
    const id = this.session.selection();
    return id ? this.doc.get(id) : undefined;
  }

  /** Tell the screens that tool, palette or selection state changed. */
  private changed(): void {
    this.session.touch();
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
    this.changed();
  }

  /** The shape type whose palette keys 1–9 choose from now. */
  get paletteType(): ShapeType {
    const sel = this.selectedRegion();
    if (this.tool === 'select' && sel && isShapeRegion(sel)) return sel.type;
    return TOOL_TYPE[this.tool] ?? TOOL_TYPE[this.lastDrawTool] ?? 'bbox';
  }

  paletteEntry(type: ShapeType): PaletteEntry | null {
    const list = this.schema.palettes[type];
    return list[Math.min(this.labelIndex[type], list.length - 1)] ?? null;
  }

  /** The label key slot (1–9) of each entry of a shape type's palette: the schema's hotkeys, else positions. */
  labelSlots(type: ShapeType): (number | null)[] {
    return labelSlots(this.schema.palettes[type]);
  }

  /** Choose the label of key slot `slot` (action `label.choose<slot>`) in the current palette; false if none has it. */
  chooseSlot(slot: number): boolean {
    const i = this.labelSlots(this.paletteType).indexOf(slot);
    if (i < 0) return false;
    this.chooseLabel(i);
    return true;
  }

  /** Choose palette entry `i` (0-based) for the palette type; relabels the selection in select mode. */
  chooseLabel(i: number): void {
    const type = this.paletteType;
    const entry = this.schema.palettes[type][i];
    if (!entry) return;
    this.labelIndex[type] = i;
    const sel = this.selectedRegion();
    if (this.tool === 'select' && sel && isShapeRegion(sel) && !sel.locked) this.session.relabel(sel.id, entry.label);
    this.changed();
  }

  // --- selection edits --------------------------------------------------------------------------

  /** Copy the selected shape (kept for pasting into this task or the next ones). */
  copySelected(): boolean {
    const r = this.selectedRegion();
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
    const r = this.selectedRegion();
    if (!r || r.locked) return false;
    this.history.execute(new ReorderZ([r.id], move));
    return true;
  }

  nudge(dx: number, dy: number): void {
    const r = this.selectedRegion();
    if (!r || !isShapeRegion(r) || r.locked) return;
    const [cx, cy] = clampMove(r, dx, dy, this.imageWidth, this.imageHeight);
    if (cx === 0 && cy === 0) return;
    this.history.execute(new UpdateGeometry(r.id, translate(r, cx, cy)));
  }

  /** Toggle the grabbed keypoint of the selected keypoints region between visible (2) and occluded (1). */
  toggleKeypointVisibility(): boolean {
    const r = this.selectedRegion();
    const k = this.tools.select instanceof SelectTool ? this.tools.select.keypoint : null;
    if (!r || !isShapeRegion(r) || r.type !== 'keypoints' || k === null || r.locked) return false;
    const points = r.geometry.points.map((p, i): [number, number, number] => (i === k && p[2] > 0 ? [p[0], p[1], p[2] === 2 ? 1 : 2] : p));
    this.history.execute(new UpdateGeometry(r.id, { points }));
    return true;
  }

  // --- view ------------------------------------------------------------------------------------

  /** Fit the image in the view. */
  fit(): void {
    this.viewport.fit(this.imageWidth, this.imageHeight, this.viewport.viewWidth, this.viewport.viewHeight, 16);
    this.onViewChange();
  }

  /** Zoom about the centre of the view. */
  zoomBy(factor: number): void {
    this.viewport.zoomAt([this.viewport.viewWidth / 2, this.viewport.viewHeight / 2], factor);
    this.onViewChange();
  }

  // --- keyboard ---------------------------------------------------------------------------------

  /**
   * Run a keymap action of the image view; returns false for the ones the shell owns (undo,
   * delete, cycle, lock, hide, suggestions, submit…) or that did nothing. The active tool gets
   * the first say.
   */
  perform(action: string): boolean {
    if (this.activeTool.action(action)) {
      this.changed();
      return true;
    }
    const nudge = NUDGES[action];
    if (nudge) {
      this.nudge(nudge[0], nudge[1]);
      return true;
    }
    const digit = /^label\.choose(\d)$/.exec(action);
    if (digit) {
      this.chooseSlot(Number(digit[1]));
      return true;
    }
    switch (action) {
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
      case 'brush.smaller': this.brush = Math.max(1, Math.round(this.brush / 1.25)); this.changed(); return true;
      case 'brush.larger': this.brush = Math.min(512, Math.round(this.brush * 1.25) + 1); this.changed(); return true;
      case 'selection.copy': return this.copySelected();
      case 'selection.paste': return this.paste();
      case 'selection.front': return this.reorderSelected('front');
      case 'selection.back': return this.reorderSelected('back');
      case 'keypoint.visibility': return this.toggleKeypointVisibility();
      case 'view.fit': this.fit(); return true;
      case 'view.zoomIn': this.zoomBy(1.25); return true;
      case 'view.zoomOut': this.zoomBy(0.8); return true;
      default: return false;
    }
  }
}
