import { describe, expect, it } from 'vitest';
import { MaskBitmap, bitmapToMask, maskContains, type Mask } from '../core';
import { MaskPaintCore, type MaskReply, type MaskRequest } from './mask-paint';
import { MaskPainter, inlinePort, type MaskImage, type MaskPort } from './mask-painter';

const W = 100;
const H = 80;

/** A worker stand-in: requests are handled at once, replies held until `deliver()`. */
function asyncPort() {
  const core = new MaskPaintCore();
  const held: MaskReply[] = [];
  const sent: MaskRequest[] = [];
  const port: MaskPort & { deliver(n?: number): void; held: MaskReply[]; sent: MaskRequest[] } = {
    kind: 'worker',
    onReply: () => {},
    held,
    sent,
    post: (m) => {
      sent.push(structuredClone(m));
      const r = core.handle(structuredClone(m));
      // The worker snapshots pixels into an ImageBitmap before the next request.
      if (r) held.push(structuredClone(r));
    },
    deliver: (n = held.length) => {
      for (const r of held.splice(0, n)) port.onReply(r);
    },
  };
  return port;
}

/** Bounds [x, y, w, h] of the set pixels of an image (its crop may have transparent slack). */
function setBox(image: MaskImage | null): number[] | null {
  if (!image?.rgba) return null;
  const words = new Uint32Array(image.rgba.buffer);
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -1;
  let y1 = -1;
  words.forEach((v, i) => {
    if (!v) return;
    const x = image.x + (i % image.width);
    const y = image.y + Math.floor(i / image.width);
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x);
    y1 = Math.max(y1, y);
  });
  return x1 < 0 ? null : [x0, y0, x1 - x0 + 1, y1 - y0 + 1];
}

const options = { base: null, erase: false, width: W, height: H, color: '#0000ff', commitColor: '#0000ff' };
const paints = (sent: MaskRequest[]) => sent.filter((m) => m.op === 'paint').map((m) => (m.op === 'paint' ? m.segments.length / 5 : 0));

describe('MaskPainter', () => {
  it('keeps one batch in flight and sends the points that came meanwhile together', () => {
    const port = asyncPort();
    const painter = new MaskPainter(port);
    const events: string[] = [];
    painter.subscribe((what) => events.push(what));
    const id = painter.begin(options);
    painter.add(id, 10, 10, 3); // sent at once
    for (let x = 12; x <= 30; x += 2) painter.add(id, x, 10, 3); // waiting for the first answer
    expect(paints(port.sent)).toEqual([1]);
    expect(painter.preview(id)).toBeNull();
    port.deliver();
    expect(paints(port.sent)).toEqual([1, 10]);
    expect(events).toEqual(['stroke']);
    expect(setBox(painter.preview(id))).toEqual([7, 7, 6, 6]);
    port.deliver();
    expect(setBox(painter.preview(id))).toEqual([7, 7, 26, 6]);
  });

  it('ends a stroke when the worker answers, or at once with finishNow (the late answer is ignored)', () => {
    const port = asyncPort();
    const painter = new MaskPainter(port);
    const want = (() => {
      const bm = new MaskBitmap();
      bm.disc(20, 20, 4, 1, W, H);
      bm.line(20, 20, 60, 30, 4, 1, W, H);
      return bitmapToMask(bm, W, H);
    })();
    const results: (Mask | null)[] = [];
    const a = painter.begin(options);
    painter.add(a, 20, 20, 4);
    painter.add(a, 60, 30, 4);
    painter.end(a, (r) => results.push(r.mask));
    expect(results).toEqual([]);
    port.deliver();
    expect(results).toEqual([want]);
    // The stroke's last preview is the new mask's pixels: no render request for it.
    const sent = port.sent.length;
    expect(setBox(painter.image(results[0] as Mask, '#0000ff'))).toEqual([16, 16, 48, 18]);
    expect(port.sent).toHaveLength(sent);

    const b = painter.begin(options);
    painter.add(b, 20, 20, 4);
    painter.add(b, 60, 30, 4);
    painter.end(b, (r) => results.push(r.mask));
    const now = painter.finishNow(b);
    expect(now?.mask).toEqual(want);
    port.deliver();
    expect(results).toHaveLength(1);
    expect(painter.finishNow(b)).toBeNull();
    // The result's pixels are the new mask's pixels: no render request for it.
    const mask = now?.mask as Mask;
    const sentBefore = port.sent.length;
    expect(painter.image(mask, '#0000ff')).toBe(now?.image);
    expect(port.sent).toHaveLength(sentBefore);
  });

  it('renders committed masks once per mask and colour, showing the region\'s last pixels meanwhile', () => {
    const port = asyncPort();
    const painter = new MaskPainter(port);
    const events: string[] = [];
    painter.subscribe((what) => events.push(what));
    const bm = new MaskBitmap();
    bm.disc(30, 30, 5, 1, W, H);
    const m1 = bitmapToMask(bm, W, H) as Mask;
    bm.disc(50, 30, 5, 1, W, H);
    const m2 = bitmapToMask(bm, W, H) as Mask;
    expect(painter.image(m1, '#ff0000', 'r1')).toBeNull();
    expect(painter.image(m1, '#ff0000', 'r1')).toBeNull(); // requested once
    expect(port.sent.filter((m) => m.op === 'render')).toHaveLength(1);
    port.deliver();
    expect(events).toEqual(['mask']);
    const first = painter.image(m1, '#ff0000', 'r1');
    expect(first).toMatchObject({ x: 25, y: 25, width: 10, height: 10 });
    // The region's mask changed: its old pixels stand in until the new ones come.
    expect(painter.image(m2, '#ff0000', 'r1')).toBe(first);
    port.deliver();
    expect(painter.image(m2, '#ff0000', 'r1')).toMatchObject({ x: 25, width: 30 });
    painter.reset();
    expect(painter.image(m2, '#00ff00', 'r1')).toBeNull();
  });

  it('answers synchronously inline (no Worker), painting the same mask', () => {
    const painter = new MaskPainter(inlinePort());
    let got: Mask | null = null;
    const id = painter.begin(options);
    painter.add(id, 20, 20, 4);
    expect(setBox(painter.preview(id))).toEqual([16, 16, 8, 8]);
    painter.end(id, (r) => (got = r.mask));
    expect(maskContains(got as unknown as Mask, 20, 20)).toBe(true);
    const abort = painter.begin(options);
    painter.abort(abort);
    painter.add(abort, 1, 1, 1);
    expect(painter.preview(abort)).toBeNull();
  });
});

describe('MaskPainter when the worker fails', () => {
  it('carries on inline: open strokes and pending renders are redone on this thread', () => {
    const port = asyncPort();
    const painter = new MaskPainter(port);
    const results: (Mask | null)[] = [];
    const id = painter.begin(options);
    painter.add(id, 20, 20, 4);
    painter.add(id, 60, 30, 4);
    painter.end(id, (r) => results.push(r.mask));
    const bm = new MaskBitmap();
    bm.disc(30, 30, 5, 1, W, H);
    const committed = bitmapToMask(bm, W, H) as Mask;
    expect(painter.image(committed, '#ff0000')).toBeNull();
    // The worker dies with the answers still unsent.
    port.held.length = 0;
    port.onReply({ op: 'failed', message: 'boom' });
    expect(painter.inWorker).toBe(false);
    expect(results).toHaveLength(1);
    expect(maskContains(results[0] as Mask, 60, 30)).toBe(true);
    expect(painter.image(committed, '#ff0000')).toMatchObject({ width: 10, height: 10 });
    // New strokes paint inline, synchronously.
    const next = painter.begin(options);
    painter.add(next, 5, 5, 2);
    expect(painter.preview(next)).not.toBeNull();
  });
});
