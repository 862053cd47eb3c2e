/**
 * A task imported by URL has no image size until the workspace loads it: opening it records
 * the size on the server (`PUT /tasks/{id}/media-size`), and from then on a box past the
 * image's edge is refused, as on an uploaded image. The image comes from a local HTTP server
 * (no internet).
 */

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { AVAILABLE } from './browser';
import { createProject, importTasks, it, login, openAnnotate, openTaskId } from './helpers';
import { makePng } from './png';

const SCHEMA = 'media: image\ntools:\n  - name: objects\n    type: bbox\n    labels: [thing]\n';

let images: Server;
let imageUrl = '';

beforeAll(async () => {
  const png = makePng(160, 120, [40, 120, 200]);
  images = createServer((req, res) => {
    if (req.url !== '/photo.png') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length }).end(png);
  });
  await new Promise<void>((ok) => images.listen(0, '127.0.0.1', ok));
  imageUrl = `http://127.0.0.1:${(images.address() as AddressInfo).port}/photo.png`;
});

afterAll(() => new Promise<void>((ok) => images.close(() => ok())));

describe.skipIf(!AVAILABLE)('the size of an image imported by URL', () => {
  it('is recorded when the workspace opens the task, and bounds its boxes', async ({ server, api, page }) => {
    const pid = await createProject(api, 'By URL', SCHEMA);
    await importTasks(api, pid, [{ image: imageUrl }]);
    const listed = await api<{ items: { id: number; meta: Record<string, unknown> }[] }>('GET', `/api/v1/projects/${pid}/tasks`);
    expect(listed.json.items[0]?.meta).toEqual({});

    await login(page, server.url, server.email, server.password);
    await openAnnotate(page, server.url, pid);
    const taskId = await openTaskId(page);
    await expect
      .poll(async () => (await api<{ meta: Record<string, unknown> }>('GET', `/api/v1/tasks/${taskId}`)).json.meta)
      .toEqual({ width: 160, height: 120, size_source: 'client' });

    const region = (x: number) => ({ id: 'b1', tool: 'objects', type: 'bbox', label: 'thing', geometry: { x, y: 10, width: 50, height: 20 } });
    const outside = await api<{ message: string }>('POST', `/api/v1/tasks/${taskId}/annotations`, { id: 'out', result: [region(140)] });
    expect(outside.status).toBe(422);
    expect(outside.json.message).toContain('box extends outside the image (x + width = 190.0 > image width 160)');
    const inside = await api('POST', `/api/v1/tasks/${taskId}/annotations`, { id: 'in', result: [region(100)] });
    expect(inside.status, JSON.stringify(inside.json)).toBe(201);
  });
});
