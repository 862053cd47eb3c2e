/**
 * How the renderer traces shapes: the Canvas2D subset it draws with, each shape type's outline
 * as a path, the grab handles of a selected region, and the default label colours.
 */

import { boxCorners, bounds, normalizeBox, type Point } from '../core/geometry';
import type { ShapeRegion } from '../core/document';

/** The subset of CanvasRenderingContext2D the renderer uses (a real context satisfies it). */
export interface RenderContext {
  lineWidth: number;
  strokeStyle: string | CanvasGradient | CanvasPattern;
  fillStyle: string | CanvasGradient | CanvasPattern;
  globalAlpha: number;
  font: string;
  lineJoin: CanvasLineJoin;
  textBaseline: CanvasTextBaseline;
  save(): void;
  restore(): void;
  setTransform(a: number, b: number, c: number, d: number, e: number, f: number): void;
  clearRect(x: number, y: number, w: number, h: number): void;
  beginPath(): void;
  moveTo(x: number, y: number): void;
  lineTo(x: number, y: number): void;
  closePath(): void;
  rect(x: number, y: number, w: number, h: number): void;
  arc(x: number, y: number, radius: number, startAngle: number, endAngle: number): void;
  fill(): void;
  stroke(): void;
  fillText(text: string, x: number, y: number): void;
  setLineDash(segments: number[]): void;
}

/** A grab handle of the selected region, in image pixels. */
export interface Handle {
  kind: 'corner' | 'edge' | 'rotate' | 'vertex' | 'keypoint';
  index: number;
  point: Point;
}

const PALETTE = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6', '#bfef45', '#fabed4', '#469990'];

/** A stable palette colour for a label name. */
export function defaultColor(label: string): string {
  let h = 0;
  for (let i = 0; i < label.length; i++) h = (h * 31 + label.charCodeAt(i)) | 0;
  return PALETTE[Math.abs(h) % PALETTE.length] as string;
}

/** Handles of a region at view `scale`: box corners/edges/rotation, polygon vertices, keypoints. */
export function handlesOf(region: ShapeRegion, scale: number): Handle[] {
  switch (region.type) {
    case 'bbox': {
      const c = boxCorners(normalizeBox(region.geometry));
      const out: Handle[] = c.map((point, index) => ({ kind: 'corner', index, point }));
      c.forEach((a, index) => {
        const b = c[(index + 1) % 4] as Point;
        out.push({ kind: 'edge', index, point: [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2] });
      });
      // Rotation knob 24 screen px outside the middle of the top edge, along its outward normal.
      const [top, right] = [c[0] as Point, c[1] as Point];
      const [bottom] = [c[3] as Point];
      const len = Math.hypot(top[0] - bottom[0], top[1] - bottom[1]) || 1;
      const off = 24 / scale;
      const mid: Point = [(top[0] + right[0]) / 2, (top[1] + right[1]) / 2];
      out.push({ kind: 'rotate', index: 0, point: [mid[0] + ((top[0] - bottom[0]) / len) * off, mid[1] + ((top[1] - bottom[1]) / len) * off] });
      return out;
    }
    case 'polygon':
      return region.geometry.points.map((point, index) => ({ kind: 'vertex', index, point }));
    case 'keypoints':
      return region.geometry.points.flatMap(([x, y, v], index): Handle[] => (v > 0 ? [{ kind: 'keypoint', index, point: [x, y] }] : []));
    case 'mask':
      return [];
  }
}

/** Add a region's outline to the current path (image-pixel coordinates). */
export function tracePath(ctx: RenderContext, region: ShapeRegion, pointRadius: number): void {
  switch (region.type) {
    case 'bbox': {
      const b = normalizeBox(region.geometry);
      if (b.rotation % 360 === 0) {
        ctx.rect(b.x, b.y, b.width, b.height);
        return;
      }
      tracePolygon(ctx, boxCorners(b));
      return;
    }
    case 'polygon':
      tracePolygon(ctx, region.geometry.points);
      return;
    case 'keypoints':
      for (const [x, y, v] of region.geometry.points) {
        if (v <= 0) continue;
        ctx.moveTo(x + pointRadius, y);
        ctx.arc(x, y, pointRadius, 0, Math.PI * 2);
      }
      return;
    case 'mask': {
      // Mask pixels live on their own layer; the shapes layer outlines the mask's box.
      const r = bounds(region);
      if (r) ctx.rect(r.minX, r.minY, r.maxX - r.minX, r.maxY - r.minY);
    }
  }
}

function tracePolygon(ctx: RenderContext, points: readonly Point[]): void {
  const first = points[0];
  if (!first) return;
  ctx.moveTo(first[0], first[1]);
  for (let i = 1; i < points.length; i++) {
    const p = points[i] as Point;
    ctx.lineTo(p[0], p[1]);
  }
  ctx.closePath();
}
