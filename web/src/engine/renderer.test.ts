import { describe, expect, it } from 'vitest';
import { AnnotationDocument, type Region } from '../core/document';
import { SpatialIndex } from './spatial';
import { Viewport } from './viewport';
import { ShapeRenderer, handlesOf, type RenderContext } from './renderer';
import { RecordingContext } from '../test/recording-context';
import { box, polygon } from '../test/fixtures';

// A real canvas context must satisfy the renderer's interface (checked by `npm run build`).
export const realContextFits = (ctx: CanvasRenderingContext2D): RenderContext => ctx;

const LABELS = ['car', 'person', 'bike'];
const COLORS: Record<string, string> = { car: '#f00', person: '#0f0', bike: '#00f' };
const colorOf = (r: { label: string }): string => COLORS[r.label] ?? '#999';

/** n boxes on a 100-column grid (20 px pitch), labels cycling through LABELS. */
function grid(n: number): Region[] {
  return Array.from({ length: n }, (_, i) =>
    box(`b${i}`, (i % 100) * 20, Math.floor(i / 100) * 20, 10, 10, { label: LABELS[i % 3] as string }),
  );
}

function scene(regions: Region[], scale = 1, view: [number, number] = [2000, 2000]) {
  const doc = new AnnotationDocument(regions);
  const index = new SpatialIndex();
  index.rebuild(doc);
  const viewport = new Viewport({ viewWidth: view[0], viewHeight: view[1] });
  viewport.zoomTo(scale, [0, 0]);
  return { doc, index, viewport, ctx: new RecordingContext(), renderer: new ShapeRenderer({ colorOf, labelMinScale: 1 }) };
}

describe('ShapeRenderer', () => {
  it('draws 10,000 boxes of 3 labels in 3 batched strokes', () => {
    const s = scene(grid(10_000), 0.5); // the whole 2000 x 2000 grid is on screen
    const stats = s.renderer.render(s.ctx, s.doc, s.index, s.viewport);
    expect(stats).toEqual({ drawn: 10_000, groups: 3, labels: 0 });
    expect(s.ctx.named('stroke')).toHaveLength(3);
    expect(s.ctx.named('beginPath')).toHaveLength(3);
    expect(s.ctx.named('fill')).toHaveLength(3);
    expect(s.ctx.named('rect')).toHaveLength(10_000);
    expect(new Set(s.ctx.named('stroke').map((c) => c.style))).toEqual(new Set(['#f00', '#0f0', '#00f']));
  });

  it('issues no path commands for culled shapes', () => {
    const s = scene(grid(10_000), 1, [95, 55]); // columns 0-4, rows 0-2 visible
    const stats = s.renderer.render(s.ctx, s.doc, s.index, s.viewport);
    expect(stats.drawn).toBe(15);
    expect(s.ctx.named('rect')).toHaveLength(15);
    const drawnX = s.ctx.named('rect').map((c) => c.args[0] as number);
    expect(Math.max(...drawnX)).toBe(80);
  });

  it('keeps the on-screen stroke width constant: lineWidth = 2 / scale', () => {
    for (const scale of [0.25, 1, 3]) {
      const s = scene(grid(30), scale);
      s.renderer.render(s.ctx, s.doc, s.index, s.viewport);
      for (const call of s.ctx.named('stroke')) expect(call.lineWidth).toBeCloseTo(2 / scale, 12);
      expect(s.ctx.named('setTransform')[1]?.args).toEqual(s.viewport.transform(1));
    }
  });

  it('draws handles only for the selected region', () => {
    const s = scene([box('a', 0, 0, 10, 10), box('sel', 100, 100, 40, 20), polygon('p', [[0, 50], [20, 50], [10, 70]])], 1);
    s.renderer.render(s.ctx, s.doc, s.index, s.viewport);
    const plain = s.ctx.named('rect').length;
    s.ctx.calls = [];
    s.renderer.render(s.ctx, s.doc, s.index, s.viewport, { selectedId: 'sel' });
    // 9 handles (4 corners, 4 edges, rotation), each a screen-space square around its point.
    const handles = s.ctx.named('rect').slice(plain + 1);
    expect(handles).toHaveLength(9);
    const centres = handles.map((c) => [(c.args[0] as number) + 4, (c.args[1] as number) + 4]);
    const sel = s.doc.get('sel');
    const expected = handlesOf(sel as never, 1).map((h) => s.viewport.toScreen(h.point));
    expect(centres).toEqual(expected);
    for (const [x, y] of centres) {
      expect(x).toBeGreaterThanOrEqual(100 - 1e-9);
      expect(y).toBeGreaterThanOrEqual(100 - 24 - 1e-9); // rotation knob above the top edge
    }
  });

  it('draws no handles when the selection is culled, hidden or absent', () => {
    const s = scene([box('a', 0, 0, 10, 10), box('far', 5000, 5000, 10, 10)], 1, [100, 100]);
    s.renderer.render(s.ctx, s.doc, s.index, s.viewport, { selectedId: 'far' });
    expect(s.ctx.named('rect')).toHaveLength(1);
    s.ctx.calls = [];
    s.renderer.render(s.ctx, s.doc, s.index, s.viewport, { selectedId: 'nope' });
    expect(s.ctx.named('rect')).toHaveLength(1);
  });

  it('draws labels only above the zoom threshold', () => {
    const low = scene(grid(9), 0.5);
    expect(low.renderer.render(low.ctx, low.doc, low.index, low.viewport).labels).toBe(0);
    expect(low.ctx.named('fillText')).toHaveLength(0);
    const high = scene(grid(9), 2);
    expect(high.renderer.render(high.ctx, high.doc, high.index, high.viewport).labels).toBe(9);
    expect(high.ctx.named('fillText').map((c) => c.args[0])).toContain('person');
  });

  it('skips hidden and low-score regions, dashes unreviewed model output', () => {
    const regions = [box('h', 0, 0, 10, 10), box('m', 20, 0, 10, 10, { origin: 'model' }), box('low', 40, 0, 10, 10, { origin: 'model' })];
    const s = scene(regions.map((r) => (r.id === 'low' ? { ...r, score: 0.2 } : r.id === 'm' ? { ...r, score: 0.9 } : r)));
    s.doc.setFlags('h', { hidden: true });
    s.index.update('h');
    const stats = s.renderer.render(s.ctx, s.doc, s.index, s.viewport, { minScore: 0.5 });
    expect(stats.drawn).toBe(1);
    expect(s.ctx.named('rect')).toHaveLength(1);
    const dashes = s.ctx.named('setLineDash').map((c) => (c.args[0] as number[]).length);
    expect(dashes[0]).toBe(2);
  });

  it('hides and dashes suggestions only: an accepted one shows, solid, below the threshold', () => {
    const s = scene([box('acc', 0, 0, 10, 10, { origin: 'model' }), box('sug', 20, 0, 10, 10, { origin: 'model' })].map((r) => ({ ...r, score: 0.2 })));
    const renderer = new ShapeRenderer({ colorOf: () => '#123456', labelMinScale: 1, isSuggestion: (r) => r.id === 'sug' });
    expect(renderer.render(s.ctx, s.doc, s.index, s.viewport, { minScore: 0.5 }).drawn).toBe(1);
    expect(s.ctx.named('rect').map((c) => c.args[0])).toEqual([0]);
    expect(s.ctx.named('setLineDash').map((c) => (c.args[0] as number[]).length)).toEqual([0, 0]);
  });

  it('traces rotated boxes and polygons as closed paths', () => {
    const s = scene([box('r', 10, 10, 20, 10, { rotation: 30 }), polygon('p', [[0, 0], [5, 0], [5, 5], [0, 5]])]);
    s.renderer.render(s.ctx, s.doc, s.index, s.viewport);
    expect(s.ctx.named('moveTo')).toHaveLength(2);
    expect(s.ctx.named('lineTo')).toHaveLength(6);
    expect(s.ctx.named('closePath')).toHaveLength(2);
  });
});
