/**
 * Immediate-mode Canvas2D renderer for committed shapes: ONE path and one stroke() (and fill())
 * per style group, constant on-screen stroke width, culling through the spatial index, handles
 * only for the selected region and labels only above a zoom threshold (level of detail).
 * Outlines are batched per colour, so across colour groups z-order is not kept: groups are drawn
 * in a fixed order (sorted by colour), which keeps every pixel a function of the shapes that
 * reach it — what lets `renderArea` redraw one rectangle of a raster (clipped) the way a full
 * render draws it, up to antialiasing (see shape-layer.ts). The selected region is drawn last, on top. `ShapeLayer` (shape-layer.ts)
 * caches this output in an offscreen raster and draws the selected region live with `renderLive`.
 */

import { bounds, type Rect } from '../core/geometry';
import { isShapeRegion, type AnnotationDocument, type Region, type RegionId, type ShapeRegion } from '../core/document';
import type { SpatialIndex } from './spatial';
import type { Viewport } from './viewport';
import { defaultColor, handlesOf, tracePath, type RenderContext } from './paths';

export { defaultColor, handlesOf, type Handle, type RenderContext } from './paths';

/** Look and level-of-detail settings (all sizes in screen pixels). */
export interface RendererOptions {
  colorOf: (region: ShapeRegion) => string;
  /**
   * Whether a region is a model suggestion not yet reviewed: drawn dashed, and hidden under the
   * confidence threshold (`FrameState.minScore`). Accepted and human regions always show.
   */
  isSuggestion: (region: ShapeRegion) => boolean;
  lineWidthPx: number;
  pointRadiusPx: number;
  handleSizePx: number;
  fillAlpha: number;
  labelMinScale: number;
  maxLabels: number;
  font: string;
  /**
   * Level of detail: below this scale, with more than `thinMinShapes` shapes on screen, outlines
   * are 1 px and unfilled (shapes are then a few screen pixels; the fill costs as much as the stroke).
   */
  thinMaxScale: number;
  thinMinShapes: number;
}

/** Per-frame state the screens own. */
export interface FrameState {
  selectedId?: RegionId | null;
  /** Suggestions (`RendererOptions.isSuggestion`) with a score below this are not drawn (the confidence slider). */
  minScore?: number;
  pixelRatio?: number;
  /** A region left out of this frame (the live one a `ShapeLayer` draws on top with `renderLive`). */
  excludeId?: RegionId | null;
}

/** What a frame drew, for tests and the debug overlay. */
export interface RenderStats {
  drawn: number;
  groups: number;
  labels: number;
}

/** A context that can also clip (what `renderArea` needs; a real context fits). */
export interface ClipContext extends RenderContext {
  clip(): void;
}

/** A rectangle of device pixels (integer edges) of the canvas or raster drawn into. */
export interface DeviceRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * What a full render decided for the whole view, which a redraw of one area must repeat to draw
 * the same pixels: the level of detail and which regions carry a label (null: no labels).
 */
export interface RasterLook {
  thin: boolean;
  labeled: Set<RegionId> | null;
}

/** A full render's stats plus its look and the regions it drew (bottom to top). */
export interface RasterResult {
  stats: RenderStats;
  look: RasterLook;
  regions: ShapeRegion[];
}

const DEFAULTS: RendererOptions = {
  colorOf: (r) => defaultColor(r.label),
  isSuggestion: (r) => r.origin === 'model',
  lineWidthPx: 2,
  pointRadiusPx: 4,
  handleSizePx: 8,
  fillAlpha: 0.12,
  labelMinScale: 0.75,
  maxLabels: 400,
  font: '12px sans-serif',
  thinMaxScale: 0.5,
  thinMinShapes: 2000,
};

/** Draws the shapes layer of one document. */
export class ShapeRenderer {
  readonly options: RendererOptions;

  constructor(options: Partial<RendererOptions> = {}) {
    this.options = { ...DEFAULTS, ...options };
  }

  /** Clear and redraw every visible shape; returns what was drawn. */
  render(ctx: RenderContext, doc: AnnotationDocument, index: SpatialIndex, view: Viewport, state: FrameState = {}): RenderStats {
    return this.renderRaster(ctx, doc, index, view, state).stats;
  }

  /** `render`, also returning the look it chose and the regions it drew (for `ShapeLayer`). */
  renderRaster(ctx: RenderContext, doc: AnnotationDocument, index: SpatialIndex, view: Viewport, state: FrameState = {}): RasterResult {
    const dpr = state.pixelRatio ?? 1;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, view.viewWidth * dpr, view.viewHeight * dpr);
    const visible = this.visibleIn(doc, index, view.visibleImageRect(), state);
    const look = this.lookOf(view, visible);
    const groups = this.drawBodies(ctx, visible, view, dpr, look.thin);
    const selected = visible.find((r) => r.id === state.selectedId);
    if (selected) this.drawSelected(ctx, selected, view, dpr);
    const labels = look.labeled ? this.drawLabels(ctx, visible, view, dpr, look.labeled) : 0;
    return { stats: { drawn: visible.length, groups, labels }, look, regions: visible };
  }

  /**
   * The look a full render of `view` would choose, without drawing (for a raster built in slices):
   * the same level of detail and the same labelled regions.
   */
  planRaster(doc: AnnotationDocument, index: SpatialIndex, view: Viewport, state: FrameState = {}): { look: RasterLook; drawn: number } {
    const rect = view.visibleImageRect();
    if (view.scale >= this.options.labelMinScale) {
      const visible = this.visibleIn(doc, index, rect, state);
      return { look: this.lookOf(view, visible), drawn: visible.length };
    }
    // No labels: only the count matters, so skip the z-order sort.
    let drawn = 0;
    for (const id of index.searchUnordered(rect)) {
      const r = id === state.excludeId ? undefined : doc.get(id);
      if (r && this.shows(r, state)) drawn++;
    }
    return { look: { thin: this.isThin(view.scale, drawn), labeled: null }, drawn };
  }

  /**
   * The regions `renderArea` draws for `area` (device pixels of a render at `view`), bottom to
   * top: every shown region whose outline, points or label can reach into it.
   */
  areaRegions(doc: AnnotationDocument, index: SpatialIndex, view: Viewport, area: DeviceRect, state: FrameState, look: RasterLook): ShapeRegion[] {
    const dpr = state.pixelRatio ?? 1;
    const reach = this.reachPx(look);
    let left = reach;
    let down = reach;
    if (look.labeled && look.labeled.size > 0) {
      // A label sits above its region's top-left corner and runs to the right.
      left = Math.max(left, this.labelWidthPx(doc, look.labeled));
      down = Math.max(down, this.labelHeightPx());
    }
    const [minX, minY] = view.toImage([area.x / dpr - left, area.y / dpr - reach]);
    const [maxX, maxY] = view.toImage([(area.x + area.width) / dpr + reach, (area.y + area.height) / dpr + down]);
    return this.visibleIn(doc, index, { minX, minY, maxX, maxY }, state);
  }

  /**
   * Redraw `area` (device pixels) of what `ctx` holds from a render at `view` with `look`: clip to
   * it, clear it and draw `regions` (from `areaRegions`) as a full render draws them.
   */
  renderArea(ctx: ClipContext, regions: readonly ShapeRegion[], view: Viewport, area: DeviceRect, dpr: number, look: RasterLook): RenderStats {
    ctx.save();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.beginPath();
    ctx.rect(area.x, area.y, area.width, area.height);
    ctx.clip();
    ctx.clearRect(area.x, area.y, area.width, area.height);
    const groups = this.drawBodies(ctx, regions, view, dpr, look.thin);
    const labels = look.labeled ? this.drawLabels(ctx, regions, view, dpr, look.labeled) : 0;
    ctx.restore();
    return { drawn: regions.length, groups, labels };
  }

  /**
   * The device pixels a region's drawing (outline, points, label when it is in `look.labeled`)
   * can touch in a render at `view`; null if it has no bounds. Not clamped to the canvas.
   */
  footprint(region: ShapeRegion, view: Viewport, dpr: number, look: RasterLook): DeviceRect | null {
    const b = bounds(region);
    if (!b) return null;
    const reach = this.reachPx(look, region);
    const [x0, y0] = view.toScreen([b.minX, b.minY]);
    const [x1, y1] = view.toScreen([b.maxX, b.maxY]);
    let minX = x0 - reach;
    let minY = y0 - reach;
    let maxX = x1 + reach;
    let maxY = y1 + reach;
    if (look.labeled?.has(region.id)) {
      minX = Math.min(minX, x0 - 2);
      minY = Math.min(minY, y0 - this.labelHeightPx());
      maxX = Math.max(maxX, x0 + this.textWidthPx(region.label));
    }
    const x = Math.floor(minX * dpr);
    const y = Math.floor(minY * dpr);
    return { x, y, width: Math.ceil(maxX * dpr) - x, height: Math.ceil(maxY * dpr) - y };
  }

  /** Level of detail: 1 px unfilled outlines at this scale with `drawn` shapes on screen. */
  isThin(scale: number, drawn: number): boolean {
    return scale < this.options.thinMaxScale && drawn > this.options.thinMinShapes;
  }

  /**
   * Draw ONE region on top of what `ctx` holds, without clearing: the live part of a cached layer
   * (`ShapeLayer`). `body`: its fill, outline and label as `render` draws them (for a region the
   * cache leaves out); `highlight`: the selected look (thicker outline and handles). Draws nothing
   * if the region is absent, hidden or below the score threshold.
   */
  renderLive(
    ctx: RenderContext,
    doc: AnnotationDocument,
    id: RegionId | null | undefined,
    view: Viewport,
    state: FrameState = {},
    parts: { body: boolean; highlight: boolean; thin?: boolean } = { body: false, highlight: true },
  ): RenderStats {
    const r = id ? doc.get(id) : undefined;
    if (!r || !this.shows(r, state)) return { drawn: 0, groups: 0, labels: 0 };
    const o = this.options;
    const dpr = state.pixelRatio ?? 1;
    const color = o.colorOf(r);
    ctx.setTransform(...view.transform(dpr));
    ctx.lineJoin = 'round';
    if (parts.body) {
      ctx.beginPath();
      tracePath(ctx, r, o.pointRadiusPx / view.scale);
      if (o.fillAlpha > 0 && !parts.thin) {
        ctx.globalAlpha = o.fillAlpha;
        ctx.fillStyle = color;
        ctx.fill();
        ctx.globalAlpha = 1;
      }
      ctx.lineWidth = (parts.thin ? 1 : o.lineWidthPx) / view.scale;
      ctx.setLineDash(r.origin === 'model' ? [6 / view.scale, 4 / view.scale] : []);
      ctx.strokeStyle = color;
      ctx.stroke();
    }
    ctx.setLineDash([]);
    if (parts.highlight) this.drawSelected(ctx, r, view, dpr);
    const labels = parts.body && view.scale >= o.labelMinScale ? this.drawLabels(ctx, [r], view, dpr, null) : 0;
    return { drawn: 1, groups: 1, labels };
  }

  /** Whether a render draws `r` (a shape, not hidden, not a suggestion below the score threshold). */
  shows(r: Region, state: FrameState): r is ShapeRegion {
    if (!isShapeRegion(r) || r.hidden) return false;
    return !(state.minScore !== undefined && r.score !== undefined && r.score < state.minScore && this.options.isSuggestion(r));
  }

  private drawSelected(ctx: RenderContext, region: ShapeRegion, view: Viewport, dpr: number): void {
    const o = this.options;
    const color = o.colorOf(region);
    ctx.beginPath();
    tracePath(ctx, region, o.pointRadiusPx / view.scale);
    ctx.lineWidth = (o.lineWidthPx + 1) / view.scale;
    ctx.strokeStyle = color;
    ctx.stroke();
    // Handles in screen space so they keep their size at any zoom.
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.lineWidth = 1;
    const half = o.handleSizePx / 2;
    ctx.beginPath();
    for (const h of handlesOf(region, view.scale)) {
      const [sx, sy] = view.toScreen(h.point);
      ctx.rect(sx - half, sy - half, o.handleSizePx, o.handleSizePx);
    }
    ctx.fillStyle = '#ffffff';
    ctx.fill();
    ctx.stroke();
  }

  /** Visible regions in `rect` (image pixels), bottom to top. */
  private visibleIn(doc: AnnotationDocument, index: SpatialIndex, rect: Rect, state: FrameState): ShapeRegion[] {
    const out: ShapeRegion[] = [];
    for (const id of index.search(rect)) {
      if (id === state.excludeId) continue;
      const r = doc.get(id);
      if (r && this.shows(r, state)) out.push(r);
    }
    return out;
  }

  /** Level of detail and labels of a full render of `view` drawing `visible` (bottom to top). */
  private lookOf(view: Viewport, visible: readonly ShapeRegion[]): RasterLook {
    const thin = this.isThin(view.scale, visible.length);
    if (view.scale < this.options.labelMinScale) return { thin, labeled: null };
    // Topmost first, so the cap keeps the labels a user is most likely looking at.
    const labeled = new Set<RegionId>();
    for (let i = visible.length - 1; i >= 0 && labeled.size < this.options.maxLabels; i--) {
      const r = visible[i] as ShapeRegion;
      if (bounds(r)) labeled.add(r.id);
    }
    return { thin, labeled };
  }

  /**
   * One path, one fill and one stroke per style group, groups in a fixed order (by key): the
   * pixels then depend only on the shapes that reach them, not on what else is on screen.
   */
  private drawBodies(ctx: RenderContext, regions: readonly ShapeRegion[], view: Viewport, dpr: number, thin: boolean): number {
    const o = this.options;
    const scale = view.scale;
    const groups = new Map<string, ShapeRegion[]>();
    for (const r of regions) {
      // Unreviewed model output is dashed: a separate style group.
      const key = `${o.colorOf(r)}|${o.isSuggestion(r) ? 'dash' : 'solid'}`;
      const list = groups.get(key);
      if (list) list.push(r);
      else groups.set(key, [r]);
    }
    ctx.setTransform(...view.transform(dpr));
    ctx.lineWidth = (thin ? 1 : o.lineWidthPx) / scale;
    ctx.lineJoin = 'round';
    for (const key of [...groups.keys()].sort()) {
      const [color, dash] = key.split('|') as [string, string];
      ctx.beginPath();
      for (const r of groups.get(key) as ShapeRegion[]) tracePath(ctx, r, o.pointRadiusPx / scale);
      if (o.fillAlpha > 0 && !thin) {
        ctx.globalAlpha = o.fillAlpha;
        ctx.fillStyle = color;
        ctx.fill();
        ctx.globalAlpha = 1;
      }
      ctx.setLineDash(dash === 'dash' ? [6 / scale, 4 / scale] : []);
      ctx.strokeStyle = color;
      ctx.stroke();
    }
    ctx.setLineDash([]);
    return groups.size;
  }

  /**
   * Screen px a region's drawing reaches beyond its bounds: half the outline (keypoints: their
   * circles too) plus antialiasing; without a region, the most any region reaches.
   */
  private reachPx(look: RasterLook, region?: ShapeRegion): number {
    const o = this.options;
    const half = (look.thin ? 1 : o.lineWidthPx) / 2;
    return (region && region.type !== 'keypoints' ? half : Math.max(half, o.pointRadiusPx + half)) + 2;
  }

  private fontPx(): number {
    const m = /(\d+(?:\.\d+)?)px/.exec(this.options.font);
    return m ? Number(m[1]) : 12;
  }

  /** Upper bound of a label's height above its anchor (screen px). */
  private labelHeightPx(): number {
    return Math.ceil(this.fontPx() * 1.5) + 4;
  }

  /** Upper bound of a label's width (screen px): one em per character is wider than any font. */
  private textWidthPx(text: string): number {
    return Math.ceil(text.length * this.fontPx()) + 4;
  }

  private labelWidthPx(doc: AnnotationDocument, labeled: ReadonlySet<RegionId>): number {
    let longest = 0;
    for (const id of labeled) longest = Math.max(longest, (doc.get(id) as ShapeRegion | undefined)?.label?.length ?? 0);
    return this.textWidthPx('x'.repeat(longest));
  }

  /** Labels of the `labeled` regions among `regions`, topmost first; returns how many. */
  private drawLabels(ctx: RenderContext, regions: readonly ShapeRegion[], view: Viewport, dpr: number, labeled: ReadonlySet<RegionId> | null): number {
    const o = this.options;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.font = o.font;
    ctx.textBaseline = 'bottom';
    let count = 0;
    for (let i = regions.length - 1; i >= 0; i--) {
      const r = regions[i] as ShapeRegion;
      if (labeled && !labeled.has(r.id)) continue;
      const box = bounds(r);
      if (!box) continue;
      const [sx, sy] = view.toScreen([box.minX, box.minY]);
      ctx.fillStyle = o.colorOf(r);
      ctx.fillText(r.label, sx, sy - 2);
      count++;
    }
    return count;
  }
}
