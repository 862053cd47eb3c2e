/**
 * The main-thread side of mask painting (UI.md: masks are painted in a Worker). The brush sends
 * stroke segments to the mask worker (mask.worker.ts) and gets back the stroke's pixels as an
 * ImageBitmap to draw on the overlay; at the end of a stroke, the mask's COCO RLE. Committed
 * masks are decoded and coloured there too, cached per mask object and colour.
 *
 * - Batching: at most one batch of segments is in flight per stroke; segments that arrive
 *   meanwhile (pointer moves, one per frame in Chromium) go out together with the next, so a
 *   slow worker gets bigger batches, never a queue, and the main thread only records points.
 * - A released stroke whose mask has not come back yet can be finished synchronously
 *   (`finishNow`: the segments are replayed on this thread), for an undo or a new stroke that
 *   must start from it; the worker's late answer is then ignored.
 * - Without Worker (Vitest in Node, old browsers) the same `MaskPaintCore` runs inline and
 *   answers synchronously; so it does from the moment the worker fails (it could not load, or a
 *   request threw), replaying the open strokes and pending renders.
 */

import type { Mask } from '../core';
import { MaskPaintCore, type BeginStroke, type MaskPixels, type MaskReply, type MaskRequest } from './mask-paint';

/** Mask pixels to draw at image position (x, y). */
export interface MaskImage {
  x: number;
  y: number;
  width: number;
  height: number;
  /** What to pass to drawImage; null for an empty mask or where there is no canvas (Node). */
  source: CanvasImageSource | null;
  /** The RGBA when there is no canvas to hold it (tests read it). */
  rgba: Uint8ClampedArray | null;
}

/** Where requests go and replies come from. */
export interface MaskPort {
  /** Where the core runs. */
  readonly kind: 'worker' | 'inline';
  post(message: MaskRequest): void;
  /** Set by the painter; replies arrive in request order (synchronously from `inlinePort`). */
  onReply: (reply: MaskReply) => void;
}

/** A port that runs the core on this thread. */
export function inlinePort(core = new MaskPaintCore()): MaskPort {
  const port: MaskPort = {
    kind: 'inline',
    onReply: () => {},
    post: (message) => {
      const reply = core.handle(message);
      if (reply) port.onReply(reply);
    },
  };
  return port;
}

/** A port over a Worker running mask.worker.ts. */
export function workerPort(worker: Worker): MaskPort {
  const port: MaskPort = { kind: 'worker', onReply: () => {}, post: (message) => worker.postMessage(message) };
  worker.onmessage = (e: MessageEvent<MaskReply>) => port.onReply(e.data);
  // A worker that fails to load (or dies) answers nothing: say so, and the painter goes inline.
  const failed = (message: string) => {
    worker.terminate();
    port.onReply({ op: 'failed', message });
  };
  worker.onerror = (e) => {
    e.preventDefault();
    failed(e.message || 'the mask worker failed');
  };
  worker.onmessageerror = () => failed('a message from the mask worker could not be read');
  return port;
}

/** The mask worker's port, or null where there are no module workers. */
export function createMaskWorker(): MaskPort | null {
  if (typeof Worker === 'undefined') return null;
  try {
    return workerPort(new Worker(new URL('./mask.worker.ts', import.meta.url), { type: 'module' }));
  } catch {
    return null;
  }
}

export type StrokeOptions = Omit<BeginStroke, 'op' | 'stroke'>;

/** A finished stroke: the new geometry (null: nothing left) and its pixels in the commit colour. */
export interface StrokeResult {
  mask: Mask | null;
  image: MaskImage | null;
}

interface StrokeState {
  begin: BeginStroke;
  /** Every segment of the stroke (for `finishNow`). */
  log: number[];
  /** Segments not sent yet. */
  pending: number[];
  last: [number, number] | null;
  inFlight: boolean;
  preview: MaskImage | null;
  /** `end` was called. */
  ended: boolean;
  done: ((result: StrokeResult) => void) | null;
}

const EMPTY: MaskImage = { x: 0, y: 0, width: 0, height: 0, source: null, rgba: null };

/** Draws RGBA into a canvas (OffscreenCanvas or <canvas>), or null where there is none. */
function canvasOf(p: MaskPixels & { rgba: Uint8ClampedArray<ArrayBuffer> }): CanvasImageSource | null {
  let ctx: OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D | null = null;
  let canvas: CanvasImageSource | null = null;
  if (typeof OffscreenCanvas !== 'undefined') {
    const c = new OffscreenCanvas(p.width, p.height);
    ctx = c.getContext('2d');
    canvas = c;
  } else if (typeof document !== 'undefined') {
    const c = document.createElement('canvas');
    c.width = p.width;
    c.height = p.height;
    ctx = c.getContext('2d');
    canvas = c;
  }
  if (!ctx) return null;
  ctx.putImageData(new ImageData(p.rgba, p.width, p.height), 0, 0);
  return canvas;
}

function toImage(p: MaskPixels | null): MaskImage | null {
  if (!p) return null;
  const base = { x: p.x, y: p.y, width: p.width, height: p.height };
  if (p.bitmap) return { ...base, source: p.bitmap, rgba: null };
  if (!p.rgba) return null;
  const source = canvasOf({ ...p, rgba: p.rgba });
  // The core keeps painting into its buffer: keep a copy only when no canvas took one.
  return { ...base, source, rgba: source ? null : p.rgba.slice() };
}

function release(image: MaskImage | null): void {
  if (typeof ImageBitmap !== 'undefined' && image?.source instanceof ImageBitmap) image.source.close();
}

/** Strokes and committed-mask pixels through one port (the mask worker, or inline). */
export class MaskPainter {
  private readonly strokes = new Map<number, StrokeState>();
  /** Pixels of committed masks by mask object and colour ('pending' while the worker works). */
  private readonly masks = new WeakMap<Mask, Map<string, MaskImage | 'pending'>>();
  /** The last pixels shown per region, drawn while its new mask is being rendered. */
  private readonly lastShown = new Map<string, MaskImage>();
  private readonly renders = new Map<number, { mask: Mask; color: string }>();
  private readonly listeners = new Set<(what: 'stroke' | 'mask') => void>();
  private seq = 0;
  private posting = false;

  constructor(private port: MaskPort) {
    port.onReply = (reply) => this.received(reply);
  }

  /** Whether the painting runs in the mask worker (else inline, on this thread). */
  get inWorker(): boolean {
    return this.port.kind === 'worker';
  }

  /** Called when new pixels arrived: 'stroke' (the overlay's preview) or 'mask' (committed masks). */
  subscribe(listener: (what: 'stroke' | 'mask') => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Forget the per-region fallbacks (a new task's workspace). */
  reset(): void {
    this.lastShown.clear();
  }

  /** Start a stroke; returns its id. */
  begin(options: StrokeOptions): number {
    const begin: BeginStroke = { op: 'begin', stroke: ++this.seq, ...options };
    this.strokes.set(begin.stroke, { begin, log: [], pending: [], last: null, inFlight: false, preview: null, ended: false, done: null });
    this.send(begin);
    return begin.stroke;
  }

  /** Extend a stroke to (x, y) with `radius` (its first point is a dab). */
  add(stroke: number, x: number, y: number, radius: number): void {
    const s = this.strokes.get(stroke);
    if (!s || s.ended) return;
    const [ax, ay] = s.last ?? [x, y];
    s.log.push(ax, ay, x, y, radius);
    s.pending.push(ax, ay, x, y, radius);
    s.last = [x, y];
    if (!s.inFlight) this.flush(s);
  }

  /** The stroke's pixels so far (null until the first batch came back). */
  preview(stroke: number): MaskImage | null {
    return this.strokes.get(stroke)?.preview ?? null;
  }

  /** Finish a stroke; `done` gets the result (at once when inline, else when the worker answers). */
  end(stroke: number, done: (result: StrokeResult) => void): void {
    const s = this.strokes.get(stroke);
    if (!s || s.ended) return;
    s.ended = true;
    s.done = done;
    if (s.pending.length > 0) this.flush(s);
    this.send({ op: 'end', stroke });
  }

  /**
   * The result of an ended stroke now, replaying its segments on this thread if the worker has
   * not answered yet (its answer is then ignored and `done` is not called). Null if unknown.
   */
  finishNow(stroke: number): StrokeResult | null {
    const s = this.strokes.get(stroke);
    if (!s || !s.ended) return null;
    this.drop(stroke);
    const core = new MaskPaintCore();
    core.handle(s.begin);
    const painted = core.handle({ op: 'paint', stroke, segments: s.log });
    const reply = core.handle({ op: 'end', stroke });
    if (reply?.op !== 'ended') return null;
    const pixels = reply.pixels ?? (reply.mask && painted?.op === 'painted' ? painted.pixels : null);
    return this.result(reply.mask, pixels, s.begin.commitColor);
  }

  /** Drop a stroke without a result. */
  abort(stroke: number): void {
    if (!this.strokes.has(stroke)) return;
    this.drop(stroke);
    this.send({ op: 'abort', stroke });
  }

  /**
   * The pixels of a committed mask in `color`: cached, or requested now (then the region's last
   * pixels, if `regionId` is given, stand in until they arrive and 'mask' is announced).
   */
  image(mask: Mask, color: string, regionId?: string): MaskImage | null {
    let byColor = this.masks.get(mask);
    if (!byColor) {
      byColor = new Map();
      this.masks.set(mask, byColor);
    }
    if (!byColor.has(color)) {
      byColor.set(color, 'pending');
      const key = ++this.seq;
      this.renders.set(key, { mask, color });
      this.send({ op: 'render', key, mask, color });
    }
    const hit = byColor.get(color);
    if (hit && hit !== 'pending') {
      if (regionId !== undefined) this.lastShown.set(regionId, hit);
      return hit;
    }
    return regionId === undefined ? null : (this.lastShown.get(regionId) ?? null);
  }

  private send(message: MaskRequest): void {
    this.posting = true;
    try {
      this.port.post(message);
    } finally {
      this.posting = false;
    }
  }

  private flush(s: StrokeState): void {
    const segments = s.pending;
    s.pending = [];
    s.inFlight = true;
    this.send({ op: 'paint', stroke: s.begin.stroke, segments });
  }

  private received(reply: MaskReply): void {
    switch (reply.op) {
      case 'painted': {
        const s = this.strokes.get(reply.stroke);
        if (!s) return;
        s.inFlight = false;
        release(s.preview);
        s.preview = toImage(reply.pixels);
        if (s.pending.length > 0 && !s.ended) this.flush(s);
        this.emit('stroke');
        return;
      }
      case 'ended': {
        const s = this.strokes.get(reply.stroke);
        if (!s) return; // finished synchronously already
        // Same colour: the last preview (it holds every segment) is the new mask's pixels.
        const keep = reply.mask !== null && reply.pixels === null ? s.preview : null;
        if (keep) s.preview = null;
        this.drop(reply.stroke);
        const result = this.result(reply.mask, reply.pixels, s.begin.commitColor, keep);
        s.done?.(result);
        this.emit('stroke');
        return;
      }
      case 'rendered': {
        const r = this.renders.get(reply.key);
        if (!r) return;
        this.renders.delete(reply.key);
        this.masks.get(r.mask)?.set(r.color, toImage(reply.pixels) ?? EMPTY);
        // An inline render is answered inside `image`, which returns it: nothing to announce.
        if (!this.posting) this.emit('mask');
        return;
      }
      case 'failed':
        this.goInline(reply.message);
    }
  }

  /** Carry on without the worker: redo its unfinished work on this thread. */
  private goInline(message: string): void {
    if (this.port.kind === 'inline') return;
    console.warn(`mask painting falls back to the main thread: ${message}`);
    this.port = inlinePort();
    this.port.onReply = (reply) => this.received(reply);
    for (const s of [...this.strokes.values()]) {
      s.inFlight = false;
      s.pending = [];
      this.send(s.begin);
      if (s.log.length > 0) {
        s.inFlight = true;
        this.send({ op: 'paint', stroke: s.begin.stroke, segments: s.log });
      }
      if (s.ended) this.send({ op: 'end', stroke: s.begin.stroke });
    }
    for (const [key, r] of [...this.renders]) this.send({ op: 'render', key, mask: r.mask, color: r.color });
    this.emit('mask');
  }

  /** A stroke's result; its pixels (or `image`) become the cached pixels of the new mask. */
  private result(mask: Mask | null, pixels: MaskPixels | null, color: string, image = toImage(pixels)): StrokeResult {
    if (mask) this.masks.set(mask, new Map([[color, image ?? EMPTY]]));
    return { mask, image };
  }

  private drop(stroke: number): void {
    release(this.strokes.get(stroke)?.preview ?? null);
    this.strokes.delete(stroke);
  }

  private emit(what: 'stroke' | 'mask'): void {
    for (const listener of this.listeners) listener(what);
  }
}

let shared: MaskPainter | null = null;

/** The page's painter: one mask worker for every workspace (inline where there are no workers). */
export function sharedMaskPainter(): MaskPainter {
  shared ??= new MaskPainter(createMaskWorker() ?? inlinePort());
  return shared;
}
