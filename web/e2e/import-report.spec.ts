/**
 * The import page says what an import left out, row by row: tasks imported without an invalid
 * prediction (importing the file again would duplicate them) apart from rows skipped whole.
 */

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { AVAILABLE, shot } from './browser';
import { it, createProject, login } from './helpers';

const SCHEMA = 'media: image\ntools:\n  - name: objects\n    type: bbox\n    labels: [cat, dog]\n';

const box = (label: string) => ({ id: 'p1', tool: 'objects', type: 'bbox', label, geometry: { x: 1, y: 1, width: 5, height: 5 } });

describe.skipIf(!AVAILABLE)('the import report', () => {
  it('tells tasks imported without their predictions from rows skipped', async ({ server, api, page }) => {
    const pid = await createProject(api, 'Report', SCHEMA);
    const rows = [
      { data: { image: 'https://x/1.png' }, predictions: [{ result: [box('cat')] }] },
      { data: { image: 'https://x/2.png' }, predictions: [{ result: [box('Kat')] }] },
      { data: { image: 'https://x/3.png' }, priority: 'high' },
    ];
    const file = join(mkdtempSync(join(tmpdir(), 'accord-report-')), 'tasks.jsonl');
    writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');

    await login(page, server.url, server.email, server.password);
    await page.goto(`${server.url}/#/projects/${pid}/import`);
    await page.getByTestId('file-input').setInputFiles([file]);
    await page.getByLabel('Skip invalid rows').check();
    await page.getByRole('button', { name: /^Import 1/ }).click();
    await expect.poll(() => page.getByTestId('job-state').textContent(), { timeout: 60_000 }).toBe('succeeded');

    const job = page.getByTestId('job');
    await job.getByText('imported 2 tasks; 1 without its invalid prediction (1 dropped); skipped 1 invalid row').waitFor();
    const dropped = page.getByTestId('report-prediction');
    expect(await dropped.textContent()).toBe('1 task imported without 1 invalid prediction');
    const droppedRow = page.getByTestId('job-errors').locator('table').first().locator('tbody tr');
    expect(await droppedRow.allInnerTexts()).toEqual([
      expect.stringMatching(/^tasks\.jsonl\s+2\s+predictions\[0\]\.result\[0\]\.label\s+region "p1": unknown label "Kat" for tool "objects"; expected one of: cat, dog$/),
    ]);
    expect(await page.getByTestId('report-row').textContent()).toBe('1 row skipped');
    expect(await page.getByTestId('job-errors').getByText('expected an integer, got string').count()).toBe(1);
    await shot(page, 'import-report');

    const tasks = await api<{ items: { data: { image: string } }[] }>('GET', `/api/v1/projects/${pid}/tasks`);
    expect(tasks.json.items.map((t) => t.data.image)).toEqual(['https://x/1.png', 'https://x/2.png']);
  });
});
