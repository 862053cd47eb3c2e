/** Browser smoke test: the built app (web/dist) served by accord-server, driven in Chromium. */

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { AVAILABLE, shot } from './browser';
import { it, projectNamed, stageDrawn } from './helpers';
import { makePng } from './png';

describe.skipIf(!AVAILABLE)('Accord web app', () => {
  it('logs in and lists the demo projects with progress', async ({ server, page }) => {
    await page.goto(`${server.url}/`);
    await page.getByLabel('Email').fill(server.email);
    await page.getByLabel('Password').fill('wrong-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toBeTruthy();
    await page.getByLabel('Password').fill(server.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    const table = page.getByTestId('projects');
    await table.getByText('Shapes (images)').waitFor();
    await table.getByText('News (text)').waitFor();
    await expect.poll(() => table.locator('.progress').count()).toBe(2);
    await shot(page, 'projects-list');
  });

  it('creates a project from the object-detection template, with live schema validation', async ({ page }) => {
    await page.getByRole('link', { name: '+ New project' }).click();
    await page.getByLabel('Name').fill('Smoke boxes');
    const editor = page.getByLabel('Label schema (YAML)');
    await expect.poll(() => editor.inputValue()).toContain('type: bbox');
    await page.getByTestId('schema-status').getByText('Valid schema').waitFor();
    const good = await editor.inputValue();
    await editor.fill(good.replace('type: bbox', 'type: bbx'));
    await page.getByTestId('schema-errors').getByText('unknown tool type').waitFor();
    await expect.poll(() => page.locator('.gutter .bad').count()).toBeGreaterThan(0);
    await shot(page, 'schema-editor-live-error');
    await editor.fill(good);
    await page.getByTestId('schema-preview').getByText('bicycle').waitFor();
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.waitForURL(/#\/projects\/\d+\/import$/);
  });

  it('uploads three PNGs through the file input and follows the import job', async ({ page }) => {
    const dir = mkdtempSync(join(tmpdir(), 'accord-pngs-'));
    const colours: [number, number, number][] = [[220, 60, 60], [60, 160, 80], [60, 90, 220]];
    const paths = colours.map((c, i) => {
      const p = join(dir, `img-${i + 1}.png`);
      writeFileSync(p, makePng(160, 120, c));
      return p;
    });
    await page.getByTestId('file-input').setInputFiles(paths);
    await page.getByText('3 files').waitFor();
    await page.getByRole('button', { name: /^Import 3/ }).click();
    const state = page.getByTestId('job-state');
    await expect.poll(() => state.textContent(), { timeout: 60_000 }).toBe('succeeded');
    await shot(page, 'import-job');
  });

  it('shows the three tasks in the data manager', async ({ page }) => {
    await page.getByRole('link', { name: 'Data', exact: true }).click();
    await expect.poll(() => page.getByTestId('task-total').textContent()).toBe('3 tasks');
    await expect.poll(() => page.getByTestId('task-rows').locator('.tr a').count()).toBe(3);
    await page.getByTestId('task-rows').getByText('img-2.png').waitFor();
    // Every row's thumbnail drawn (made by the server on first request), not a table still loading.
    const thumbs = page.getByTestId('task-rows').locator('img');
    await expect.poll(() => thumbs.evaluateAll((imgs) => imgs.filter((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0).length)).toBe(3);
    await shot(page, 'data-manager');
  });

  it('reports bad rows of a task file, imported with skip_invalid', async ({ page }) => {
    await page.getByRole('link', { name: 'Import', exact: true }).click();
    const dir = mkdtempSync(join(tmpdir(), 'accord-jsonl-'));
    const file = join(dir, 'tasks.jsonl');
    writeFileSync(file, ['{"text": "fine"}', '{"text": broken', '[1, 2]', '{"text": "also fine"}'].join('\n') + '\n');
    await page.getByTestId('file-input').setInputFiles([file]);
    await page.getByLabel('Skip invalid rows').check();
    await page.getByRole('button', { name: /^Import 1/ }).click();
    await expect.poll(() => page.getByTestId('job-state').textContent(), { timeout: 60_000 }).toMatch(/succeeded|failed/);
    await page.getByTestId('job-errors').waitFor();
    expect(await page.getByTestId('job-errors').locator('tbody tr').count()).toBeGreaterThan(0);
    await shot(page, 'import-error-report');
  });

  it('shows the dashboard and the annotate queue', async ({ api, page }) => {
    // A few annotations through the API (the browser has no drawing tools yet), for the charts.
    const shapes = await projectNamed(api, 'Shapes (images)');
    for (let i = 0; i < 3; i++) {
      const lease = await api<{ task: { id: number } }>('POST', `/api/v1/projects/${shapes}/next`);
      const label = ['circle', 'square', 'circle'][i];
      const r = await api('POST', `/api/v1/tasks/${lease.json.task.id}/annotations`, {
        id: `smoke-${i}`, lead_time: 12 + i, result: [
          { id: `r${i}`, tool: 'objects', type: 'bbox', label, geometry: { x: 10, y: 10, width: 50, height: 40 } },
          { id: `c${i}`, tool: 'scene', type: 'classification', value: { choices: ['busy'] } },
        ],
      });
      expect(r.status, JSON.stringify(r.json)).toBe(201);
    }
    await page.getByRole('link', { name: 'Projects', exact: true }).click();
    await page.getByRole('link', { name: 'Shapes (images)' }).click();
    await page.getByText('Active leases').waitFor();
    await page.locator('svg[aria-label="Labels used"] rect').first().waitFor();
    await shot(page, 'dashboard');
    await page.getByRole('link', { name: 'Annotate', exact: true }).click();
    // The annotate route is the image workspace now (e2e/workspace.spec.ts drives its tools).
    await stageDrawn(page);
    const first = await page.getByText(/^Task #\d+$/).textContent();
    await page.getByRole('button', { name: /Skip/ }).click();
    await page.keyboard.press('Enter'); // a skip is for good: the workspace asks first
    await expect.poll(() => page.getByText(/^Task #\d+$/).textContent()).not.toBe(first);
    await shot(page, 'annotate-queue');
  });

  it('refuses, verbatim, a schema change that drops a label in use', async ({ page }) => {
    await page.getByRole('link', { name: 'Settings', exact: true }).click();
    const editor = page.getByLabel('Label schema (YAML)');
    const before = await editor.inputValue();
    await editor.fill(before.replace('labels: [circle, square, triangle]', 'labels: [square, triangle]'));
    await page.getByTestId('schema-status').getByText('Valid schema').waitFor();
    await page.getByRole('button', { name: 'Save changes' }).click();
    const error = page.getByTestId('settings-error');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/circle/);
    await shot(page, 'settings-409');
  });

  it('opens a task from the data manager', async ({ page }) => {
    await page.getByRole('link', { name: 'Data', exact: true }).click();
    await page.getByTestId('task-rows').locator('.tr a').first().click();
    await page.getByRole('heading', { name: /^Task #\d+$/ }).waitFor();
    await page.locator('img.media').waitFor();
    await page.getByText(/^Annotations \(\d+\)$/).waitFor();
  });

  it('creates a project from a pasted Label Studio config', async ({ api, page }) => {
    await page.getByRole('link', { name: 'Projects', exact: true }).click();
    await page.getByRole('link', { name: '+ New project' }).click();
    await page.getByLabel('Name').fill('From Label Studio');
    const config = '<View>\n  <Image name="image" value="$image"/>\n  <RectangleLabels name="label" toName="image">\n    <Label value="Car" background="#FF0000"/>\n    <Label value="Pedestrian"/>\n  </RectangleLabels>\n</View>\n';
    await page.getByLabel('Label schema (YAML)').fill(config);
    await page.getByTestId('schema-status').getByText('Valid schema').waitFor();
    await page.getByTestId('schema-from-label-studio').waitFor();
    await page.getByTestId('schema-preview').getByText('Pedestrian').waitFor();
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.waitForURL(/#\/projects\/\d+\/import$/);
    const id = Number(/projects\/(\d+)/.exec(page.url())?.[1]);
    const project = (await api<{ label_schema: { tools: { name: string; type: string }[] }; schema_source: string }>('GET', `/api/v1/projects/${id}`)).json;
    expect(project.label_schema.tools.map((t) => [t.name, t.type])).toEqual([['label', 'bbox']]);
    expect(project.schema_source).toMatch(/^media: image\n/);
  });

  it('invites an annotator', async ({ page }) => {
    await page.getByRole('link', { name: 'Members' }).click();
    await page.locator('input[name="invite-email"]').fill('annotator@smoke.test');
    await page.locator('select[name="invite-role"]').selectOption('annotator');
    await page.locator('input[name="invite-password"]').fill('annotate-me-123');
    await page.getByRole('button', { name: 'Invite' }).click();
    await page.getByTestId('invite-note').waitFor();
    await page.getByTestId('members').getByText('annotator@smoke.test').waitFor();
  });
});
