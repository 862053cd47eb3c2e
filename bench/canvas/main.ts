/**
 * Canvas benchmark page: the image view's own drawing code (web/src/features/workspace-image/stage.ts
 * over web/src/engine + web/src/core, nothing copied) on a synthetic 3840x2160 image with N random
 * boxes and 500 polygons. `run.mjs` drives it through `window.bench` in headless Chromium.
 *
 * Frames are driven like the screen drives them: a view change / pointer move marks layers dirty
 * and ONE requestAnimationFrame callback draws them. Per frame we record the JS time of that work
 * (performance.now() around the mutation + draw) and the rAF-to-rAF interval, which also holds
 * the canvas rasterization Chromium does after the callback (software, no GPU). `check` compares
 * the shapes raster with a one-pass render in pixels; `paint` times brush strokes (mask worker).
 */

import { isShapeRegion, type Region } from '../../web/src/core';
import { ShapeRenderer, defaultColor } from '../../web/src/engine';
import { AnnotationSession } from '../../web/src/features/annotate/session';
import type { WorkspaceSchema } from '../../web/src/features/annotate/schema';
import { ImageWorkspace as Workspace } from '../../web/src/features/workspace-image/controller';
import { LAYERS, Stage, type Layer, type StageCanvases } from '../../web/src/features/workspace-image/stage';

const W = 3840;
const H = 2160;
const BOX_LABELS = ['car', 'person', 'bike', 'truck', 'dog'];
const POLY_LABELS = ['road', 'building', 'tree'];

function entry(tool: string, label: string) {
  return { tool, label, color: defaultColor(label), keypoints: [], skeleton: [] as [string, string][] };
}

const schema: WorkspaceSchema = {
  media: 'image',
  palettes: { bbox: BOX_LABELS.map((l) => entry('objects', l)), polygon: POLY_LABELS.map((l) => entry('outlines', l)), keypoints: [], mask: [entry('seg', 'road')], span: [], relation: [] },
  answers: [],
  colorOf: (_tool, label) => defaultColor(label),
};

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function regions(nBoxes: number, nPolygons: number, seed = 42): Region[] {
  const r = rng(seed);
  const out: Region[] = [];
  for (let i = 0; i < nBoxes; i++) {
    const w = 12 + r() * 110;
    const h = 12 + r() * 110;
    out.push({
      id: `b${i}`, tool: 'objects', type: 'bbox', label: BOX_LABELS[i % BOX_LABELS.length] as string,
      geometry: { x: r() * (W - w), y: r() * (H - h), width: w, height: h, rotation: 0 }, attributes: {}, origin: 'human',
    });
  }
  for (let i = 0; i < nPolygons; i++) {
    const cx = 100 + r() * (W - 200);
    const cy = 100 + r() * (H - 200);
    const rad = 20 + r() * 70;
    const n = 6 + Math.floor(r() * 10);
    const points: [number, number][] = [];
    for (let k = 0; k < n; k++) {
      const a = (k / n) * Math.PI * 2;
      const rr = rad * (0.6 + 0.4 * r());
      points.push([cx + Math.cos(a) * rr, cy + Math.sin(a) * rr]);
    }
    out.push({ id: `p${i}`, tool: 'outlines', type: 'polygon', label: POLY_LABELS[i % POLY_LABELS.length] as string, geometry: { points }, attributes: {}, origin: 'human' });
  }
  return out;
}

let imagePromise: Promise<HTMLImageElement> | null = null;
/** A 3840x2160 PNG (gradient + texture) decoded into an <img>, like a task image. */
function syntheticImage(): Promise<HTMLImageElement> {
  imagePromise ??= (async () => {
    const c = document.createElement('canvas');
    c.width = W;
    c.height = H;
    const g = c.getContext('2d') as CanvasRenderingContext2D;
    const grad = g.createLinearGradient(0, 0, W, H);
    grad.addColorStop(0, '#203040');
    grad.addColorStop(0.5, '#6b8e23');
    grad.addColorStop(1, '#d2b48c');
    g.fillStyle = grad;
    g.fillRect(0, 0, W, H);
    const r = rng(7);
    for (let i = 0; i < 3000; i++) {
      g.fillStyle = `hsla(${Math.floor(r() * 360)}, 40%, 50%, 0.25)`;
      g.fillRect(r() * W, r() * H, 4 + r() * 60, 4 + r() * 60);
    }
    const blob = await new Promise<Blob>((res, rej) => c.toBlob((b) => (b ? res(b) : rej(new Error('toBlob'))), 'image/png'));
    const img = new Image();
    img.src = URL.createObjectURL(blob);
    await img.decode();
    return img;
  })();
  return imagePromise;
}

const raf = () => new Promise<number>((res) => requestAnimationFrame(res));
const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

interface Series {
  js: number[];
  interval: number[];
}

let ws: Workspace | null = null;
let stage: Stage | null = null;
let canvases: StageCanvases | null = null;
let img: HTMLImageElement | null = null;
const dpr = () => window.devicePixelRatio || 1;

function makeCanvases(): StageCanvases {
  const el = document.getElementById('stage') as HTMLDivElement;
  el.replaceChildren();
  const out = {} as StageCanvases;
  for (const l of LAYERS) {
    const c = document.createElement('canvas');
    c.width = Math.round(el.clientWidth * dpr());
    c.height = Math.round(el.clientHeight * dpr());
    el.append(c);
    out[l] = c;
  }
  return out;
}

function draw(layers: readonly Layer[]): number | null {
  return (stage as Stage).draw(new Set(layers), canvases as StageCanvases, ws as Workspace, img as HTMLImageElement, dpr());
}

/** `frames` rAF callbacks, each running `step(i)` (mutate) and drawing the layers it returns. */
async function frames(count: number, step: (i: number) => readonly Layer[]): Promise<Series> {
  const js: number[] = [];
  const interval: number[] = [];
  let last = await raf();
  for (let i = 0; i < count; i++) {
    const ts = await raf();
    interval.push(ts - last);
    last = ts;
    const t = performance.now();
    draw(step(i));
    js.push(performance.now() - t);
  }
  // The last frame's work shows up in the interval to the next frame.
  interval.push((await raf()) - last);
  interval.shift();
  return { js, interval };
}

/**
 * Wait for the settle delay, then draw one frame at a time (as the screen does: a frame asks for
 * the next while the crisp raster is drawn in slices) until the shapes are crisp. `ms` is the
 * largest JS time of one of those frames, `slices` all of them, `toCrispMs` the wall time from
 * the first slice to the crisp frame.
 */
async function settle(): Promise<{ ms: number; slices: number[]; toCrispMs: number; wasSettling: boolean }> {
  const layer = (stage as Stage).layer;
  const wasSettling = layer?.settling ?? false;
  await sleep((layer?.options.settleMs ?? 0) + 5);
  const slices: number[] = [];
  const start = performance.now();
  do {
    await raf();
    const t = performance.now();
    draw(['shapes', 'overlay']);
    slices.push(performance.now() - t);
  } while (layer?.settling && slices.length < 2000);
  return { ms: Math.max(...slices), slices, toCrispMs: performance.now() - start, wasSettling };
}

const bench = {
  async setup(nBoxes: number, nPolygons: number, cache: boolean) {
    img = await syntheticImage();
    ws?.dispose();
    stage?.dispose();
    const list = regions(nBoxes, nPolygons);
    await raf();
    const t0 = performance.now();
    canvases = makeCanvases();
    ws = new Workspace(new AnnotationSession(schema, list), W, H);
    stage = new Stage(new ShapeRenderer({ colorOf: (r) => (ws as Workspace).colorOf(r) }), { cache });
    stage.attach(ws);
    const el = document.getElementById('stage') as HTMLDivElement;
    ws.viewport.fit(W, H, el.clientWidth, el.clientHeight, 16);
    const tBuilt = performance.now();
    draw(LAYERS);
    const tDrawn = performance.now();
    await raf();
    await raf();
    const tShown = performance.now();
    return { buildMs: tBuilt - t0, firstDrawJsMs: tDrawn - tBuilt, firstRenderMs: tShown - t0, scale: ws.viewport.scale };
  },

  /** Pan 60 frames at the fit view (every shape on screen): 40 right/down, 20 back. */
  async pan(count = 60) {
    const v = (ws as Workspace).viewport;
    const s = await frames(count, (i) => {
      const d = i < (count * 2) / 3 ? 7 : -7;
      v.panBy(d, d * 0.5);
      return LAYERS;
    });
    return { ...s, settle: await settle() };
  },

  /** Zoom 60 frames about a point near the centre: 40 frames in by 3 % a frame, 20 back out. */
  async zoom(count = 60) {
    const v = (ws as Workspace).viewport;
    const s = await frames(count, (i) => {
      v.zoomAt([600, 340], i < (count * 2) / 3 ? 1.03 : 1 / 1.03);
      return LAYERS;
    });
    return { ...s, settle: await settle() };
  },

  /** Drag one box with the select tool for 60 frames (pointer events in image pixels). */
  async drag(count = 60) {
    const w = ws as Workspace;
    w.setTool('select');
    // The topmost box under a point near the centre.
    const centre: [number, number] = [W / 2, H / 2];
    const id = w.index.search({ minX: centre[0] - 200, minY: centre[1] - 200, maxX: centre[0] + 200, maxY: centre[1] + 200 }).reverse().find((x) => x.startsWith('b'));
    const r = id ? w.doc.get(id) : undefined;
    if (!r || !isShapeRegion(r) || r.type !== 'bbox') throw new Error('no box near the centre');
    const g = r.geometry;
    const start: [number, number] = [g.x + g.width / 2, g.y + g.height / 2];
    const pointer = (p: [number, number]) => ({ point: p, button: 0, shift: false, alt: false, clicks: 1 });
    await raf();
    let t = performance.now();
    w.activeTool.down(pointer(start));
    draw(['shapes', 'overlay']);
    const downMs = performance.now() - t;
    const s = await frames(count, (i) => {
      w.activeTool.move(pointer([start[0] + (i + 1) * 6, start[1] + (i + 1) * 3]));
      // The document change marks extras, shapes and overlay dirty; the move marks the overlay.
      return ['extras', 'shapes', 'overlay'];
    });
    await raf();
    t = performance.now();
    w.activeTool.up(pointer(start));
    draw(['shapes', 'overlay']);
    const upMs = performance.now() - t;
    // The select tool drags the topmost region under the pointer (maybe a polygon over the box).
    const dragged = w.selection();
    return { ...s, downMs, upMs, dragged, moved: dragged === r.id && r.type === 'bbox' ? ((w.doc.get(r.id) as typeof r).geometry.x - g.x) : null, undoSteps: w.history.canUndo };
  },

  /**
   * Pixel check in Chromium: the raster on screen against a one-pass render of the same view
   * (same size, pixel ratio, score threshold, left-out region) into a fresh OffscreenCanvas.
   * Differences are counted on premultiplied RGBA (0-255). A missing or extra shape shows as 30+
   * over its whole fill or outline; Skia's antialiasing of an edge pixel also varies with the clip
   * and the path's other contours (it picks its scan converter by path complexity), by up to ~170
   * on a few diagonal (polygon) edge pixels — the same full path merely clipped to tiles does that.
   */
  check(): { pixels: number; differ: number; maxDiff: number; over16: number; liveId: string | null } | null {
    const layer = (stage as Stage).layer;
    const info = layer && 'rasterInfo' in layer ? layer.rasterInfo : null;
    if (!info) return null;
    const read = (src: CanvasImageSource) => {
      const c = new OffscreenCanvas(info.width, info.height);
      const g = c.getContext('2d') as OffscreenCanvasRenderingContext2D;
      g.drawImage(src, 0, 0);
      return g.getImageData(0, 0, info.width, info.height).data;
    };
    const a = read(info.image);
    const ref = new OffscreenCanvas(info.width, info.height);
    const w = ws as Workspace;
    (stage as Stage).renderer.render(ref.getContext('2d') as OffscreenCanvasRenderingContext2D, w.doc, w.index, info.view, {
      minScore: info.minScore, pixelRatio: info.pixelRatio, selectedId: null, excludeId: info.liveId,
    });
    const b = read(ref);
    let differ = 0;
    let over16 = 0;
    let maxDiff = 0;
    for (let i = 0; i < a.length; i += 4) {
      let d = Math.abs((a[i + 3] as number) - (b[i + 3] as number));
      for (let k = 0; k < 3; k++) d = Math.max(d, Math.abs(((a[i + k] as number) * (a[i + 3] as number) - (b[i + k] as number) * (b[i + 3] as number)) / 255));
      if (d >= 1) differ++;
      if (d > 16) over16++;
      maxDiff = Math.max(maxDiff, d);
    }
    return { pixels: a.length / 4, differ, maxDiff: Math.round(maxDiff), over16, liveId: info.liveId };
  },

  /** A drag's first move, then the pixel check of the raster with the box left out. */
  async checkDrag() {
    const w = ws as Workspace;
    w.setTool('select');
    const id = w.index.search({ minX: W / 2 - 200, minY: H / 2 - 200, maxX: W / 2 + 200, maxY: H / 2 + 200 }).reverse().find((x) => x.startsWith('b'));
    const r = id ? w.doc.get(id) : undefined;
    if (!r || !isShapeRegion(r) || r.type !== 'bbox') throw new Error('no box near the centre');
    const p: [number, number] = [r.geometry.x + r.geometry.width / 2, r.geometry.y + r.geometry.height / 2];
    const pointer = (q: [number, number]) => ({ point: q, button: 0, shift: false, alt: false, clicks: 1 });
    w.activeTool.down(pointer(p));
    draw(['shapes', 'overlay']);
    w.activeTool.move(pointer([p[0] + 40, p[1] + 20]));
    draw(['extras', 'shapes', 'overlay']);
    const during = bench.check();
    w.activeTool.up(pointer([p[0] + 40, p[1] + 20]));
    draw(['shapes', 'overlay']);
    return { during, after: bench.check() };
  },

  /**
   * Mask painting on an empty workspace: two brush strokes (radius 40 image px) of `count` moves
   * each, one frame per move (the move + the overlay draw, as the screen does), the second one
   * over the mask the first made. Per stroke: JS of pointer down, of each move frame, of pointer
   * up; ms from pointer up until the document has the mask; JS of the next full frame (the extras
   * layer draws the new mask).
   */
  async paint(count = 60) {
    img = await syntheticImage();
    ws?.dispose();
    stage?.dispose();
    canvases = makeCanvases();
    const w = new Workspace(new AnnotationSession(schema), W, H);
    ws = w;
    stage = new Stage(new ShapeRenderer({ colorOf: (r) => w.colorOf(r) }));
    stage.attach(w);
    const el = document.getElementById('stage') as HTMLDivElement;
    w.viewport.fit(W, H, el.clientWidth, el.clientHeight, 16);
    draw(LAYERS);
    w.setTool('brush');
    w.brush = 80;
    const pointer = (q: [number, number]) => ({ point: q, button: 0, shift: false, alt: false, clicks: 1 });
    let changedAt = 0;
    w.doc.subscribe(() => (changedAt = performance.now()));
    const strokes = [];
    for (const [y0, amp] of [[700, 500], [1000, 600]] as const) {
      const at = (i: number): [number, number] => [300 + (i / count) * 3200, y0 + Math.sin(i / 6) * amp];
      await raf();
      let t = performance.now();
      w.activeTool.down(pointer(at(0)));
      draw(['overlay']);
      const downMs = performance.now() - t;
      const s = await frames(count, (i) => {
        w.activeTool.move(pointer(at(i + 1)));
        return ['overlay'];
      });
      await raf();
      const before = w.history.depth;
      t = performance.now();
      w.activeTool.up(pointer(at(count)));
      draw(['overlay']);
      const upMs = performance.now() - t;
      const released = performance.now();
      let waited = 0;
      while (w.history.depth === before && waited++ < 600) await raf();
      const commitMs = changedAt - released;
      await raf();
      t = performance.now();
      draw(LAYERS);
      const nextFrameMs = performance.now() - t;
      strokes.push({ downMs, move: s, upMs, commitMs, nextFrameMs });
    }
    const r = [...w.doc.regions.values()][0];
    // (The code before the mask worker has no painter: it painted on this thread.)
    const painter = (stage as unknown as { painter?: { inWorker: boolean } }).painter;
    const worker = painter?.inWorker ?? false;
    return { strokes, bbox: r && isShapeRegion(r) && r.type === 'mask' ? r.geometry.bbox : null, worker };
  },

  heap(): number | null {
    const m = (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory;
    return m ? m.usedJSHeapSize : null;
  },
};

(window as unknown as { bench: typeof bench }).bench = bench;
document.getElementById('log')!.textContent = 'ready';
