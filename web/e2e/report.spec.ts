/**
 * Browser test of reports: an annotator reports a task whose image does not load, and is handed
 * the next one; the manager sees the count on the dashboard, follows it to the data manager's
 * Reported filter (reason, note and who on the row), fixes the task's data on its page and puts
 * it back in the queue; the annotator is served the task again, now showing its image, and
 * reports it once more from the top bar's form (wrong data).
 */

import { describe, expect } from 'vitest';
import { AVAILABLE, newPage, shot } from './browser';
import { it, createProject, importTasks, login, openTaskId, stageDrawn, uploadFiles } from './helpers';
import { makePng } from './png';

const SCHEMA = 'media: image\ntools:\n  - name: objects\n    type: bbox\n    labels: [thing]\n';

interface TaskRow {
  id: number;
  data: { image: string };
  open_reports: number;
}

describe.skipIf(!AVAILABLE)('reports', () => {
  it('takes a reported task out of the queue until a manager fixes it and puts it back', async ({ server, api, browser, page }) => {
    const pid = await createProject(api, 'Reported', SCHEMA);
    await uploadFiles(server, pid, [{ name: 'good.png', data: makePng(200, 120, [40, 160, 90]) }]);
    const missing = `/api/v1/projects/${pid}/media/sha256/00/${'0'.repeat(62)}`;
    await importTasks(api, pid, [{ data: { image: missing }, priority: 5 }]);
    const tasks = (await api<{ items: TaskRow[] }>('GET', `/api/v1/projects/${pid}/tasks`)).json.items;
    const broken = tasks.find((t) => t.data.image === missing);
    const good = tasks.find((t) => t.data.image !== missing);
    if (!broken || !good) throw new Error(`expected a broken and a good task: ${JSON.stringify(tasks)}`);

    const project = (await api<{ organization_id: number }>('GET', `/api/v1/projects/${pid}`)).json;
    const email = 'rae@accord.test';
    const password = 'report-me-please-42';
    const invited = await api('POST', `/api/v1/organizations/${project.organization_id}/members`, { email, name: 'Rae Reporter', role: 'annotator', password });
    expect(invited.status, JSON.stringify(invited.json)).toBe(201);

    // The annotator reports the broken image and gets the next task.
    const annotator = await newPage(browser, 'annotator');
    await login(annotator, server.url, email, password);
    await annotator.goto(`${server.url}/#/projects/${pid}/annotate`);
    const bad = annotator.getByTestId('bad-media');
    await bad.waitFor();
    expect(await openTaskId(annotator)).toBe(broken.id);
    await bad.getByLabel('Note (optional)').fill('the bucket answers 404');
    await bad.getByRole('button', { name: 'Report', exact: true }).click();
    await stageDrawn(annotator);
    expect(await openTaskId(annotator)).toBe(good.id);

    // The manager: the count on the dashboard links to the Reported filter.
    await login(page, server.url, server.email, server.password);
    await page.goto(`${server.url}/#/projects/${pid}`);
    const count = page.getByTestId('reported-count');
    await expect.poll(() => count.textContent()).toBe('1');
    await count.click();
    await expect.poll(() => page.getByTestId('task-total').textContent()).toBe('1 task');
    expect(page.url()).toMatch(/#\/projects\/\d+\/tasks\?reported=1$/);
    expect(await page.locator('select[name="reported"]').inputValue()).toBe('yes');
    const report = page.getByTestId(`report-${broken.id}`);
    await expect.poll(() => report.textContent()).toMatch(/reported broken media: The image could not be shown: .* — the bucket answers 404 — Rae Reporter/);
    await shot(page, 'data-manager-reported');

    // Its page: fix the data, then put it back in the queue.
    await page.getByTestId('task-rows').getByRole('link', { name: String(broken.id), exact: true }).click();
    const panel = page.getByTestId('task-reports');
    await expect.poll(() => panel.textContent()).toMatch(/Reported \(1 open\).*broken media.*the bucket answers 404.*Rae Reporter/s);
    await panel.getByRole('button', { name: 'Fix the data…' }).click();
    await panel.getByLabel('Task data (JSON)').fill(JSON.stringify({ image: good.data.image }));
    await panel.getByRole('button', { name: 'Save data' }).click();
    await panel.getByText('Data saved.').waitFor();
    await panel.getByLabel('Resolution note').fill('linked the right file');
    await shot(page, 'task-page-report');
    await panel.getByRole('button', { name: 'Put back in the queue' }).click();
    await panel.getByText('Back in the queue: 1 report resolved.').waitFor();
    await expect.poll(() => panel.textContent()).toMatch(/^Reports .*resolved .* by .*\(linked the right file\)/);
    const after = (await api<TaskRow>('GET', `/api/v1/tasks/${broken.id}`)).json;
    expect([after.open_reports, after.data.image]).toEqual([0, good.data.image]);
    await page.goto(`${server.url}/#/projects/${pid}`);
    await expect.poll(() => page.getByTestId('reported-count').textContent()).toBe('0');

    // The queue serves it again — to its reporter too — and now its image shows.
    await annotator.getByRole('button', { name: 'Skip', exact: true }).click();
    await annotator.getByTestId('confirm-skip').getByRole('button', { name: /^Skip/ }).click();
    await expect.poll(() => openTaskId(annotator)).toBe(broken.id);
    await stageDrawn(annotator);
    expect(await annotator.getByTestId('bad-media').count()).toBe(0);

    // "Report…" in the top bar: a reason and a note; Esc closes the form, typing is not a shortcut.
    await annotator.getByRole('button', { name: 'Report…' }).click();
    const form = annotator.getByTestId('report-form');
    await annotator.keyboard.press('Escape');
    await expect.poll(() => form.count()).toBe(0);
    await annotator.getByRole('button', { name: 'Report…' }).click();
    await form.getByRole('radio', { name: /Wrong data/ }).check();
    await form.getByLabel('Note (what is wrong)').fill('rectangles, not streets');
    expect(await annotator.getByTestId('object-count').textContent()).toBe('0');
    await form.getByRole('button', { name: 'Report', exact: true }).click();
    await annotator.getByText('No task left for you in this project.').waitFor();
    const reports = (await api<{ reason: string; note: string; resolved_at: string | null }[]>('GET', `/api/v1/tasks/${broken.id}/reports`)).json;
    expect(reports.map((r) => [r.reason, r.note, r.resolved_at === null])).toEqual([
      ['wrong_data', 'rectangles, not streets', true],
      ['broken_media', expect.stringMatching(/the bucket answers 404$/), false],
    ]);
    await annotator.close();
  });
});
