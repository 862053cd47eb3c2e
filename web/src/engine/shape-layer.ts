/**
 * The shapes layer as map viewers draw it (UI.md "Why the incumbents are slow"): committed shapes
 * are rasterized by the `ShapeRenderer` into an offscreen surface, and the visible canvas gets
 * that bitmap with ONE `drawImage`:
 *
 * - **pan / zoom**: while the view keeps changing, the raster is drawn transformed (scaled and
 *   moved) instead of redrawing every shape; `settleMs` after the last view change the shapes are
 *   re-rasterized crisply at the new view. The raster covers the view plus `overscan` on each side
 *   so a pan does not show empty edges at once.
 * - **the selected region's** highlight and handles are drawn on top by `drawLive` (on the overlay
 *   canvas in the workspace), so selecting costs no re-rasterization.
 * - **a drag** (`draggingId`): when the dragged region first changes, the raster is redrawn once
 *   WITHOUT it and from then on `drawLive` draws it (body, highlight, handles); document changes
 *   that touch only it keep the raster, so dragging one box among 10,000 draws one shape per
 *   frame and leaves the shapes canvas alone. When the drag ends it is drawn into the raster
 *   at its new place (one shape, on top), not re-rasterized with the others.
 * - anything else that changes what the raster shows (another region, the score threshold, the
 *   pixel ratio, the view size) re-rasterizes on the next `drawBase`.
 */

import type { AnnotationDocument, Change, RegionId } from '../core/document';
import type { RenderContext, RenderStats, ShapeRenderer } from './renderer';
import type { SpatialIndex } from './spatial';
import { Viewport } from './viewport';

/** A 2D context the layer can rasterize into and blit from (real canvas contexts fit). */
export interface LayerContext extends RenderContext {
  imageSmoothingEnabled: boolean;
  drawImage(image: CanvasImageSource, dx: number, dy: number, dw: number, dh: number): void;
}

/** An offscreen raster: what to pass to `drawImage` and its context. */
export interface RasterSurface {
  readonly image: CanvasImageSource;
  readonly ctx: LayerContext;
}

/** Makes an offscreen surface of `width` x `height` device pixels. */
export type SurfaceFactory = (width: number, height: number) => RasterSurface;

/** OffscreenCanvas where there is one, else a detached <canvas>. */
export const defaultSurfaceFactory: SurfaceFactory = (width, height) => {
  if (typeof OffscreenCanvas !== 'undefined') {
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext('2d');
    if (ctx) return { image: canvas, ctx };
  }
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2D canvas context');
  return { image: canvas, ctx };
};

/** Options of a `ShapeLayer`. */
export interface ShapeLayerOptions {
  /** Quiet time after the last view change before the shapes are re-rasterized (ms). */
  settleMs: number;
  /** Extra raster around the view on each side, as a fraction of the view size. */
  overscan: number;
  createSurface: SurfaceFactory;
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
   * `raster`: shapes redrawn into the raster (and blitted); `transform`: the raster drawn scaled /
   * moved during a gesture; `blit`: the raster drawn 1:1; `none`: the canvas already shows it.
   */
  mode: 'raster' | 'transform' | 'blit' | 'none';
  /** When mode is `transform`: call `drawBase` again after this many ms to get crisp shapes. */
  settleInMs: number | null;
  /** The renderer's stats when mode is `raster`. */
  render: RenderStats | null;
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
  /** Everything else the pixels depend on (view size, pixel ratio, score threshold, left-out id). */
  key: string;
  /** The dragged region left out of the raster. */
  liveId: RegionId | null;
  /** The viewport the raster was drawn with, and whether it is at the thin level of detail. */
  view: Viewport;
  thin: boolean;
}

interface Shown {
  raster: Raster;
  generation: number;
  scale: number;
  offsetX: number;
  offsetY: number;
}

const DEFAULTS: ShapeLayerOptions = { settleMs: 120, overscan: 0.25, createSurface: defaultSurfaceFactory };

/** A cached, gesture-aware shapes layer over a `ShapeRenderer`. */
export class ShapeLayer {
  readonly options: ShapeLayerOptions;
  private raster: Raster | null = null;
  /** Bumped on every re-rasterization. */
  private generation = 0;
  /** The raster no longer matches the document (a region other than the live one changed). */
  private contentDirty = true;
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
   * Listen to `doc` so that changes touching only the dragged region keep the raster (without it
   * every document change re-rasterizes). Returns the unsubscribe function.
   */
  follow(doc: AnnotationDocument): () => void {
    return doc.subscribe((change: Change) => {
      const drag = this.dragging;
      const onlyDragged = drag !== null && change.ids !== 'all' && change.ids.length > 0 && change.ids.every((id) => id === drag);
      if (onlyDragged) {
        // The drag has started moving it: leave it out of the raster from now on.
        this.excluded = drag;
        if (this.raster?.liveId !== drag) this.contentDirty = true;
      } else {
        this.contentDirty = true;
      }
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

  /**
   * Draw the committed shapes except the live region onto `ctx` (the shapes canvas, whose
   * device-pixel size is view size x pixel ratio). `now` is `performance.now()`.
   */
  drawBase(ctx: LayerContext, doc: AnnotationDocument, index: SpatialIndex, view: Viewport, state: LayerState = {}, now = performance.now()): LayerStats {
    const dpr = state.pixelRatio ?? 1;
    const v = { scale: view.scale, offsetX: view.offsetX, offsetY: view.offsetY };
    if (!this.lastView || !sameView(this.lastView, v)) {
      if (this.lastView) this.lastViewChangeAt = now;
      this.lastView = v;
    }
    this.dragging = state.draggingId ?? null;
    if (this.excluded !== this.dragging) this.excluded = null;
    const liveId = this.excluded;
    const key = this.keyOf(view, dpr, state.minScore, liveId);
    if (doc.version !== this.versionSeen) this.contentDirty = true;
    const r = this.raster;
    const valid = this.rasterValid(key);
    let render: RenderStats | null = null;
    let mode: LayerStats['mode'];
    let settleInMs: number | null = null;

    if (r && !valid && !this.contentDirty && r.liveId !== null && liveId === null && r.key === this.keyOf(view, dpr, state.minScore, r.liveId)) {
      // The drag ended and nothing else changed: draw the dragged region into the raster.
      this.renderer.renderLive(r.surface.ctx, doc, r.liveId, r.view, state, { body: true, highlight: false, thin: r.thin });
      r.liveId = null;
      r.key = key;
      this.generation++;
      this.versionSeen = doc.version;
    }
    if (!this.rasterValid(key) || (!sameView(this.raster as Raster, v) && now - this.lastViewChangeAt >= this.options.settleMs)) {
      render = this.rasterize(doc, index, view, state, key, liveId);
      mode = 'raster';
    } else if (!sameView(this.raster as Raster, v)) {
      mode = 'transform';
      settleInMs = Math.max(0, this.options.settleMs - (now - this.lastViewChangeAt));
    } else {
      mode = 'blit';
    }
    const raster = this.raster as Raster;
    if (mode !== 'raster' && this.shown && this.shown.generation === this.generation && sameView(this.shown, v)) {
      return { mode: 'none', settleInMs, render };
    }
    this.blit(ctx, raster, view, dpr);
    this.shown = { raster, generation: this.generation, ...v };
    return { mode, settleInMs, render };
  }

  /**
   * Draw on top of `ctx` at the current view: the dragged region if the raster leaves it out, and
   * the selected region's highlight and handles. Call after `drawBase` of the same frame.
   */
  drawLive(ctx: RenderContext, doc: AnnotationDocument, view: Viewport, state: LayerState = {}): RenderStats {
    const out = this.raster?.liveId ?? null;
    const sel = state.selectedId ?? null;
    const stats = { drawn: 0, groups: 0, labels: 0 };
    const thin = this.raster?.thin ?? false;
    if (out !== null && out !== sel) add(stats, this.renderer.renderLive(ctx, doc, out, view, state, { body: true, highlight: false, thin }));
    if (sel !== null) add(stats, this.renderer.renderLive(ctx, doc, sel, view, state, { body: sel === out, highlight: true, thin }));
    return stats;
  }

  /** The region the raster currently leaves out (being dragged), if any. */
  get liveId(): RegionId | null {
    return this.raster?.liveId ?? null;
  }

  private keyOf(view: Viewport, dpr: number, minScore: number | undefined, liveId: RegionId | null): string {
    return `${view.viewWidth}x${view.viewHeight}@${dpr}|${minScore ?? ''}|${liveId ?? ''}`;
  }

  private rasterValid(key: string): boolean {
    return this.raster !== null && !this.contentDirty && this.raster.key === key;
  }

  private rasterize(doc: AnnotationDocument, index: SpatialIndex, view: Viewport, state: LayerState, key: string, liveId: RegionId | null): RenderStats {
    const dpr = state.pixelRatio ?? 1;
    const padX = Math.round(view.viewWidth * this.options.overscan);
    const padY = Math.round(view.viewHeight * this.options.overscan);
    const width = Math.max(1, Math.round((view.viewWidth + 2 * padX) * dpr));
    const height = Math.max(1, Math.round((view.viewHeight + 2 * padY) * dpr));
    let surface = this.raster?.surface;
    if (!surface || this.raster?.width !== width || this.raster.height !== height) surface = this.options.createSurface(width, height);
    const rv = new Viewport({ viewWidth: view.viewWidth + 2 * padX, viewHeight: view.viewHeight + 2 * padY, minScale: view.scale, maxScale: view.scale });
    rv.scale = view.scale;
    rv.offsetX = view.offsetX + padX;
    rv.offsetY = view.offsetY + padY;
    const stats = this.renderer.render(surface.ctx, doc, index, rv, { minScore: state.minScore ?? 0, pixelRatio: dpr, selectedId: null, excludeId: liveId });
    const thin = this.renderer.isThin(view.scale, stats.drawn);
    this.raster = { surface, width, height, scale: view.scale, offsetX: view.offsetX, offsetY: view.offsetY, padX, padY, key, liveId, view: rv, thin };
    this.generation++;
    this.contentDirty = false;
    this.versionSeen = doc.version;
    return stats;
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
