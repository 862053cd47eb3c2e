/**
 * The offscreen surfaces a `ShapeLayer` rasterizes into: what a context must do (draw shapes,
 * clip, blit), how a surface is made, and how to make the browser rasterize what was drawn.
 */

import type { ClipContext } from './renderer';

/** A 2D context the layer can rasterize into and blit from (real canvas contexts fit). */
export interface LayerContext extends ClipContext {
  imageSmoothingEnabled: boolean;
  drawImage(image: CanvasImageSource, dx: number, dy: number, dw: number, dh: number): void;
}

/** An offscreen raster: what to pass to `drawImage` and its context. */
export interface RasterSurface {
  readonly image: CanvasImageSource;
  readonly ctx: LayerContext;
  /** Make the browser rasterize the commands issued so far (so a slice pays for its own tiles). */
  flush?(): void;
}

/** Makes an offscreen surface of `width` x `height` device pixels. */
export type SurfaceFactory = (width: number, height: number) => RasterSurface;

/** A 1 x 1 readable canvas (see `flushSurface`). */
let probe: OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D | null = null;

/**
 * Chromium records 2D commands and rasterizes them when the canvas is read. Reading a pixel of
 * the surface itself would do, but repeated reads may make Chromium move a GPU canvas to the CPU
 * for good; copying one pixel into a small readable canvas and reading that does not.
 */
function flushSurface(image: CanvasImageSource): void {
  if (!probe) {
    if (typeof OffscreenCanvas !== 'undefined') probe = new OffscreenCanvas(1, 1).getContext('2d', { willReadFrequently: true });
    else probe = document.createElement('canvas').getContext('2d', { willReadFrequently: true });
  }
  probe?.drawImage(image, 0, 0, 1, 1, 0, 0, 1, 1);
  probe?.getImageData(0, 0, 1, 1);
}

/** OffscreenCanvas where there is one, else a detached <canvas>. */
export const defaultSurfaceFactory: SurfaceFactory = (width, height) => {
  if (typeof OffscreenCanvas !== 'undefined') {
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext('2d');
    if (ctx) return { image: canvas, ctx, flush: () => flushSurface(canvas) };
  }
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2D canvas context');
  return { image: canvas, ctx, flush: () => flushSurface(canvas) };
};
