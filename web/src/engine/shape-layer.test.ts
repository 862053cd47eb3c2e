import { describe, expect, it } from 'vitest';
import { AnnotationDocument, UpdateGeometry, History, type Region } from '../core';
import { SpatialIndex } from './spatial';
import { Viewport } from './viewport';
import { ShapeRenderer } from './renderer';
import { ShapeLayer, type LayerContext, type RasterSurface } from './shape-layer';
import { RecordingContext } from '../test/recording-context';
import { box } from '../test/fixtures';

// A real canvas context must satisfy the layer's interface (checked by `npm run build`).
export const realContextFits = (ctx: CanvasRenderingContext2D, off: OffscreenCanvasRenderingContext2D): LayerContext[] => [ctx, off];

/** The recording context plus the two things a layer needs to blit. */
class BlitContext extends RecordingContext implements LayerContext {
  imageSmoothingEnabled = true;
  drawImage(...args: [CanvasImageSource, number, number, number, number]): void {
    this.calls.push({ name: 'drawImage', args });
  }
}

function scene(n = 100) {
  const regions: Region[] = Array.from({ length: n }, (_, i) => box(`b${i}`, (i % 10) * 20, Math.floor(i / 10) * 20, 10, 10));
  const doc = new AnnotationDocument(regions);
  const index = new SpatialIndex();
  index.follow(doc);
  const view = new Viewport({ viewWidth: 200, viewHeight: 200 });
  const surfaces: { width: number; height: number; ctx: BlitContext }[] = [];
  const layer = new ShapeLayer(new ShapeRenderer(), {
    settleMs: 120,
    overscan: 0.25,
    createSurface: (width, height): RasterSurface => {
      const s = { width, height, ctx: new BlitContext() };
      surfaces.push(s);
      return { image: s as unknown as CanvasImageSource, ctx: s.ctx };
    },
  });
  layer.follow(doc);
  const target = new BlitContext();
  /** Strokes issued into the raster since the last call. */
  const strokes = () => {
    const ctx = surfaces.at(-1)?.ctx;
    const count = ctx ? ctx.named('stroke').length : 0;
    if (ctx) ctx.calls = [];
    return count;
  };
  return { doc, index, view, layer, target, surfaces, strokes, history: new History(doc) };
}

describe('ShapeLayer', () => {
  it('rasterizes once (view + overscan) and blits the raster with one drawImage', () => {
    const s = scene();
    const st = s.layer.drawBase(s.target, s.doc, s.index, s.view, { pixelRatio: 2 }, 0);
    expect(st.mode).toBe('raster');
    expect(st.render?.drawn).toBe(100);
    expect(s.surfaces).toHaveLength(1);
    expect([s.surfaces[0]?.width, s.surfaces[0]?.height]).toEqual([(200 + 100) * 2, (200 + 100) * 2]);
    // The raster's transform puts the view's top-left at (pad, pad).
    expect(s.surfaces[0]?.ctx.named('setTransform')[1]?.args).toEqual([2, 0, 0, 2, 100, 100]);
    const blits = s.target.named('drawImage');
    expect(blits).toHaveLength(1);
    expect(blits[0]?.args.slice(1)).toEqual([-100, -100, 600, 600]);
    expect(s.target.named('stroke')).toHaveLength(0);
    // Nothing changed: the canvas already shows it.
    s.target.calls = [];
    expect(s.layer.drawBase(s.target, s.doc, s.index, s.view, { pixelRatio: 2 }, 10).mode).toBe('none');
    expect(s.target.calls).toHaveLength(0);
    // ... unless the target was cleared (resize).
    s.layer.targetCleared();
    expect(s.layer.drawBase(s.target, s.doc, s.index, s.view, { pixelRatio: 2 }, 20).mode).toBe('blit');
  });

  it('draws the raster transformed during a pan / zoom gesture and re-rasterizes when it settles', () => {
    const s = scene();
    s.layer.drawBase(s.target, s.doc, s.index, s.view, {}, 0);
    s.strokes();
    s.view.panBy(10, 0);
    s.target.calls = [];
    let st = s.layer.drawBase(s.target, s.doc, s.index, s.view, {}, 1000);
    expect(st).toMatchObject({ mode: 'transform', settleInMs: 120 });
    expect(s.strokes()).toBe(0);
    expect(s.target.named('drawImage')).toHaveLength(1);
    expect(s.target.named('drawImage')[0]?.args.slice(1)).toEqual([-50 + 10, -50, 300, 300]);

    s.view.zoomAt([0, 0], 2); // scale 2 about the top-left: offset doubles
    s.target.calls = [];
    st = s.layer.drawBase(s.target, s.doc, s.index, s.view, {}, 1050);
    expect(st).toMatchObject({ mode: 'transform', settleInMs: 120 });
    const args = s.target.named('drawImage')[0]?.args.slice(1);
    expect(args).toEqual([20 - 50 * 2, -50 * 2, 600, 600]);
    expect(s.target.imageSmoothingEnabled).toBe(true);
    expect(s.strokes()).toBe(0);

    // The timer fires early: still settling.
    st = s.layer.drawBase(s.target, s.doc, s.index, s.view, {}, 1100);
    expect(st).toMatchObject({ mode: 'none', settleInMs: 70 });
    expect(s.layer.settling).toBe(true);
    // 120 ms after the last view change: crisp again.
    st = s.layer.drawBase(s.target, s.doc, s.index, s.view, {}, 1170);
    expect(st.mode).toBe('raster');
    expect(s.strokes()).toBeGreaterThan(0);
    expect(s.layer.settling).toBe(false);
  });

  it('re-rasterizes on a document change even mid-gesture, and when the threshold or size changes', () => {
    const s = scene();
    s.layer.drawBase(s.target, s.doc, s.index, s.view, {}, 0);
    s.view.panBy(5, 5);
    expect(s.layer.drawBase(s.target, s.doc, s.index, s.view, {}, 500).mode).toBe('transform');
    s.history.execute(new UpdateGeometry('b3', { x: 1, y: 1, width: 5, height: 5, rotation: 0 }));
    expect(s.layer.drawBase(s.target, s.doc, s.index, s.view, {}, 510).mode).toBe('raster');
    expect(s.layer.drawBase(s.target, s.doc, s.index, s.view, { minScore: 0.5 }, 520).mode).toBe('raster');
    s.view.setViewSize(300, 200);
    expect(s.layer.drawBase(s.target, s.doc, s.index, s.view, { minScore: 0.5 }, 530).mode).toBe('raster');
    s.layer.invalidate();
    expect(s.layer.drawBase(s.target, s.doc, s.index, s.view, { minScore: 0.5 }, 540).mode).toBe('raster');
    expect(s.layer.drawBase(s.target, s.doc, s.index, s.view, { minScore: 0.5 }, 550).mode).toBe('none');
  });

  it('notices changes it did not hear about through the document version', () => {
    const s = scene();
    const other = new ShapeLayer(new ShapeRenderer(), { createSurface: () => ({ image: {} as CanvasImageSource, ctx: new BlitContext() }) });
    expect(other.drawBase(s.target, s.doc, s.index, s.view, {}, 0).mode).toBe('raster');
    expect(other.drawBase(s.target, s.doc, s.index, s.view, {}, 1).mode).toBe('none');
    s.doc.setFlags('b1', { hidden: true });
    expect(other.drawBase(s.target, s.doc, s.index, s.view, {}, 2).mode).toBe('raster');
  });

  it('keeps the raster on selection: the highlight and handles are drawn live', () => {
    const s = scene();
    s.layer.drawBase(s.target, s.doc, s.index, s.view, {}, 0);
    expect(s.layer.drawBase(s.target, s.doc, s.index, s.view, { selectedId: 'b7' }, 10).mode).toBe('none');
    const overlay = new BlitContext();
    expect(s.layer.drawLive(overlay, s.doc, s.view, { selectedId: 'b7' }).drawn).toBe(1);
    // Thick outline + 9 handles, no fill (the raster has the body).
    expect(overlay.named('rect')).toHaveLength(1 + 9);
    expect(overlay.named('stroke')[0]?.lineWidth).toBe(3);
    expect(overlay.named('clearRect')).toHaveLength(0);
    expect(s.layer.drawLive(new BlitContext(), s.doc, s.view, { selectedId: null }).drawn).toBe(0);
  });

  it('leaves the dragged region out of the raster once it moves and keeps the raster while only it changes', () => {
    const s = scene();
    const dragging = { selectedId: 'b7', draggingId: 'b7' };
    s.layer.drawBase(s.target, s.doc, s.index, s.view, { selectedId: 'b7' }, 0);
    s.strokes();
    // Pointer down on it: nothing moved yet, nothing to redraw (a click costs no raster).
    expect(s.layer.drawBase(s.target, s.doc, s.index, s.view, dragging, 5).mode).toBe('none');
    expect(s.layer.liveId).toBe(null);

    // First move: the raster is redrawn ONCE without the dragged box.
    s.history.execute(new UpdateGeometry('b7', { x: 141, y: 1, width: 10, height: 10, rotation: 0 }, 'g-drag'));
    const st = s.layer.drawBase(s.target, s.doc, s.index, s.view, dragging, 10);
    expect(st.mode).toBe('raster');
    expect(st.render?.drawn).toBe(99);
    expect(s.layer.liveId).toBe('b7');
    const rects = s.surfaces[0]?.ctx.named('rect').map((c) => c.args.slice(0, 2));
    expect(rects).not.toContainEqual([141, 1]);
    expect(rects).not.toContainEqual([140, 0]);
    s.strokes();

    // Further moves: the shapes canvas is not touched; the overlay gets the box at its new place.
    for (let i = 2; i <= 20; i++) {
      s.history.execute(new UpdateGeometry('b7', { x: 140 + i, y: i, width: 10, height: 10, rotation: 0 }, 'g-drag'));
      s.target.calls = [];
      expect(s.layer.drawBase(s.target, s.doc, s.index, s.view, dragging, 10 + i).mode).toBe('none');
      expect(s.target.calls).toHaveLength(0);
      const overlay = new BlitContext();
      expect(s.layer.drawLive(overlay, s.doc, s.view, dragging).drawn).toBe(1);
      // Body (filled) + thick outline + 9 handles.
      expect(overlay.named('rect')[0]?.args).toEqual([140 + i, i, 10, 10]);
      expect(overlay.named('rect')).toHaveLength(1 + 1 + 9);
      expect(overlay.named('fill')).toHaveLength(2);
    }
    expect(s.strokes()).toBe(0);

    // Another region changes mid-drag: re-rasterize (still without the dragged one).
    s.history.execute(new UpdateGeometry('b8', { x: 0, y: 90, width: 5, height: 5, rotation: 0 }));
    expect(s.layer.drawBase(s.target, s.doc, s.index, s.view, dragging, 100)).toMatchObject({ mode: 'raster', render: { drawn: 99 } });
    s.strokes();
    // Pointer up: the box is drawn into the raster at its final place — one shape, no re-raster.
    s.target.calls = [];
    expect(s.layer.drawBase(s.target, s.doc, s.index, s.view, { selectedId: 'b7' }, 110)).toMatchObject({ mode: 'blit', render: null });
    expect(s.layer.liveId).toBe(null);
    expect(s.surfaces[0]?.ctx.named('rect').map((c) => c.args)).toEqual([[160, 20, 10, 10]]);
    expect(s.strokes()).toBe(1);
    expect(s.target.named('drawImage')).toHaveLength(1);
    // Next frame: nothing to do; the next drag starts from a raster that holds the box.
    expect(s.layer.drawBase(s.target, s.doc, s.index, s.view, { selectedId: 'b7' }, 120).mode).toBe('none');
  });

  it('re-rasterizes at drag end when something else changed too', () => {
    const s = scene();
    const dragging = { selectedId: 'b7', draggingId: 'b7' };
    s.layer.drawBase(s.target, s.doc, s.index, s.view, dragging, 0);
    s.history.execute(new UpdateGeometry('b7', { x: 150, y: 5, width: 10, height: 10, rotation: 0 }, 'g'));
    expect(s.layer.drawBase(s.target, s.doc, s.index, s.view, dragging, 10).mode).toBe('raster');
    s.doc.setFlags('b1', { hidden: true });
    s.index.update('b1');
    expect(s.layer.drawBase(s.target, s.doc, s.index, s.view, { selectedId: 'b7' }, 20)).toMatchObject({ mode: 'raster', render: { drawn: 99 } });
  });

  it('draws no live region when it is hidden or below the score threshold', () => {
    const s = scene(3);
    s.doc.setFlags('b1', { hidden: true });
    expect(s.layer.drawLive(new BlitContext(), s.doc, s.view, { selectedId: 'b1' }).drawn).toBe(0);
    s.doc.restore([{ ...(s.doc.get('b2') as Region), score: 0.1 }]);
    expect(s.layer.drawLive(new BlitContext(), s.doc, s.view, { selectedId: 'b2', minScore: 0.5 }).drawn).toBe(0);
    expect(s.layer.drawLive(new BlitContext(), s.doc, s.view, { selectedId: 'b2', minScore: 0.05 }).drawn).toBe(1);
  });
});

describe('ShapeRenderer level of detail', () => {
  it('draws many small shapes thin and unfilled below thinMaxScale', () => {
    const regions = Array.from({ length: 3000 }, (_, i) => box(`b${i}`, (i % 100) * 20, Math.floor(i / 100) * 20, 10, 10));
    const doc = new AnnotationDocument(regions);
    const index = new SpatialIndex();
    index.rebuild(doc);
    const view = new Viewport({ viewWidth: 2000, viewHeight: 2000 });
    view.zoomTo(0.25, [0, 0]);
    const ctx = new RecordingContext();
    new ShapeRenderer().render(ctx, doc, index, view);
    expect(ctx.named('fill')).toHaveLength(0);
    expect(ctx.named('stroke')[0]?.lineWidth).toBeCloseTo(1 / 0.25, 12);
    const few = new RecordingContext();
    new ShapeRenderer({ thinMinShapes: 5000 }).render(few, doc, index, view);
    expect(few.named('fill')).toHaveLength(1);
    expect(few.named('stroke')[0]?.lineWidth).toBeCloseTo(2 / 0.25, 12);
  });
});
