/**
 * Browser test of the image annotation workspace: the built app (web/dist) served by a real
 * accord-server with the demo, driven in Chromium. Draws with the mouse, undoes and redoes,
 * reloads mid-task (draft restored), submits with Ctrl+Enter and checks the stored annotation in
 * image pixels through the API; then a task whose image 404s shows the bad-media message.
 */

import type { Page } from 'playwright-core';
import { describe, expect } from 'vitest';
import { defaultColor } from '../src/engine/renderer';
import { AVAILABLE, shot } from './browser';
import { createProject, drag, importTasks, it, login, objectCount, projectNamed, stageDrawn, stageTransform } from './helpers';

const taskTitle = (page: Page) => page.getByText(/^Task #\d+$/).textContent();

describe.skipIf(!AVAILABLE)('image annotation workspace', () => {
  let projectId = 0;

  it('logs in and opens the Shapes project in the workspace', async ({ server, api, page }) => {
    await login(page, server.url, server.email, server.password);
    await page.getByTestId('projects').getByText('Shapes (images)').waitFor();
    projectId = await projectNamed(api, 'Shapes (images)');
    await page.getByRole('link', { name: 'Shapes (images)' }).click();
    // The project page, not the list (whose every row has an Annotate link of its own).
    await page.getByRole('heading', { level: 1, name: 'Shapes (images)' }).waitFor();
    await page.getByRole('link', { name: 'Annotate', exact: true }).click();
    await stageDrawn(page);
    expect(await objectCount(page)).toBe('0');
  });

  it('draws a box and a polygon, undoes and redoes, survives a reload, submits with Ctrl+Enter', async ({ api, page }) => {
    const title = (await taskTitle(page)) ?? '';
    const taskId = Number(/\d+/.exec(title)?.[0]);
    let t = await stageTransform(page);
    // A box from (100, 100) to (300, 250) in image pixels.
    await page.keyboard.press('r');
    await drag(page, 100, 100, 300, 250);
    await expect.poll(() => objectCount(page)).toBe('1');

    // The box's outline is drawn in the label's colour on the shapes layer.
    const colour = defaultColor('circle');
    const want = [1, 3, 5].map((i) => parseInt(colour.slice(i, i + 2), 16));
    const [sx, sy] = t.toStage(150, 100);
    const pixel = await page.getByTestId('shapes-layer').evaluate((c: HTMLCanvasElement, [x, y]: number[]) => {
      const dpr = window.devicePixelRatio || 1;
      return [...(c.getContext('2d')?.getImageData(Math.round((x as number) * dpr), Math.round((y as number) * dpr), 1, 1).data ?? [])];
    }, [sx, sy]);
    expect(pixel[3]).toBeGreaterThan(200);
    for (let i = 0; i < 3; i++) expect(Math.abs((pixel[i] as number) - (want[i] as number))).toBeLessThanOrEqual(40);

    // A polygon: three clicks and Enter.
    await page.keyboard.press('p');
    for (const [x, y] of [[400, 100], [550, 120], [500, 300]] as const) await page.mouse.click(...t.toPage(x, y));
    await page.keyboard.press('Enter');
    await expect.poll(() => objectCount(page)).toBe('2');

    await page.keyboard.press('Control+z');
    await expect.poll(() => objectCount(page)).toBe('1');
    await page.keyboard.press('Control+Shift+z');
    await expect.poll(() => objectCount(page)).toBe('2');
    await shot(page, 'workspace-boxes');

    // The draft reaches the server (debounced), then a reload brings it back.
    await expect.poll(() => page.getByTestId('save-state').textContent(), { timeout: 10_000 }).toMatch(/Draft saved/);
    await page.reload();
    await stageDrawn(page);
    await expect.poll(() => objectCount(page)).toBe('2');
    await page.getByTestId('draft-note').waitFor();
    expect(await taskTitle(page)).toBe(title);

    t = await stageTransform(page);
    await page.keyboard.press('Control+Enter');
    await expect.poll(() => taskTitle(page), { timeout: 10_000 }).not.toBe(title);
    await stageDrawn(page);
    expect(await objectCount(page)).toBe('0');

    const list = await api<{ result: { type: string; geometry: Record<string, unknown> }[] }[]>('GET', `/api/v1/tasks/${taskId}/annotations`);
    expect(list.status).toBe(200);
    expect(list.json).toHaveLength(1);
    const result = list.json[0]?.result ?? [];
    const bbox = result.find((r) => r.type === 'bbox')?.geometry as { x: number; y: number; width: number; height: number };
    const poly = result.find((r) => r.type === 'polygon')?.geometry as { points: [number, number][] };
    expect(bbox).toBeDefined();
    expect(poly).toBeDefined();
    const near = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(2);
    near(bbox.x, 100);
    near(bbox.y, 100);
    near(bbox.width, 200);
    near(bbox.height, 150);
    expect(poly.points).toHaveLength(3);
    [[400, 100], [550, 120], [500, 300]].forEach(([x, y], i) => {
      near(poly.points[i]?.[0] as number, x as number);
      near(poly.points[i]?.[1] as number, y as number);
    });
  });

  it('shows a clear message for an image that cannot be loaded, with Skip and Report', async ({ server, api, page }) => {
    const schema = 'media: image\ntools:\n  - name: objects\n    type: bbox\n    labels: [thing]\n';
    const pid = await createProject(api, 'Broken media', schema);
    await importTasks(api, pid, [{ image: `/api/v1/projects/${pid}/media/sha256/00/00/${'0'.repeat(60)}` }]);
    await page.goto(`${server.url}/#/projects/${pid}/annotate`);
    const bad = page.getByTestId('bad-media');
    await bad.waitFor();
    expect(await bad.textContent()).toMatch(/cannot be shown/);
    await bad.getByRole('button', { name: 'Skip' }).waitFor();
    await bad.getByRole('button', { name: 'Report' }).waitFor();
    await shot(page, 'workspace-bad-media');
    await bad.getByRole('button', { name: 'Skip' }).click();
    await page.getByText('No task left for you in this project.').waitFor();
    expect(projectId).toBeGreaterThan(0);
  });
});
