/**
 * One frame of the workspace's four stacked canvases (image, extras = masks + skeletons, shapes,
 * overlay), framework-free so the canvas benchmark (bench/canvas) draws exactly what the screen
 * draws. The shapes canvas goes through a `ShapeLayer`: committed shapes come from an offscreen
 * raster (transformed during pan / zoom, crisp again — in slices — when the view settles) and
 * the selected region — the one a drag moves — is drawn live on the overlay with its handles.
 * Mask pixels come from the mask worker (`MaskPainter`); when new ones arrive the stage asks
 * for the layer that shows them through `onRepaint`.
 */

import { ShapeLayer, sharedMaskPainter, type MaskPainter, type ShapeLayerOptions, type ShapeRenderer } from '../../engine';
import { TOOL_TYPE, type ImageWorkspace } from './controller';
import { drawExtras, drawImage, drawOverlay } from './draw';

/** The stacked canvases, bottom to top. */
export type Layer = 'image' | 'extras' | 'shapes' | 'overlay';
export const LAYERS: readonly Layer[] = ['image', 'extras', 'shapes', 'overlay'];

export type StageCanvases = Record<Layer, HTMLCanvasElement>;

/** `cache: false` redraws every shape on every frame (the renderer alone, for comparison). */
export interface StageOptions extends Partial<ShapeLayerOptions> {
  cache?: boolean;
  painter?: MaskPainter;
}

export class Stage {
  readonly layer: ShapeLayer | null;
  readonly painter: MaskPainter;
  /** Asks the screen to draw layers again (mask pixels arrived from the worker). */
  onRepaint: ((...layers: Layer[]) => void) | null = null;
  private unfollow: (() => void) | null = null;
  private readonly unpaint: () => void;
  private extrasDrawn = true;
  private extrasSeen: { version: number; any: boolean } | null = null;

  constructor(
    readonly renderer: ShapeRenderer,
    options: StageOptions = {},
  ) {
    const { cache = true, painter = sharedMaskPainter(), ...layerOptions } = options;
    this.layer = cache ? new ShapeLayer(renderer, layerOptions) : null;
    this.painter = painter;
    this.unpaint = painter.subscribe((what) => this.onRepaint?.(what === 'stroke' ? 'overlay' : 'extras'));
  }

  /** Follow the workspace's document (changes to the selected region alone keep the raster). */
  attach(ws: ImageWorkspace): void {
    this.unfollow?.();
    this.unfollow = this.layer ? this.layer.follow(ws.doc) : null;
    this.painter.reset();
  }

  /** Whether the document holds a mask or keypoints region (what the extras layer draws). */
  private hasExtras(w: ImageWorkspace): boolean {
    const seen = this.extrasSeen;
    if (seen && seen.version === w.doc.version) return seen.any;
    let any = false;
    for (const r of w.doc.regions.values()) {
      if (r.type === 'mask' || r.type === 'keypoints') {
        any = true;
        break;
      }
    }
    this.extrasSeen = { version: w.doc.version, any };
    return any;
  }

  /** The canvases were resized (which clears them). */
  resized(): void {
    this.layer?.targetCleared();
  }

  /** Forget the shapes raster (e.g. label colours changed without a document change). */
  invalidate(): void {
    this.layer?.invalidate();
  }

  dispose(): void {
    this.unfollow?.();
    this.unfollow = null;
    this.unpaint();
  }

  /**
   * Draw the dirty layers. Returns null, or the delay in ms after which 'shapes' must be drawn
   * again because a view change is settling (the shapes are a transformed raster until then).
   */
  draw(dirty: ReadonlySet<Layer>, canvases: StageCanvases, w: ImageWorkspace, img: HTMLImageElement, dpr: number, now = performance.now()): number | null {
    const v = w.viewport;
    const selectedId = w.selection();
    // A drag of the select tool may move the selected region: the layer leaves it out once it does.
    const draggingId = w.activeTool === w.tools.select && w.activeTool.busy ? selectedId : null;
    const state = { selectedId, draggingId, minScore: w.session.minScore, pixelRatio: dpr };
    let settleInMs: number | null = null;
    if (dirty.has('image')) {
      const c = canvases.image.getContext('2d');
      if (c) {
        drawImage(c, img, v, dpr);
        // The probed size is the truth for geometry; draw the decoded pixels into it.
        if (img.naturalWidth !== w.imageWidth || img.naturalHeight !== w.imageHeight) {
          c.setTransform(1, 0, 0, 1, 0, 0);
          c.clearRect(0, 0, canvases.image.width, canvases.image.height);
          c.setTransform(...v.transform(dpr));
          c.drawImage(img, 0, 0, w.imageWidth, w.imageHeight);
        }
      }
    }
    if (dirty.has('extras')) {
      const c = canvases.extras.getContext('2d');
      // Masks and skeletons only: with none on the canvas (nor just removed), skip the R-tree walk.
      const any = this.hasExtras(w);
      if (c && (!this.layer || any || this.extrasDrawn)) drawExtras(c, w, dpr, this.painter);
      this.extrasDrawn = any;
    }
    if (dirty.has('shapes')) {
      const c = canvases.shapes.getContext('2d');
      if (c && this.layer) settleInMs = this.layer.drawBase(c, w.doc, w.index, v, state, now).settleInMs;
      else if (c) this.renderer.render(c, w.doc, w.index, v, state);
    }
    if (dirty.has('overlay')) {
      const c = canvases.overlay.getContext('2d');
      const type = TOOL_TYPE[w.tool];
      const color = type ? (w.paletteEntry(type)?.color ?? '#ff00ff') : '#ff00ff';
      if (c) {
        drawOverlay(c, w.activeTool.preview(), v, dpr, color);
        this.layer?.drawLive(c, w.doc, v, state);
      }
    }
    return settleInMs;
  }
}
