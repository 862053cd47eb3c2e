import { describe, expect, it } from 'vitest';
import { AnnotationDocument, History, decodeCounts, maskContains, type Mask, type Point, type RegionId, type ShapeType } from '../../core';
import { SpatialIndex } from '../spatial';
import { box, polygon } from '../../test/fixtures';
import { BrushTool, KeypointsTool, PolygonTool, RectangleTool, SelectTool, type ActiveLabel, type ToolHost, type ToolPointer } from './index';
import { MaskPaintCore, type MaskReply } from '../mask-paint';
import { MaskPainter, type MaskPort } from '../mask-painter';

function makeHost(regions: ConstructorParameters<typeof AnnotationDocument>[0] = [], scale = 1) {
  const doc = new AnnotationDocument(regions);
  const history = new History(doc);
  const index = new SpatialIndex();
  index.follow(doc);
  let selected: RegionId | null = null;
  let n = 0;
  const notes: string[] = [];
  const labels: Partial<Record<ShapeType, ActiveLabel>> = {
    bbox: { tool: 'objects', label: 'circle' },
    polygon: { tool: 'outlines', label: 'square' },
    keypoints: { tool: 'pose', label: 'person', keypoints: ['nose', 'left_eye', 'right_eye'], skeleton: [['nose', 'left_eye'], ['nose', 'right_eye']] },
    mask: { tool: 'paint', label: 'blob' },
  };
  const host: ToolHost = {
    doc,
    history,
    index,
    imageWidth: 100,
    imageHeight: 80,
    scale: () => scale,
    selection: () => selected,
    select: (id) => (selected = id),
    activeLabel: (t) => labels[t] ?? null,
    newId: () => `n${++n}`,
    brushRadius: () => 3,
    notify: (m) => notes.push(m),
  };
  return { host, doc, history, notes, labels };
}

const at = (x: number, y: number, extra: Partial<ToolPointer> = {}): ToolPointer => ({ point: [x, y] as Point, button: 0, shift: false, alt: false, clicks: 1, ...extra });

describe('RectangleTool', () => {
  it('adds one bbox for a drag, in image pixels, clamped, and selects it', () => {
    const { host, doc, history } = makeHost();
    const t = new RectangleTool(host);
    t.down(at(30, 20));
    t.move(at(50, 40));
    expect(t.preview()).toMatchObject({ kind: 'box', box: { x: 30, y: 20, width: 20, height: 20 } });
    t.up(at(120, 10));
    expect(doc.toResult()).toEqual([
      { id: 'n1', tool: 'objects', type: 'bbox', label: 'circle', geometry: { x: 30, y: 10, width: 70, height: 10, rotation: 0 }, attributes: {}, origin: 'human' },
    ]);
    expect(host.selection()).toBe('n1');
    expect(history.depth).toBe(1);
    history.undo();
    expect(doc.size).toBe(0);
  });
  it('ignores a click (zero-size box) and a box thinner than a few screen pixels', () => {
    const { host, doc } = makeHost([], 2);
    const t = new RectangleTool(host);
    t.down(at(10, 10));
    t.up(at(10, 10));
    t.down(at(10, 10));
    t.up(at(40, 11)); // 1 image px = 2 screen px high
    expect(doc.size).toBe(0);
  });
  it('says so when the schema has no bbox tool', () => {
    const { host, doc, notes, labels } = makeHost();
    delete labels.bbox;
    const t = new RectangleTool(host);
    t.down(at(1, 1));
    t.up(at(50, 50));
    expect(doc.size).toBe(0);
    expect(notes[0]).toMatch(/no bbox tool/);
  });
});

describe('PolygonTool', () => {
  it('closes on a click near the first vertex', () => {
    const { host, doc, history } = makeHost();
    const t = new PolygonTool(host);
    for (const [x, y] of [[10, 10], [50, 10], [50, 50]] as const) t.down(at(x, y));
    t.move(at(11, 11));
    expect(t.preview()).toMatchObject({ kind: 'polygon', closable: true });
    t.down(at(11, 11));
    expect(doc.toResult()[0]).toMatchObject({ type: 'polygon', tool: 'outlines', label: 'square', geometry: { points: [[10, 10], [50, 10], [50, 50]] } });
    expect(history.depth).toBe(1);
    expect(t.busy).toBe(false);
  });
  it('closes with Enter, removes the last vertex with Backspace, cancels with Esc', () => {
    const { host, doc, notes } = makeHost();
    const t = new PolygonTool(host);
    t.down(at(10, 10));
    t.down(at(50, 10));
    expect(t.action('draw.finish')).toBe(true); // only 2 vertices: refused, still drawing
    expect(notes[0]).toMatch(/at least 3/);
    t.down(at(50, 50));
    t.down(at(70, 70));
    expect(t.action('selection.delete')).toBe(true);
    expect(t.vertices).toHaveLength(3);
    expect(t.action('draw.finish')).toBe(true);
    expect(doc.size).toBe(1);
    t.down(at(1, 1));
    t.down(at(5, 5));
    expect(t.action('draw.cancel')).toBe(true);
    expect(t.busy).toBe(false);
    expect(doc.size).toBe(1);
    expect(t.action('draw.cancel')).toBe(false); // nothing to cancel: the workspace deselects
  });
  it('keeps one vertex for a double-click', () => {
    const { host } = makeHost();
    const t = new PolygonTool(host);
    t.down(at(10, 10));
    t.down(at(10, 10, { clicks: 2 }));
    expect(t.vertices).toHaveLength(1);
  });
});

describe('SelectTool', () => {
  it('selects by hit-test and makes a whole drag ONE undo step', () => {
    const { host, doc, history } = makeHost([box('a', 10, 10, 20, 20)]);
    const t = new SelectTool(host);
    t.down(at(15, 15));
    expect(host.selection()).toBe('a');
    for (let i = 1; i <= 10; i++) t.move(at(15 + i, 15 + i));
    t.up(at(25, 25));
    expect(doc.get('a')).toMatchObject({ geometry: { x: 20, y: 20 } });
    expect(history.depth).toBe(1);
    history.undo();
    expect(doc.get('a')).toMatchObject({ geometry: { x: 10, y: 10 } });
    history.redo();
    expect(doc.get('a')).toMatchObject({ geometry: { x: 20, y: 20 } });
  });
  it('keeps a moved shape inside the image and deselects on empty space', () => {
    const { host, doc } = makeHost([box('a', 10, 10, 20, 20)]);
    const t = new SelectTool(host);
    t.down(at(15, 15));
    t.move(at(500, 500));
    t.up(at(500, 500));
    expect(doc.get('a')).toMatchObject({ geometry: { x: 80, y: 60 } });
    t.down(at(5, 5));
    t.up(at(5, 5));
    expect(host.selection()).toBeNull();
  });
  it('resizes a box by its corner handle, and a click without movement changes nothing', () => {
    const { host, doc, history } = makeHost([box('a', 10, 10, 20, 20)]);
    const t = new SelectTool(host);
    t.down(at(20, 20));
    t.up(at(20, 20));
    expect(history.depth).toBe(0);
    t.down(at(30, 30)); // bottom-right corner
    t.move(at(40, 35));
    t.up(at(40, 35));
    expect(doc.get('a')).toMatchObject({ geometry: { x: 10, y: 10, width: 30, height: 25 } });
    expect(history.depth).toBe(1);
  });
  it('does not edit a locked region', () => {
    const { host, doc, history } = makeHost([box('a', 10, 10, 20, 20)]);
    doc.setFlags('a', { locked: true });
    const t = new SelectTool(host);
    t.down(at(15, 15));
    t.move(at(30, 30));
    expect(host.selection()).toBe('a');
    expect(history.depth).toBe(0);
  });
  it('drags a polygon vertex, inserts one on double-click, deletes one with Alt+click', () => {
    const { host, doc, history } = makeHost([polygon('p', [[10, 10], [50, 10], [50, 50], [10, 50]])]);
    const t = new SelectTool(host);
    t.down(at(30, 30));
    t.up(at(30, 30));
    t.down(at(50, 50));
    t.move(at(60, 60));
    t.up(at(60, 60));
    expect(doc.get('p')).toMatchObject({ geometry: { points: [[10, 10], [50, 10], [60, 60], [10, 50]] } });
    t.down(at(30, 10, { clicks: 2 }));
    t.up(at(30, 10));
    expect(doc.get('p')).toMatchObject({ geometry: { points: [[10, 10], [30, 10], [50, 10], [60, 60], [10, 50]] } });
    t.down(at(30, 10, { alt: true }));
    expect(doc.get('p')).toMatchObject({ geometry: { points: [[10, 10], [50, 10], [60, 60], [10, 50]] } });
    expect(history.depth).toBe(3);
  });
});

describe('KeypointsTool', () => {
  it('places the keypoints in order and adds one instance', () => {
    const { host, doc, history } = makeHost();
    const t = new KeypointsTool(host);
    expect(t.nextName).toBe('nose');
    t.down(at(10, 10));
    expect(t.nextName).toBe('left_eye');
    expect(t.preview()).toMatchObject({ kind: 'keypoints', next: 'left_eye', skeleton: [[0, 1], [0, 2]] });
    t.down(at(20, 12));
    t.down(at(5, 12));
    expect(doc.toResult()[0]).toMatchObject({ type: 'keypoints', tool: 'pose', label: 'person', geometry: { points: [[10, 10, 2], [20, 12, 2], [5, 12, 2]] } });
    expect(history.depth).toBe(1);
    expect(host.selection()).toBe('n1');
  });
  it('skips a keypoint (v = 0), takes one back, and finishes early', () => {
    const { host, doc } = makeHost();
    const t = new KeypointsTool(host);
    t.action('keypoint.skip');
    t.down(at(30, 30));
    t.action('selection.delete');
    t.down(at(20, 12));
    expect(t.action('draw.finish')).toBe(true);
    expect(doc.toResult()[0]).toMatchObject({ geometry: { points: [[0, 0, 0], [20, 12, 2], [0, 0, 0]] } });
  });
});

describe('BrushTool', () => {
  const runsOf = (m: Mask) => decodeCounts(m.rle.counts as string) as number[];
  it('turns a stroke into one mask region: full-image COCO RLE plus bbox', () => {
    const { host, doc, history } = makeHost();
    const t = new BrushTool(host);
    t.down(at(20, 20));
    t.move(at(40, 20));
    t.up(at(40, 20));
    expect(history.depth).toBe(1);
    const r = doc.toResult()[0] as { type: string; label: string; geometry: Mask };
    expect(r).toMatchObject({ type: 'mask', tool: 'paint', label: 'blob' });
    expect(r.geometry.rle.size).toEqual([80, 100]);
    expect(runsOf(r.geometry).reduce((a, b) => a + b, 0)).toBe(8000);
    expect(r.geometry.bbox).toEqual([17, 17, 26, 6]);
    expect(maskContains(r.geometry, 30, 20)).toBe(true);
    expect(maskContains(r.geometry, 30, 26)).toBe(false);
    // A second stroke paints onto the selected mask: one more undo step, same region.
    t.down(at(30, 40));
    t.up(at(30, 40));
    expect(doc.size).toBe(1);
    expect(maskContains((doc.toResult()[0] as { geometry: Mask }).geometry, 30, 40)).toBe(true);
    expect(history.depth).toBe(2);
  });
  it('erases from the mask and removes it when empty', () => {
    const { host, doc, history } = makeHost();
    new BrushTool(host).down(at(20, 20));
    new BrushTool(host).up(at(20, 20)); // a fresh tool has no stroke: nothing happens
    const brush = new BrushTool(host);
    brush.down(at(20, 20));
    brush.move(at(30, 20));
    brush.up(at(30, 20));
    const eraser = new BrushTool(host, true);
    eraser.down(at(20, 20));
    eraser.up(at(20, 20));
    const g = (doc.toResult()[0] as { geometry: Mask }).geometry;
    expect(maskContains(g, 20, 20)).toBe(false);
    expect(maskContains(g, 30, 20)).toBe(true);
    eraser.down(at(15, 20));
    eraser.move(at(40, 20));
    eraser.up(at(40, 20));
    expect(doc.size).toBe(0);
    history.undo();
    expect(doc.size).toBe(1);
  });
  it('refuses to erase with nothing to erase', () => {
    const { host, notes } = makeHost();
    const eraser = new BrushTool(host, true);
    eraser.down(at(20, 20));
    expect(eraser.busy).toBe(false);
    expect(notes[0]).toMatch(/Select a mask/);
  });
});

describe('BrushTool with the mask worker (answers later)', () => {
  /** A port whose replies wait for `deliver()`, like a worker's. */
  function workerLike() {
    const core = new MaskPaintCore();
    const held: MaskReply[] = [];
    const port: MaskPort = { kind: 'worker', onReply: () => {}, post: (m) => { const r = core.handle(structuredClone(m)); if (r) held.push(structuredClone(r)); } };
    return { painter: new MaskPainter(port), deliver: () => { for (const r of held.splice(0)) port.onReply(r); } };
  }
  const geometryOf = (doc: AnnotationDocument) => (doc.toResult()[0] as { geometry: Mask }).geometry;

  it('commits the stroke as one step when the mask comes back, showing its pixels until then', () => {
    const { host, doc, history } = makeHost();
    const { painter, deliver } = workerLike();
    const t = new BrushTool(host, false, painter);
    t.down(at(20, 20));
    t.move(at(40, 20));
    deliver();
    expect(t.preview()).toMatchObject({ kind: 'mask', image: { rgba: expect.any(Uint8ClampedArray) } });
    t.move(at(50, 20));
    t.up(at(50, 20));
    expect(t.busy).toBe(false);
    expect(history.depth).toBe(0);
    deliver();
    expect(history.depth).toBe(1);
    expect(maskContains(geometryOf(doc), 48, 20)).toBe(true);
    expect(host.selection()).toBe('n1');
    expect(t.preview()).toMatchObject({ kind: 'mask', image: null });
  });

  it('an undo right after release undoes that stroke (finished on this thread first)', () => {
    const { host, doc, history } = makeHost();
    const { painter, deliver } = workerLike();
    const t = new BrushTool(host, false, painter);
    t.down(at(20, 20));
    t.up(at(30, 20));
    t.cancel(); // what Workspace.undo() does before history.undo()
    expect(doc.size).toBe(1);
    history.undo();
    expect(doc.size).toBe(0);
    deliver(); // the worker's late answer changes nothing
    expect(doc.size).toBe(0);
    history.redo();
    expect(maskContains(geometryOf(doc), 25, 20)).toBe(true);
  });

  it('a new stroke on a mask still finishing paints on its result', () => {
    const { host, doc, history } = makeHost();
    const { painter, deliver } = workerLike();
    const t = new BrushTool(host, false, painter);
    t.down(at(20, 20));
    t.up(at(20, 20));
    deliver();
    t.down(at(20, 40)); // the new mask is selected: paint on it
    t.up(at(20, 40));
    t.down(at(20, 60));
    t.up(at(20, 60));
    deliver();
    expect(doc.size).toBe(1);
    expect(history.depth).toBe(3);
    const g = geometryOf(doc);
    expect([maskContains(g, 20, 20), maskContains(g, 20, 40), maskContains(g, 20, 60)]).toEqual([true, true, true]);
  });
});

