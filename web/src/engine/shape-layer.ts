/**
 * The shapes layer as map viewers draw it (UI.md "Why the incumbents are slow"): committed shapes
 * are rasterized by the `ShapeRenderer` into an offscreen surface, and the visible canvas gets
 * that bitmap with ONE `drawImage`:
 *
 * - **pan / zoom**: while the view keeps changing, the raster is drawn transformed (scaled and
 *   moved) instead of redrawing every shape. `settleMs` after the last view change a crisp raster
 *   of the new view is drawn into a second surface **in slices**: tiles, at most `sliceMs` of JS
 *   per frame (raster-slices.ts), while the old raster stays on screen, transformed; when the last
 *   tile is drawn the two surfaces swap. A view change meanwhile drops the unfinished raster.
 * - **edits** redraw only what they touch: a change to a few regions marks the device pixels
 *   their old and new drawings cover (`ShapeRenderer.footprint`) and those rectangles are
 *   redrawn clipped, with every shape reaching into them (`renderArea`). A change to everything
 *   (or to too much of the raster) redraws it whole.
 * - **the selected region's** highlight and handles are drawn on top by `drawLive` (on the overlay
 *   canvas in the workspace), so selecting costs no re-rasterization.
 * - **a drag** (`draggingId`): once the dragged region changes, its rectangle of the raster is
 *   redrawn without it and from then on `drawLive` draws it (body, highlight, handles); changes
 *   that touch only it leave the raster alone. When the drag ends its new rectangle is redrawn
 *   with it.
 * - the level of detail and the labelled regions are decided by each whole raster and kept by the
 *   partial redraws; with more shapes on it than labels (`maxLabels`), which shapes carry one
 *   depends on the z-order of all, so edits then redraw everything (drags still do not).
 * - anything else that changes what the raster shows (the score threshold, the pixel ratio, the
 *   view size) re-rasterizes on the next `drawBase`.
 *
 * Which shapes are drawn where, in which order, is what a one-pass render draws (unit-tested on a
 * model canvas), but not every pixel: Skia antialiases an outline by an algorithm it picks from
 * the path's complexity and clip, so some edge pixels of a partial or tiled redraw differ — a few
 * hundred of 2 million by more than 16/255, on diagonal (polygon) outlines (bench/canvas).
 */

import { isShapeRegion, type AnnotationDocument, type Change, type RegionId, type ShapeRegion } from '../core/document';
import type { DeviceRect, RasterLook, RenderContext, RenderStats, ShapeRenderer } from './renderer';
import { TileScheduler, tileGrid } from './raster-slices';
import { defaultSurfaceFactory, type LayerContext, type RasterSurface, type SurfaceFactory } from './raster-surface';
import type { SpatialIndex } from './spatial';
import { Viewport } from './viewport';

/** Options of a `ShapeLayer`. */
export interface ShapeLayerOptions {
  /** Quiet time after the last view change before the crisp re-raster starts (ms). */
  settleMs: number;
  /** Extra raster around the view on each side, as a fraction of the view size. */
  overscan: number;
  createSurface: SurfaceFactory;
  /** JS time one frame may spend on the sliced re-raster (ms). */
  sliceMs: number;
  /** First tile side of the sliced re-raster (device px; tiles split further when dense). */
  tileSize: number;
  /** Clock for the slice budget. */
  clock: () => number;
}

/** What the layer draws with. */
export interface LayerState {
  /** Highlighted with handles by `drawLive`. */
  selectedId?: RegionId | null;
  /** The region a drag in progress may move (the select tool is busy with it), else null. */
  draggingId?: RegionId | null;
  minScore?: number;
  pixelRatio?: number;
}

/** What a `drawBase` call did. */
export interface LayerStats {
  /**
   * `raster`: a whole new raster is on the canvas (drawn now, or its last slice drawn now);
   * `transform`: the raster drawn scaled / moved (a gesture, or a crisp raster still in slices);
   * `blit`: the raster drawn 1:1; `none`: the canvas already shows it.
   */
  mode: 'raster' | 'transform' | 'blit' | 'none';
  /** Call `drawBase` again after this many ms (0: next frame, a slice is pending); null: no need. */
  settleInMs: number | null;
  /** The renderer's stats when mode is `raster`. */
  render: RenderStats | null;
  /** Rectangles of the raster redrawn for edits in this call. */
  patched: number;
  /** Tiles of the sliced re-raster drawn in this call. */
  tiles: number;
}

interface Raster {
  surface: RasterSurface;
  /** Device-pixel size of the surface. */
  width: number;
  height: number;
  /** The view the raster was drawn for (screen CSS px = image px * scale + offset). */
  scale: number;
  offsetX: number;
  offsetY: number;
  /** CSS px of raster left of / above that view (raster CSS px = screen CSS px + pad). */
  padX: number;
  padY: number;
  /** Everything else the pixels depend on: view size, pixel ratio, score threshold. */
  key: string;
  pixelRatio: number;
  minScore: number;
  /** The dragged region left out of the raster. */
  liveId: RegionId | null;
  /** The viewport the raster is drawn with (the view plus its overscan). */
  view: Viewport;
  look: RasterLook;
  drawn: number;
  /** The regions drawn into it, as they were drawn (what to erase when one changes). */
  regions: Map<RegionId, ShapeRegion>;
}

/** A crisp raster being drawn in slices, and the tiles it still needs. */
interface Job {
  raster: Raster;
  tiles: DeviceRect[];
}

interface Shown {
  raster: Raster;
  generation: number;
  scale: number;
  offsetX: number;
  offsetY: number;
}

const DEFAULTS: ShapeLayerOptions = {
  settleMs: 120,
  overscan: 0.25,
  createSurface: defaultSurfaceFactory,
  sliceMs: 8,
  tileSize: 256,
  clock: () => performance.now(),
};

/** Changes of more regions than this redraw the whole raster. */
const MAX_PATCH_REGIONS = 64;
/** ... and so do patches covering more than this share of the raster. */
const MAX_PATCH_SHARE = 0.3;

/** A cached, gesture-aware shapes layer over a `ShapeRenderer`. */
export class ShapeLayer {
  readonly options: ShapeLayerOptions;
  private raster: Raster | null = null;
  private job: Job | null = null;
  /** The surface the last swap freed, reused by the next sliced raster of the same size. */
  private spare: RasterSurface | null = null;
  private spareSize = '';
  /** Slice schedulers by level of detail and labels: each learns what its shapes cost. */
  private readonly schedulers = new Map<string, TileScheduler>();
  /** Bumped whenever the raster's pixels change. */
  private generation = 0;
  /** The raster must be redrawn whole. */
  private contentDirty = true;
  /** Rectangles of the raster to redraw on the next `drawBase`. */
  private damage: DeviceRect[] = [];
  private damageArea = 0;
  /** doc.version the raster accounts for (changes we did not hear about invalidate it). */
  private versionSeen = -1;
  private shown: Shown | null = null;
  private lastView: { scale: number; offsetX: number; offsetY: number } | null = null;
  private lastViewChangeAt = -Infinity;
  /** The drag candidate of the last `drawBase`; once it changes it is left out of the raster. */
  private dragging: RegionId | null = null;
  private excluded: RegionId | null = null;

  constructor(
    readonly renderer: ShapeRenderer,
    options: Partial<ShapeLayerOptions> = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  /**
   * Listen to `doc`: a change marks the rectangles it touches for a partial redraw, and changes
   * touching only the dragged region keep the raster. Without it every document change redraws
   * the whole raster. Returns the unsubscribe function.
   */
  follow(doc: AnnotationDocument): () => void {
    return doc.subscribe((change: Change) => {
      const drag = this.dragging;
      const onlyDragged = drag !== null && change.ids !== 'all' && change.ids.length > 0 && change.ids.every((id) => id === drag);
      // The drag has started moving it: leave it out of the raster from the next drawBase on.
      if (onlyDragged) this.excluded = drag;
      else this.damageFor(doc, change);
      if (this.versionSeen === change.version - 1) this.versionSeen = change.version;
    });
  }

  /** Forget the raster (e.g. colours changed). */
  invalidate(): void {
    this.contentDirty = true;
  }

  /** The target canvas was cleared or resized: the next `drawBase` must draw it again. */
  targetCleared(): void {
    this.shown = null;
  }

  /** Whether a view change is still settling (the raster on screen is a transformed one). */
  get settling(): boolean {
    return this.shown !== null && !sameView(this.shown, this.shown.raster);
  }

  /** The region the raster currently leaves out (being dragged), if any. */
  get liveId(): RegionId | null {
    return this.raster?.liveId ?? null;
  }

  /** The raster on screen and how it was drawn (for pixel checks in the canvas benchmark). */
  get rasterInfo(): { image: CanvasImageSource; width: number; height: number; view: Viewport; pixelRatio: number; minScore: number; liveId: RegionId | null } | null {
    const r = this.raster;
    return r && { image: r.surface.image, width: r.width, height: r.height, view: r.view, pixelRatio: r.pixelRatio, minScore: r.minScore, liveId: r.liveId };
  }

  /**
   * Draw the committed shapes except the live region onto `ctx` (the shapes canvas, whose
   * device-pixel size is view size x pixel ratio). `now` is `performance.now()`.
   */
  drawBase(ctx: LayerContext, doc: AnnotationDocument, index: SpatialIndex, view: Viewport, state: LayerState = {}, now = this.options.clock()): LayerStats {
    const dpr = state.pixelRatio ?? 1;
    const v = { scale: view.scale, offsetX: view.offsetX, offsetY: view.offsetY };
    if (!this.lastView || !sameView(this.lastView, v)) {
      if (this.lastView) this.lastViewChangeAt = now;
      this.lastView = v;
    }
    this.dragging = state.draggingId ?? null;
    if (this.excluded !== this.dragging) this.excluded = null;
    const liveId = this.excluded;
    const key = this.keyOf(view, dpr, state.minScore);
    if (doc.version !== this.versionSeen) this.contentDirty = true;
    const stats: LayerStats = { mode: 'blit', settleInMs: null, render: null, patched: 0, tiles: 0 };

    let r = this.raster;
    if (r && !this.contentDirty && r.key === key) stats.patched = this.patch(r, doc, index, liveId);
    if (!r || this.contentDirty || r.key !== key) {
      stats.render = this.rasterize(doc, index, view, state, key, liveId);
      stats.mode = 'raster';
    } else if (!sameView(r, v)) {
      this.settle(stats, doc, index, view, state, key, liveId, now);
    }
    r = this.raster as Raster;
    if (stats.mode !== 'raster' && this.shown && this.shown.generation === this.generation && sameView(this.shown, v)) {
      return { ...stats, mode: 'none' };
    }
    this.blit(ctx, r, view, dpr);
    this.shown = { raster: r, generation: this.generation, ...v };
    return stats;
  }

  /**
   * The raster on screen is for another view: draw it transformed until the view has been still
   * for `settleMs`, then draw the crisp one in slices (this call's share), and show it when done.
   */
  private settle(stats: LayerStats, doc: AnnotationDocument, index: SpatialIndex, view: Viewport, state: LayerState, key: string, liveId: RegionId | null, now: number): void {
    const quiet = now - this.lastViewChangeAt;
    if (this.job && !sameView(this.job.raster, view)) this.dropJob();
    stats.mode = 'transform';
    if (quiet < this.options.settleMs) {
      stats.settleInMs = this.options.settleMs - quiet;
      return;
    }
    const started = this.options.clock();
    const job = this.job ?? this.startJob(doc, index, view, state, key, liveId);
    // Planning a new raster (a count of the shapes in view) comes out of the first slice.
    stats.tiles = this.slice(job, doc, index, this.options.sliceMs - (this.options.clock() - started));
    if (job.tiles.length > 0) {
      stats.settleInMs = 0;
      return;
    }
    this.swap(job);
    stats.mode = 'raster';
    stats.render = { drawn: job.raster.drawn, groups: 0, labels: job.raster.look.labeled?.size ?? 0 };
  }

  /**
   * Draw on top of `ctx` at the current view: the dragged region if the raster leaves it out, and
   * the selected region's highlight and handles. Call after `drawBase` of the same frame.
   */
  drawLive(ctx: RenderContext, doc: AnnotationDocument, view: Viewport, state: LayerState = {}): RenderStats {
    const out = this.raster?.liveId ?? null;
    const sel = state.selectedId ?? null;
    const stats = { drawn: 0, groups: 0, labels: 0 };
    const thin = this.raster?.look.thin ?? false;
    if (out !== null && out !== sel) add(stats, this.renderer.renderLive(ctx, doc, out, view, state, { body: true, highlight: false, thin }));
    if (sel !== null) add(stats, this.renderer.renderLive(ctx, doc, sel, view, state, { body: sel === out, highlight: true, thin }));
    return stats;
  }

  private keyOf(view: Viewport, dpr: number, minScore: number | undefined): string {
    return `${view.viewWidth}x${view.viewHeight}@${dpr}|${minScore ?? ''}`;
  }

  /** Mark what a document change touches in the raster (or the whole raster, if too much). */
  private damageFor(doc: AnnotationDocument, change: Change): void {
    const r = this.raster;
    if (!r || this.contentDirty) return;
    // With more shapes than labels, which regions carry one depends on everything's z-order.
    const capped = r.look.labeled !== null && r.drawn > this.renderer.options.maxLabels;
    if (change.ids === 'all' || change.ids.length > MAX_PATCH_REGIONS || capped) {
      this.contentDirty = true;
      return;
    }
    for (const id of change.ids) {
      if (id === r.liveId || id === this.excluded) continue; // drawn live, not in the raster
      const before = r.regions.get(id);
      if (before) this.addDamage(r, before);
      const after = doc.get(id);
      if (after && isShapeRegion(after) && this.renderer.shows(after, { minScore: r.minScore })) {
        // Below the label cap a whole render labels every shape, new ones too.
        r.look.labeled?.add(id);
        this.addDamage(r, after);
        r.regions.set(id, after);
      } else {
        r.regions.delete(id);
      }
    }
  }

  private addDamage(r: Raster, region: ShapeRegion): void {
    const f = this.renderer.footprint(region, r.view, r.pixelRatio, r.look);
    if (!f) return;
    const x0 = Math.max(0, f.x);
    const y0 = Math.max(0, f.y);
    const x1 = Math.min(r.width, f.x + f.width);
    const y1 = Math.min(r.height, f.y + f.height);
    if (x1 <= x0 || y1 <= y0) return;
    this.damage.push({ x: x0, y: y0, width: x1 - x0, height: y1 - y0 });
    this.damageArea += (x1 - x0) * (y1 - y0);
    if (this.damageArea > MAX_PATCH_SHARE * r.width * r.height) this.contentDirty = true;
  }

  /**
   * Bring the raster up to date without redrawing it whole: leave a newly dragged region out,
   * put back one whose drag ended, redraw the marked rectangles. Returns how many were redrawn.
   */
  private patch(r: Raster, doc: AnnotationDocument, index: SpatialIndex, liveId: RegionId | null): number {
    if (r.liveId !== liveId) {
      const ended = r.liveId === null ? undefined : doc.get(r.liveId);
      if (ended && isShapeRegion(ended) && this.renderer.shows(ended, { minScore: r.minScore })) {
        this.addDamage(r, ended);
        r.regions.set(ended.id, ended);
      }
      const started = liveId === null ? undefined : r.regions.get(liveId);
      if (started) {
        this.addDamage(r, started);
        r.regions.delete(started.id);
      }
      r.liveId = liveId;
      this.dropJob();
    }
    const areas = this.damage;
    this.damage = [];
    this.damageArea = 0;
    if (this.contentDirty || areas.length === 0) return 0;
    const state = { minScore: r.minScore, pixelRatio: r.pixelRatio, excludeId: r.liveId };
    for (const area of areas) {
      const regions = this.renderer.areaRegions(doc, index, r.view, area, state, r.look);
      this.renderer.renderArea(r.surface.ctx, regions, r.view, area, r.pixelRatio, r.look);
      for (const region of regions) r.regions.set(region.id, region);
    }
    this.generation++;
    this.dropJob();
    return areas.length;
  }

  /** The raster's geometry for `view` (the view plus overscan) on a surface of the right size. */
  private layout(view: Viewport, state: LayerState, key: string, liveId: RegionId | null, reuse: RasterSurface | null, reuseSize: string): Omit<Raster, 'look' | 'drawn' | 'regions'> {
    const dpr = state.pixelRatio ?? 1;
    const padX = Math.round(view.viewWidth * this.options.overscan);
    const padY = Math.round(view.viewHeight * this.options.overscan);
    const width = Math.max(1, Math.round((view.viewWidth + 2 * padX) * dpr));
    const height = Math.max(1, Math.round((view.viewHeight + 2 * padY) * dpr));
    const surface = reuse && reuseSize === `${width}x${height}` ? reuse : this.options.createSurface(width, height);
    const rv = new Viewport({ viewWidth: view.viewWidth + 2 * padX, viewHeight: view.viewHeight + 2 * padY, minScale: view.scale, maxScale: view.scale });
    rv.scale = view.scale;
    rv.offsetX = view.offsetX + padX;
    rv.offsetY = view.offsetY + padY;
    const base = { surface, width, height, scale: view.scale, offsetX: view.offsetX, offsetY: view.offsetY, padX, padY };
    return { ...base, key, pixelRatio: dpr, minScore: state.minScore ?? 0, liveId, view: rv };
  }

  /** Redraw the whole raster now, at the current view. */
  private rasterize(doc: AnnotationDocument, index: SpatialIndex, view: Viewport, state: LayerState, key: string, liveId: RegionId | null): RenderStats {
    this.dropJob();
    const old = this.raster;
    const l = this.layout(view, state, key, liveId, old?.surface ?? null, old ? `${old.width}x${old.height}` : '');
    const frame = { minScore: l.minScore, pixelRatio: l.pixelRatio, selectedId: null, excludeId: liveId };
    const out = this.renderer.renderRaster(l.surface.ctx, doc, index, l.view, frame);
    this.raster = { ...l, look: out.look, drawn: out.stats.drawn, regions: new Map(out.regions.map((r) => [r.id, r])) };
    this.generation++;
    this.contentDirty = false;
    this.damage = [];
    this.damageArea = 0;
    this.versionSeen = doc.version;
    return out.stats;
  }

  /** Begin a crisp raster of `view` on the spare surface, drawn by `slice` calls. */
  private startJob(doc: AnnotationDocument, index: SpatialIndex, view: Viewport, state: LayerState, key: string, liveId: RegionId | null): Job {
    const l = this.layout(view, state, key, liveId, this.spare, this.spareSize);
    this.spare = null;
    const plan = this.renderer.planRaster(doc, index, l.view, { minScore: l.minScore, excludeId: liveId });
    const raster: Raster = { ...l, look: plan.look, drawn: plan.drawn, regions: new Map() };
    this.job = { raster, tiles: tileGrid(l.width, l.height, this.options.tileSize) };
    return this.job;
  }

  /** Draw the job's next tiles within `budgetMs` (at least one); returns how many. */
  private slice(job: Job, doc: AnnotationDocument, index: SpatialIndex, budgetMs: number): number {
    const r = job.raster;
    const state = { minScore: r.minScore, pixelRatio: r.pixelRatio, excludeId: r.liveId };
    const look = `${r.look.thin}|${r.look.labeled !== null}`;
    let scheduler = this.schedulers.get(look);
    if (!scheduler) {
      scheduler = new TileScheduler();
      this.schedulers.set(look, scheduler);
    }
    const out = scheduler.run(
      job.tiles,
      budgetMs,
      this.options.clock,
      (tile) => this.renderer.areaRegions(doc, index, r.view, tile, state, r.look),
      (tile, regions) => {
        this.renderer.renderArea(r.surface.ctx, regions, r.view, tile, r.pixelRatio, r.look);
        for (const region of regions) r.regions.set(region.id, region);
      },
      () => r.surface.flush?.(),
    );
    return out.tiles;
  }

  /** The sliced raster is complete: show it; the old surface becomes the spare. */
  private swap(job: Job): void {
    const old = this.raster;
    if (old) {
      this.spare = old.surface;
      this.spareSize = `${old.width}x${old.height}`;
    }
    this.raster = job.raster;
    this.job = null;
    this.generation++;
  }

  private dropJob(): void {
    const job = this.job;
    if (!job) return;
    this.spare = job.raster.surface;
    this.spareSize = `${job.raster.width}x${job.raster.height}`;
    this.job = null;
  }

  /**
   * One drawImage. An image point p is at raster CSS px p * s0 + o0 + pad and on screen at
   * p * s + o, so raster CSS px q lands on screen at q * k + o - (o0 + pad) * k with k = s / s0.
   */
  private blit(ctx: LayerContext, r: Raster, view: Viewport, dpr: number): void {
    const k = view.scale / r.scale;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, view.viewWidth * dpr, view.viewHeight * dpr);
    ctx.imageSmoothingEnabled = k !== 1;
    const x = (view.offsetX - (r.offsetX + r.padX) * k) * dpr;
    const y = (view.offsetY - (r.offsetY + r.padY) * k) * dpr;
    ctx.drawImage(r.surface.image, x, y, r.width * k, r.height * k);
  }
}

function add(a: RenderStats, b: RenderStats): void {
  a.drawn += b.drawn;
  a.groups += b.groups;
  a.labels += b.labels;
}

function sameView(a: { scale: number; offsetX: number; offsetY: number }, b: { scale: number; offsetX: number; offsetY: number }): boolean {
  return a.scale === b.scale && a.offsetX === b.offsetX && a.offsetY === b.offsetY;
}
