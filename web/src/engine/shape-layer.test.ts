import { describe, expect, it } from 'vitest';
import { AddRegion, AnnotationDocument, RemoveRegions, SetLabel, UpdateGeometry, History, type Region } from '../core';
import { SpatialIndex } from './spatial';
import { Viewport } from './viewport';
import { ShapeRenderer } from './renderer';
import { ShapeLayer, type LayerState } from './shape-layer';
import type { LayerContext, RasterSurface } from './raster-surface';
import { PixelModel } from './testing/pixel-model';
import { RecordingContext } from '../test/recording-context';
import { box, polygon } from '../test/fixtures';

// A real canvas context must satisfy the layer's interface (checked by `npm run build`).
export const realContextFits = (ctx: CanvasRenderingContext2D, off: OffscreenCanvasRenderingContext2D): LayerContext[] => [ctx, off];

/** The recording context plus what a layer needs to clip and blit. */
class BlitContext extends RecordingContext implements LayerContext {
  imageSmoothingEnabled = true;
  clip(): void {
    this.calls.push({ name: 'clip', args: [] });
  }
  drawImage(...args: [CanvasImageSource, number, number, number, number]): void {
    this.calls.push({ name: 'drawImage', args });
  }
}

const geometry = (x: number, y: number, w = 10, h = 10) => ({ x, y, width: w, height: h, rotation: 0 });

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
    clock: () => 0, // every slice fits: the sliced re-raster completes in one call
    createSurface: (width, height): RasterSurface => {
      const s = { width, height, ctx: new BlitContext() };
      surfaces.push(s);
      return { image: s as unknown as CanvasImageSource, ctx: s.ctx };
    },
  });
  layer.follow(doc);
  const target = new BlitContext();
  /** Strokes issued into the newest raster surface since the last call. */
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
    // 120 ms after the last view change: crisp again, drawn tile by tile on a second surface.
    st = s.layer.drawBase(s.target, s.doc, s.index, s.view, {}, 1170);
    expect(st.mode).toBe('raster');
    expect(st.tiles).toBe(4); // 300 x 300 px in 256 px tiles
    expect(s.surfaces).toHaveLength(2);
    expect(s.strokes()).toBeGreaterThan(0);
    expect(s.layer.settling).toBe(false);
    // The next settle draws on the surface the swap freed.
    s.view.panBy(5, 5);
    s.layer.drawBase(s.target, s.doc, s.index, s.view, {}, 2000);
    expect(s.layer.drawBase(s.target, s.doc, s.index, s.view, {}, 2200).mode).toBe('raster');
    expect(s.surfaces).toHaveLength(2);
  });

  it('patches edits even mid-gesture; re-rasterizes when the threshold or size changes', () => {
    const s = scene();
    s.layer.drawBase(s.target, s.doc, s.index, s.view, {}, 0);
    s.view.panBy(5, 5);
    expect(s.layer.drawBase(s.target, s.doc, s.index, s.view, {}, 500).mode).toBe('transform');
    s.strokes();
    s.history.execute(new UpdateGeometry('b3', geometry(1, 1, 5, 5)));
    // The old and the new place of b3, redrawn on the (still transformed) raster.
    expect(s.layer.drawBase(s.target, s.doc, s.index, s.view, {}, 510)).toMatchObject({ mode: 'transform', patched: 2, render: null });
    expect(s.surfaces[0]?.ctx.named('clip')).toHaveLength(2);
    expect(s.layer.drawBase(s.target, s.doc, s.index, s.view, { minScore: 0.5 }, 520).mode).toBe('raster');
    s.view.setViewSize(300, 200);
    expect(s.layer.drawBase(s.target, s.doc, s.index, s.view, { minScore: 0.5 }, 530).mode).toBe('raster');
    s.layer.invalidate();
    expect(s.layer.drawBase(s.target, s.doc, s.index, s.view, { minScore: 0.5 }, 540).mode).toBe('raster');
    expect(s.layer.drawBase(s.target, s.doc, s.index, s.view, { minScore: 0.5 }, 550).mode).toBe('none');
    // Too many regions at once: the whole raster.
    s.doc.setOrder([...s.doc.ordering].reverse());
    expect(s.layer.drawBase(s.target, s.doc, s.index, s.view, { minScore: 0.5 }, 560).mode).toBe('raster');
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

  it('erases the dragged region from its rectangle of the raster once it moves and keeps the raster while only it changes', () => {
    const s = scene();
    const dragging = { selectedId: 'b7', draggingId: 'b7' };
    s.layer.drawBase(s.target, s.doc, s.index, s.view, { selectedId: 'b7' }, 0);
    s.strokes();
    // Pointer down on it: nothing moved yet, nothing to redraw (a click costs no raster).
    expect(s.layer.drawBase(s.target, s.doc, s.index, s.view, dragging, 5).mode).toBe('none');
    expect(s.layer.liveId).toBe(null);

    // First move: only the box's old rectangle is redrawn, without it.
    s.history.execute(new UpdateGeometry('b7', geometry(141, 1), 'g-drag'));
    const st = s.layer.drawBase(s.target, s.doc, s.index, s.view, dragging, 10);
    expect(st).toMatchObject({ mode: 'blit', patched: 1, render: null });
    expect(s.layer.liveId).toBe('b7');
    const raster = s.surfaces[0]?.ctx as BlitContext;
    // Clip and clear b7's footprint: 140..150 + 3 px of outline, and its label (3 letters of at
    // most 12 px + 4 to the right, 22 px up), + the 50 px overscan. Then its neighbours only.
    expect(raster.named('clearRect')[0]?.args).toEqual([50 + 137, 50 - 22, 40 + 3, 22 + 10 + 3]);
    expect(raster.named('rect').slice(1).map((c) => c.args.slice(0, 2))).not.toContainEqual([140, 0]);
    expect(raster.named('rect').length).toBeLessThan(15); // its neighbours, not the 99 others
    s.strokes();

    // Further moves: the shapes canvas is not touched; the overlay gets the box at its new place.
    for (let i = 2; i <= 20; i++) {
      s.history.execute(new UpdateGeometry('b7', geometry(141 + i, 2 + i), 'g-drag'));
      s.target.calls = [];
      expect(s.layer.drawBase(s.target, s.doc, s.index, s.view, dragging, 10 + i).mode).toBe('none');
      expect(s.target.calls).toHaveLength(0);
      const overlay = new BlitContext();
      expect(s.layer.drawLive(overlay, s.doc, s.view, dragging).drawn).toBe(1);
      // Body (filled) + thick outline + 9 handles.
      expect(overlay.named('rect')[0]?.args).toEqual([141 + i, 2 + i, 10, 10]);
      expect(overlay.named('rect')).toHaveLength(1 + 1 + 9);
      expect(overlay.named('fill')).toHaveLength(2);
    }
    expect(s.strokes()).toBe(0);

    // Another region changes mid-drag: its rectangles are patched (still without the dragged one).
    s.history.execute(new UpdateGeometry('b8', geometry(0, 90, 5, 5)));
    expect(s.layer.drawBase(s.target, s.doc, s.index, s.view, dragging, 100)).toMatchObject({ mode: 'blit', patched: 2 });
    expect(raster.named('rect').map((c) => c.args)).not.toContainEqual([161, 22, 10, 10]);
    s.strokes();
    // Pointer up: the box's new rectangle is redrawn with it.
    s.target.calls = [];
    expect(s.layer.drawBase(s.target, s.doc, s.index, s.view, { selectedId: 'b7' }, 110)).toMatchObject({ mode: 'blit', patched: 1, render: null });
    expect(s.layer.liveId).toBe(null);
    expect(raster.named('rect').map((c) => c.args)).toContainEqual([161, 22, 10, 10]);
    expect(s.target.named('drawImage')).toHaveLength(1);
    // Next frame: nothing to do; the next drag starts from a raster that holds the box.
    expect(s.layer.drawBase(s.target, s.doc, s.index, s.view, { selectedId: 'b7' }, 120).mode).toBe('none');
  });

  it('draws no live region when it is hidden or below the score threshold', () => {
    const s = scene(3);
    s.doc.setFlags('b1', { hidden: true });
    expect(s.layer.drawLive(new BlitContext(), s.doc, s.view, { selectedId: 'b1' }).drawn).toBe(0);
    s.doc.restore([{ ...(s.doc.get('b2') as Region), score: 0.1, origin: 'model' }]);
    expect(s.layer.drawLive(new BlitContext(), s.doc, s.view, { selectedId: 'b2', minScore: 0.5 }).drawn).toBe(0);
    expect(s.layer.drawLive(new BlitContext(), s.doc, s.view, { selectedId: 'b2', minScore: 0.05 }).drawn).toBe(1);
  });

  it('shows a low-score suggestion once it is accepted, whatever the threshold', () => {
    const accepted = new Set<string>();
    const surfaces: BlitContext[] = [];
    const layer = new ShapeLayer(new ShapeRenderer({ isSuggestion: (r) => r.origin === 'model' && !accepted.has(r.id) }), {
      clock: () => 0,
      createSurface: (): RasterSurface => {
        const ctx = new BlitContext();
        surfaces.push(ctx);
        return { image: {} as CanvasImageSource, ctx };
      },
    });
    const doc = new AnnotationDocument([{ ...box('s', 20, 20, 10, 10), origin: 'model', score: 0.2 }, box('h', 60, 20, 10, 10)]);
    const index = new SpatialIndex();
    index.follow(doc);
    layer.follow(doc);
    const view = new Viewport({ viewWidth: 200, viewHeight: 200 });
    const rects = () => surfaces.flatMap((c) => c.named('rect').map((call) => call.args[0]));
    layer.drawBase(new BlitContext(), doc, index, view, { minScore: 0.5 }, 0);
    expect(rects()).toEqual([60]); // the suggestion is under the threshold
    accepted.add('s');
    doc.restore([doc.get('s') as Region]); // what accepting does: the same region, a new version
    layer.drawBase(new BlitContext(), doc, index, view, { minScore: 0.5 }, 10);
    expect(rects()).toContain(20);
    // Now drawn solid, as a human box is.
    const dashes = surfaces.flatMap((c) => c.named('setLineDash').map((call) => (call.args[0] as number[]).length));
    expect(dashes.filter((n) => n > 0)).toEqual([]);
  });
});

// --- pixels: partial and sliced redraws against a whole render, on the model canvas ---------------

const COLORS: Record<string, string> = { car: '#f00', person: '#0f0', bike: '#00f', road: '#ff0' };

/**
 * Overlapping boxes of three labels (one dashed model box), two polygons; labels drawn at scale
 * 1.5 (view 160 x 120, overscan 0.25, pixel ratio 1), thin level of detail when `thin`.
 */
function pixelScene(opts: { thin?: boolean; maxLabels?: number; scale?: number } = {}) {
  const labels = ['car', 'person', 'bike'];
  const regions: Region[] = [];
  for (let i = 0; i < 24; i++) {
    regions.push(box(`b${i}`, 4 + ((i * 37) % 110), 3 + ((i * 23) % 80), 12 + (i % 5) * 5, 10 + (i % 4) * 6, { label: labels[i % 3] as string, origin: i === 5 ? 'model' : 'human' }));
  }
  regions.push(polygon('p0', [[30, 30], [70, 35], [50, 70]], 'road'), polygon('p1', [[80, 10], [120, 20], [100, 50], [85, 40]], 'car'));
  const doc = new AnnotationDocument(regions);
  const history = new History(doc);
  const index = new SpatialIndex();
  index.follow(doc);
  const renderer = new ShapeRenderer({
    colorOf: (r) => COLORS[r.label] ?? '#999',
    labelMinScale: 1,
    maxLabels: opts.maxLabels ?? 400,
    thinMaxScale: opts.thin ? 10 : 0.5,
    thinMinShapes: opts.thin ? 1 : 2000,
  });
  let now = 0;
  const models: PixelModel[] = [];
  const layer = new ShapeLayer(renderer, {
    settleMs: 100,
    sliceMs: 8,
    tileSize: 64,
    clock: () => now,
    createSurface: (w, h) => {
      const m = new PixelModel(w, h);
      models.push(m);
      // Each painted sub-path costs 0.25 ms, paid when the slice flushes the surface.
      return { image: m as unknown as CanvasImageSource, ctx: m, flush: () => (now += m.takeWork() * 0.25) };
    },
  });
  layer.follow(doc);
  const view = new Viewport({ viewWidth: 160, viewHeight: 120 });
  view.zoomTo(opts.scale ?? 1.5, [0, 0]);
  const target = new BlitContext();
  /** The model the layer shows now (the one blitted last). */
  const shown = () => target.named('drawImage').at(-1)?.args[0] as PixelModel;
  /** A whole render of the raster's view (view + 40 / 30 px overscan) into a fresh model. */
  const reference = (state: LayerState & { excludeId?: string | null } = {}) => {
    const rv = new Viewport({ viewWidth: 240, viewHeight: 180 });
    rv.scale = view.scale;
    rv.offsetX = view.offsetX + 40;
    rv.offsetY = view.offsetY + 30;
    const m = new PixelModel(240, 180);
    renderer.render(m, doc, index, rv, { minScore: state.minScore ?? 0, excludeId: state.excludeId ?? null, selectedId: null });
    return m;
  };
  const draw = (state: LayerState = {}, at = now) => layer.drawBase(target, doc, index, view, state, at);
  return { doc, history, index, layer, view, target, models, shown, reference, draw, tick: (ms: number) => (now += ms), time: () => now };
}

describe('ShapeLayer pixels (model canvas)', () => {
  for (const thin of [false, true]) {
    it(`a drag erases, then puts back, exactly what a whole render draws${thin ? ' (thin level of detail)' : ''}`, () => {
      const s = pixelScene({ thin });
      s.draw({});
      expect(s.shown().painted()).toBeGreaterThan(1000);
      const drag = { selectedId: 'b4', draggingId: 'b4' };
      s.draw(drag);
      s.history.execute(new UpdateGeometry('b4', geometry(90, 60, 20, 14), 'g'));
      expect(s.draw(drag).patched).toBe(1);
      expect(s.shown().diff(s.reference({ excludeId: 'b4' }))).toEqual({ count: 0, first: [] });
      s.history.execute(new UpdateGeometry('b4', geometry(10, 70, 20, 14), 'g'));
      s.draw(drag);
      s.draw({ selectedId: 'b4' });
      expect(s.shown().diff(s.reference())).toEqual({ count: 0, first: [] });
    });
  }

  it('patches relabels, deletions, additions, hiding and undo exactly', () => {
    const s = pixelScene();
    s.draw();
    const edits: [string, () => void][] = [
      ['relabel', () => s.history.execute(new SetLabel(['b7'], 'bike'))],
      ['remove', () => s.history.execute(new RemoveRegions(['b10', 'p0']))],
      ['add', () => s.history.execute(new AddRegion(box('new', 50, 40, 30, 20, { label: 'person' })))],
      ['hide', () => s.doc.setFlags('b2', { hidden: true })],
      ['undo', () => s.history.undo()],
      ['move', () => s.history.execute(new UpdateGeometry('p1', { points: [[0, 0], [20, 5], [10, 30]] }))],
    ];
    for (const [name, edit] of edits) {
      edit();
      const st = s.draw();
      expect(st.mode, name).toBe('blit');
      expect(st.patched, name).toBeGreaterThan(0);
      expect(s.shown().diff(s.reference()), name).toEqual({ count: 0, first: [] });
    }
  });

  it('redraws everything for an edit when more shapes than labels are on it', () => {
    const s = pixelScene({ maxLabels: 5 });
    s.draw();
    s.history.execute(new AddRegion(box('new', 50, 40, 30, 20, { label: 'person' })));
    expect(s.draw().mode).toBe('raster');
    expect(s.shown().diff(s.reference())).toEqual({ count: 0, first: [] });
  });

  it('settles in slices within the budget, shows the old raster meanwhile, and ends as a whole render', () => {
    const s = pixelScene();
    s.draw({}, 0);
    const first = s.shown();
    s.view.zoomAt([60, 40], 1.25);
    expect(s.draw({}, 10).mode).toBe('transform');
    let calls = 0;
    for (;;) {
      const t = s.time();
      const st = s.draw({}, 200 + calls * 16);
      calls++;
      // Within the budget, give or take the one tile that does not fit a slice on its own.
      expect(s.time() - t).toBeLessThanOrEqual(8 + 4);
      if (st.mode === 'raster') break;
      expect(st.settleInMs).toBe(0);
      expect(s.shown()).toBe(first); // the old raster, scaled
      expect(calls).toBeLessThan(50);
    }
    expect(calls).toBeGreaterThan(2);
    expect(s.shown()).not.toBe(first);
    expect(s.shown().diff(s.reference())).toEqual({ count: 0, first: [] });
    expect(s.layer.settling).toBe(false);
  });

  it('drops an unfinished slice raster when the view changes again, and redraws whole on an edit', () => {
    const s = pixelScene();
    s.draw({}, 0);
    s.view.panBy(7, 3);
    s.draw({}, 10);
    expect(s.draw({}, 200)).toMatchObject({ settleInMs: 0, tiles: expect.any(Number) });
    const surfaces = s.models.length;
    // The view moves on: back to transforming; the half-drawn surface becomes the spare.
    s.view.panBy(-20, 4);
    expect(s.draw({}, 210)).toMatchObject({ mode: 'transform', tiles: 0 });
    let st = s.draw({}, 400);
    while (st.mode !== 'raster') st = s.draw({}, 400);
    expect(s.models).toHaveLength(surfaces);
    expect(s.shown().diff(s.reference())).toEqual({ count: 0, first: [] });

    // An edit while a slice raster is pending: patched on the shown raster, the slices restart.
    s.view.panBy(3, 3);
    s.draw({}, 500);
    expect(s.draw({}, 700).settleInMs).toBe(0);
    s.history.execute(new UpdateGeometry('b1', geometry(60, 60, 20, 20)));
    st = s.draw({}, 710);
    expect(st.patched).toBe(2);
    while (st.mode !== 'raster') st = s.draw({}, 720);
    expect(s.shown().diff(s.reference())).toEqual({ count: 0, first: [] });
    // A score threshold change while pending: a whole raster at once.
    s.view.panBy(3, 3);
    s.draw({}, 800);
    expect(s.draw({}, 1000).settleInMs).toBe(0);
    expect(s.draw({ minScore: 0.5 }, 1010).mode).toBe('raster');
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
