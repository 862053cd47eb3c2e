/**
 * The mask worker: runs `MaskPaintCore` off the main thread (brush stamping, RLE decode/encode,
 * RGBA) and hands pixels back as transferred ImageBitmaps. Requests are handled one at a time, in
 * order, each one's bitmap made before the next request may touch the stroke's pixels again. A
 * request that throws is reported as `failed`; the page then paints on its own thread.
 */

import { MaskPaintCore, type MaskReply, type MaskRequest } from './mask-paint';

const core = new MaskPaintCore();
const scope = self as unknown as {
  onmessage: ((e: MessageEvent<MaskRequest>) => void) | null;
  postMessage(message: MaskReply, transfer: Transferable[]): void;
};

async function handle(req: MaskRequest): Promise<void> {
  const reply = core.handle(req);
  if (!reply) return;
  const p = reply.op === 'failed' ? null : reply.pixels;
  if (reply.op === 'failed' || !p?.rgba) {
    scope.postMessage(reply, []);
    return;
  }
  const bitmap = await createImageBitmap(new ImageData(p.rgba, p.width, p.height));
  scope.postMessage({ ...reply, pixels: { x: p.x, y: p.y, width: p.width, height: p.height, rgba: null, bitmap } }, [bitmap]);
}

let queue: Promise<void> = Promise.resolve();
scope.onmessage = (e) => {
  queue = queue
    .then(() => handle(e.data))
    .catch((err: unknown) => {
      console.error('mask worker:', err);
      scope.postMessage({ op: 'failed', message: String(err) }, []);
    });
};
