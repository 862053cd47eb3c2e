/**
 * Browser test of the reviewer's task page and the data manager's names and thumbnails: two
 * annotators box the same uploaded image; the task page draws both on the image (one toggle and
 * colour each), names them with when and which revision, lists the revisions; the data manager
 * shows a thumbnail, the annotators' names, the batch name, and filters by a name or an email.
 */

import type { Page } from 'playwright-core';
import { describe, expect } from 'vitest';
import { AVAILABLE, shot } from './browser';
import { it, createProject, invite, login, uploadFiles, type Api } from './helpers';
import { makePng } from './png';


const SCHEMA = 'media: image\ntools:\n  - name: objects\n    type: bbox\n    labels: [car, person]\n';
const box = (id: string, label: string, x: number) => ({ id, type: 'bbox', tool: 'objects', label, geometry: { x, y: 30, width: 60, height: 50 } });

/** Take the next task as `who` and submit `result`; returns the annotation's id. */
async function annotate(who: Api, pid: number, result: unknown[]): Promise<{ id: number; task: number }> {
  const next = await who<{ task: { id: number } }>('POST', `/api/v1/projects/${pid}/next`);
  expect(next.status, JSON.stringify(next.json)).toBe(200);
  const r = await who<{ id: number }>('POST', `/api/v1/tasks/${next.json.task.id}/annotations`, { id: `sub-${Math.random()}`, result, lead_time: 4 });
  expect(r.status, JSON.stringify(r.json)).toBe(201);
  return { id: r.json.id, task: next.json.task.id };
}

/** Pixels of the overlay canvas that are not transparent. */
const inkedPixels = (p: Page) =>
  p.getByTestId('task-overlay').evaluate((c: HTMLCanvasElement) => {
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) n++;
    return n;
  });

describe.skipIf(!AVAILABLE)('the task page and the data manager', () => {
  it('draws every annotator on the image, names them, lists revisions; the table shows thumbnails and names', async ({ server, api, page }) => {
    const pid = await createProject(api, 'Review me', SCHEMA, { overlap: 2 });
    await uploadFiles(server, pid, [{ name: 'street.png', data: makePng(640, 400, [90, 140, 200]) }]);
    const bea = await invite(server, { email: 'bea@accord.test', name: 'Bea Annotator', role: 'annotator', password: 'annotate-me-please-42' });

    const mine = await annotate(api, pid, [box('r1', 'car', 20)]);
    const beas = await annotate(bea, pid, [box('r1', 'person', 200)]);
    const edited = await api('PATCH', `/api/v1/annotations/${mine.id}`, { result: [box('r1', 'car', 30)] });
    expect(edited.status, JSON.stringify(edited.json)).toBe(200);
    await api('POST', `/api/v1/projects/${pid}/tasks/bulk`, { task_ids: [mine.task], batch: 'week 1' });

    await login(page, server.url, server.email, server.password);
    await page.goto(`${server.url}/#/projects/${pid}/tasks/${mine.task}`);
    const overlay = page.getByTestId('task-overlay');

    await expect.poll(() => overlay.getAttribute('data-drawn')).toBe('2');
    const both = await inkedPixels(page);
    expect(both).toBeGreaterThan(100);
    await expect.poll(() => page.getByTestId(`source-a${beas.id}`).textContent()).toMatch(/Bea Annotator <bea@accord\.test>\s*human/);
    expect(await page.getByTestId(`source-a${mine.id}`).textContent()).toMatch(/created [\d-]+ [\d:]+ · updated [\d-]+ [\d:]+ · revision 2/);
    expect(await page.getByTestId(`source-a${mine.id}`).textContent()).toMatch(/car\s*objects\s*box at \(30, 30\) 60×50/);
    expect(await page.locator('pre').isVisible()).toBe(false); // raw JSON only inside a closed <details>

    // Toggle Bea off: one region left, fewer pixels drawn.
    await page.getByLabel('Show Bea Annotator <bea@accord.test>').uncheck();
    await expect.poll(() => overlay.getAttribute('data-drawn')).toBe('1');
    expect(await inkedPixels(page)).toBeLessThan(both);

    await page.getByTestId(`source-a${mine.id}`).getByRole('button', { name: 'Revisions' }).click();
    const revs = page.getByRole('list', { name: `Revisions of annotation ${mine.id}` }).getByRole('listitem');
    await expect.poll(() => revs.count()).toBe(2);
    await page.getByLabel('Show Bea Annotator <bea@accord.test>').check();
    await expect.poll(() => overlay.getAttribute('data-drawn')).toBe('2');
    await shot(page, 'task-page'); // both annotators drawn, the revisions open

    // The same task under another project's address: said so, with a link to its own.
    const other = await createProject(api, 'Elsewhere', SCHEMA);
    await page.goto(`${server.url}/#/projects/${other}/tasks/${mine.task}`);
    const wrong = page.getByTestId('other-project');
    await wrong.waitFor();
    expect(await wrong.textContent()).toMatch(new RegExp(`Task #${mine.task} is not in Elsewhere`));
    expect(await page.getByTestId('task-overlay').count()).toBe(0);
    await wrong.getByRole('link', { name: 'Open it in its own project' }).click();
    await expect.poll(() => overlay.getAttribute('data-drawn')).toBe('2');
    expect(page.url()).toMatch(new RegExp(`#/projects/${pid}/tasks/${mine.task}$`));

    // The data manager: a thumbnail made by the server, names, batch name, filter by name/email.
    await page.goto(`${server.url}/#/projects/${pid}/tasks`);
    const thumb = page.getByTestId('task-rows').locator('img').first();
    await expect.poll(() => thumb.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(64);
    expect(await thumb.getAttribute('src')).toMatch(/\/thumbnail\?size=64$/);
    const row = page.getByTestId('task-rows').locator('[role="row"]').first();
    await expect.poll(() => row.textContent()).toMatch(/Bea Annotator/);
    expect(await row.textContent()).toMatch(/week 1/);
    await shot(page, 'data-manager-thumbnails');
    await page.getByLabel('Annotator', { exact: true }).fill('BEA@accord');
    await expect.poll(() => page.getByTestId('task-total').textContent()).toBe('1 task');
    await page.getByLabel('Annotator', { exact: true }).fill('nobody');
    await expect.poll(() => page.getByTestId('task-total').textContent()).toBe('0 tasks');
  });
});
