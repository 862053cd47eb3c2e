/**
 * Image <-> screen transform of the canvas: `screen = image * scale + offset`, in CSS pixels of
 * the canvas element (the renderer multiplies by devicePixelRatio). Zoom is clamped.
 */

import type { Point, Rect } from '../core/geometry';

/** Limits and initial state of a viewport. */
export interface ViewportOptions {
  minScale?: number;
  maxScale?: number;
  viewWidth?: number;
  viewHeight?: number;
}

/** Pan/zoom state of one canvas. */
export class Viewport {
  scale = 1;
  offsetX = 0;
  offsetY = 0;
  viewWidth: number;
  viewHeight: number;
  readonly minScale: number;
  readonly maxScale: number;

  /** A viewport at scale 1, offset 0. */
  constructor(options: ViewportOptions = {}) {
    this.minScale = options.minScale ?? 1 / 256;
    this.maxScale = options.maxScale ?? 64;
    this.viewWidth = options.viewWidth ?? 0;
    this.viewHeight = options.viewHeight ?? 0;
  }

  /** Image pixels -> screen pixels. */
  toScreen(p: Point): Point {
    return [p[0] * this.scale + this.offsetX, p[1] * this.scale + this.offsetY];
  }

  /** Screen pixels -> image pixels. */
  toImage(p: Point): Point {
    return [(p[0] - this.offsetX) / this.scale, (p[1] - this.offsetY) / this.scale];
  }

  /** Resize the view (e.g. from a ResizeObserver); the image point at the top-left stays put. */
  setViewSize(width: number, height: number): void {
    this.viewWidth = width;
    this.viewHeight = height;
  }

  /** Zoom by `factor` keeping the image point under `screenPoint` fixed; returns the new scale. */
  zoomAt(screenPoint: Point, factor: number): number {
    return this.zoomTo(this.scale * factor, screenPoint);
  }

  /** Zoom to `scale` (clamped) about `screenPoint` (default: the view centre). */
  zoomTo(scale: number, screenPoint: Point = [this.viewWidth / 2, this.viewHeight / 2]): number {
    const next = this.clampScale(scale);
    const [ix, iy] = this.toImage(screenPoint);
    this.scale = next;
    this.offsetX = screenPoint[0] - ix * next;
    this.offsetY = screenPoint[1] - iy * next;
    return next;
  }

  /** Move the image by (dx, dy) screen pixels. */
  panBy(dx: number, dy: number): void {
    this.offsetX += dx;
    this.offsetY += dy;
  }

  /** Fit an image into the view with `padding` screen pixels on each side, centred. */
  fit(imageW: number, imageH: number, viewW = this.viewWidth, viewH = this.viewHeight, padding = 0): void {
    this.setViewSize(viewW, viewH);
    const availW = Math.max(1, viewW - 2 * padding);
    const availH = Math.max(1, viewH - 2 * padding);
    this.scale = this.clampScale(Math.min(availW / Math.max(imageW, 1e-9), availH / Math.max(imageH, 1e-9)));
    this.offsetX = (viewW - imageW * this.scale) / 2;
    this.offsetY = (viewH - imageH * this.scale) / 2;
  }

  /** The part of the image plane that is on screen, in image pixels. */
  visibleImageRect(): Rect {
    const [minX, minY] = this.toImage([0, 0]);
    const [maxX, maxY] = this.toImage([this.viewWidth, this.viewHeight]);
    return { minX, minY, maxX, maxY };
  }

  /** `setTransform` arguments mapping image pixels to device pixels. */
  transform(pixelRatio = 1): [number, number, number, number, number, number] {
    const s = this.scale * pixelRatio;
    return [s, 0, 0, s, this.offsetX * pixelRatio, this.offsetY * pixelRatio];
  }

  private clampScale(scale: number): number {
    return Math.min(this.maxScale, Math.max(this.minScale, scale));
  }
}
