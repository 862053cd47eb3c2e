/** Canvas drawing of the workspace layers other than the shapes (which the ShapeRenderer draws). */

import { isShapeRegion, type Point } from '../../core';
import { sharedMaskPainter, type MaskImage, type Preview, type Viewport } from '../../engine';
import type { ImageWorkspace } from './controller';

/** Draw the task image under the viewport transform. */
export function drawImage(ctx: CanvasRenderingContext2D, img: CanvasImageSource, view: Viewport, dpr: number): void {
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, ctx.canvas.width, ctx.canvas.height);
  ctx.setTransform(...view.transform(dpr));
  ctx.imageSmoothingEnabled = view.scale < 2;
  ctx.drawImage(img, 0, 0);
}

/** Mask pixels at their image position (nothing until the mask worker has made them). */
function drawMask(ctx: CanvasRenderingContext2D, image: MaskImage | null): void {
  if (image?.source) ctx.drawImage(image.source, image.x, image.y);
}

/**
 * Masks (label-coloured pixels per mask object, decoded and coloured by the mask worker; the
 * layer is drawn again when they arrive) and keypoint skeletons.
 */
export function drawExtras(ctx: CanvasRenderingContext2D, ws: ImageWorkspace, dpr: number, painter = sharedMaskPainter()): void {
  const view = ws.viewport;
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, ctx.canvas.width, ctx.canvas.height);
  ctx.setTransform(...view.transform(dpr));
  ctx.imageSmoothingEnabled = false;
  for (const id of ws.index.search(view.visibleImageRect())) {
    const r = ws.doc.get(id);
    if (!r || !isShapeRegion(r) || r.hidden || !ws.session.visibleSuggestion(r)) continue;
    const color = ws.colorOf(r);
    if (r.type === 'mask') {
      ctx.globalAlpha = 0.45;
      drawMask(ctx, painter.image(r.geometry, color, r.id));
      ctx.globalAlpha = 1;
    } else if (r.type === 'keypoints') {
      const entry = ws.schema.palettes.keypoints.find((p) => p.tool === r.tool);
      if (!entry) continue;
      const pts = r.geometry.points;
      ctx.beginPath();
      for (const [a, b] of entry.skeleton) {
        const pa = pts[entry.keypoints.indexOf(a)];
        const pb = pts[entry.keypoints.indexOf(b)];
        if (!pa || !pb || pa[2] <= 0 || pb[2] <= 0) continue;
        ctx.moveTo(pa[0], pa[1]);
        ctx.lineTo(pb[0], pb[1]);
      }
      ctx.strokeStyle = color;
      ctx.lineWidth = 1.5 / view.scale;
      ctx.stroke();
      // Occluded keypoints (v = 1) get a hollow ring.
      ctx.fillStyle = '#ffffff';
      for (const [x, y, v] of pts) {
        if (v !== 1) continue;
        ctx.beginPath();
        ctx.arc(x, y, 2.5 / view.scale, 0, Math.PI * 2);
        ctx.fill();
      }
    }
  }
}

/** The in-progress shape of the active tool, in screen pixels. */
export function drawOverlay(ctx: CanvasRenderingContext2D, preview: Preview | null, view: Viewport, dpr: number, color: string): void {
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, ctx.canvas.width, ctx.canvas.height);
  if (!preview) return;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  const s = (p: Point) => view.toScreen(p);
  ctx.lineWidth = 2;
  ctx.strokeStyle = color;
  ctx.fillStyle = color;
  ctx.setLineDash([]);
  switch (preview.kind) {
    case 'box': {
      const [x, y] = s([preview.box.x, preview.box.y]);
      ctx.strokeRect(x, y, preview.box.width * view.scale, preview.box.height * view.scale);
      break;
    }
    case 'polygon': {
      const pts = preview.points.map(s);
      ctx.beginPath();
      pts.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(x, y) : ctx.lineTo(x, y)));
      if (preview.hover) {
        ctx.setLineDash([5, 4]);
        const [hx, hy] = s(preview.hover);
        ctx.lineTo(hx, hy);
      }
      ctx.stroke();
      ctx.setLineDash([]);
      pts.forEach(([x, y], i) => {
        ctx.beginPath();
        ctx.arc(x, y, i === 0 && preview.closable ? 7 : 4, 0, Math.PI * 2);
        ctx.fillStyle = i === 0 ? '#ffffff' : color;
        ctx.fill();
        ctx.stroke();
      });
      break;
    }
    case 'keypoints': {
      const pts = preview.points;
      ctx.beginPath();
      for (const [a, b] of preview.skeleton) {
        const pa = pts[a];
        const pb = pts[b];
        if (!pa || !pb || pa[2] <= 0 || pb[2] <= 0) continue;
        ctx.moveTo(...s([pa[0], pa[1]]));
        ctx.lineTo(...s([pb[0], pb[1]]));
      }
      ctx.stroke();
      for (const [x, y, v] of pts) {
        if (v <= 0) continue;
        const [sx, sy] = s([x, y]);
        ctx.beginPath();
        ctx.arc(sx, sy, 4, 0, Math.PI * 2);
        ctx.fill();
      }
      break;
    }
    case 'mask': {
      if (preview.image?.source) {
        // The stroke's pixels as the mask worker last sent them (already in the label colour).
        ctx.setTransform(...view.transform(dpr));
        ctx.imageSmoothingEnabled = false;
        ctx.globalAlpha = 0.5;
        drawMask(ctx, preview.image);
        ctx.globalAlpha = 1;
        ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      }
      if (preview.cursor) {
        const [cx, cy] = s(preview.cursor);
        ctx.beginPath();
        ctx.arc(cx, cy, Math.max(1, preview.radius * view.scale), 0, Math.PI * 2);
        ctx.strokeStyle = preview.erase ? '#000000' : color;
        ctx.setLineDash(preview.erase ? [3, 3] : []);
        ctx.stroke();
        ctx.setLineDash([]);
      }
      break;
    }
  }
}
