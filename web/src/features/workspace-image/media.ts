/** Image checks before drawing: what the browser can decode and draw on a canvas. */

/** Chromium's canvas limits: 32,767 px per side and 268,435,456 pixels in all. */
export const MAX_SIDE = 32_767;
export const MAX_PIXELS = 268_435_456;

/** Why an image of `w` x `h` cannot be drawn, or null if it can. */
export function sizeProblem(w: number, h: number): string | null {
  if (!Number.isFinite(w) || !Number.isFinite(h) || w <= 0 || h <= 0) return 'the image has no size (it may be corrupt)';
  if (w > MAX_SIDE || h > MAX_SIDE) return `the image is ${w} × ${h} px; browsers cannot draw a side longer than ${MAX_SIDE} px`;
  if (w * h > MAX_PIXELS) return `the image is ${w} × ${h} px (${Math.round((w * h) / 1e6)} megapixels); browsers cannot draw more than ${MAX_PIXELS / 1e6} megapixels`;
  return null;
}

/** The probed size of a task (`meta.width/height`), if the server knows it. */
export function probedSize(meta: Record<string, unknown>): { width: number; height: number } | null {
  const w = meta['width'];
  const h = meta['height'];
  return typeof w === 'number' && typeof h === 'number' ? { width: w, height: h } : null;
}

/** Load and decode an image; rejects with a readable reason. */
export function loadImage(url: string): Promise<HTMLImageElement> {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.decoding = 'async';
    img.onload = () => {
      img
        .decode()
        .then(() => resolve(img))
        .catch(() => reject(new Error('the image could not be decoded (corrupt or unsupported format)')));
    };
    img.onerror = () => reject(new Error('the image could not be loaded (missing, not an image, or corrupt)'));
    img.src = url;
  });
}
