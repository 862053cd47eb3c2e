/**
 * Browser test of role-aware screens: an annotator sees projects with Annotate only (no Data,
 * Import, Settings, Dashboard or Members, no "progress unavailable") and their own progress in
 * each (submitted, in hand with drafts, skipped, left for them — not the admin's work), a
 * manager page opened by address says the role cannot use it instead of loading forever; a
 * manager still sees them all, with each project's progress.
 */

import { describe, expect } from 'vitest';
import { AVAILABLE, newPage, shot } from './browser';
import { it, createProject, importTasks, invite, login, type Api } from './helpers';


const SCHEMA = 'media: image\ntools:\n  - name: objects\n    type: bbox\n    labels: [thing]\n  - name: seen\n    type: classification\n    choices: [sharp, blurry]\n';
const seen = [{ id: 'c', tool: 'seen', type: 'classification', value: { choices: ['sharp'] } }];

/** Take the next task as `who`; its id. */
async function take(who: Api, pid: number): Promise<number> {
  const next = await who<{ task: { id: number } }>('POST', `/api/v1/projects/${pid}/next`);
  expect(next.status, JSON.stringify(next.json)).toBe(200);
  return next.json.task.id;
}

/** Take the next task as `who` and submit a classification. */
async function submitNext(who: Api, pid: number): Promise<void> {
  const task = await take(who, pid);
  const r = await who('POST', `/api/v1/tasks/${task}/annotations`, { id: `s-${task}-${Math.random()}`, result: seen });
  expect(r.status, JSON.stringify(r.json)).toBe(201);
}

describe.skipIf(!AVAILABLE)('screens by role', () => {
  it('shows an annotator only what an annotator may do', async ({ server, api, page }) => {
    const pid = await createProject(api, 'Roles', SCHEMA);
    await importTasks(api, pid, [1, 2, 3, 4, 5].map((i) => ({ image: `https://images.example/${i}.jpg` })));
    const email = 'just.annotating@accord.test';
    const password = 'annotate-me-please-42';
    const ann = await invite(server, { email, role: 'annotator', password, name: 'Ann Otator' });
    // The admin submits one task (overlap 1: it is full, and not the annotator's work); the
    // annotator submits one, skips one and holds a third with a draft.
    await submitNext(api, pid);
    await submitNext(ann, pid);
    const skipped = await take(ann, pid);
    expect((await ann('POST', `/api/v1/tasks/${skipped}/skip`)).status).toBe(204);
    const held = await take(ann, pid);
    expect((await ann('PUT', `/api/v1/tasks/${held}/draft`, { draft: { result: [] } })).status).toBe(204);

    await login(page, server.url, email, password);
    const list = page.getByTestId('projects');
    const row = list.getByRole('row').filter({ hasText: 'Roles' });
    expect(await row.getByRole('link', { name: 'Annotate' }).count()).toBe(1);
    expect(await row.getByRole('link', { name: 'Data' }).count()).toBe(0);
    expect(await list.getByText('progress unavailable').count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Members' }).count()).toBe(0);
    // Their own numbers: 5 tasks − 1 submitted − 1 skipped − 1 held − 1 the admin filled = 1 left.
    await expect.poll(() => row.getByTestId('own-submitted').textContent()).toBe('1');
    expect(await row.getByTestId('own-held').textContent()).toBe('1 (draft saved)');
    expect(await row.getByTestId('own-skipped').textContent()).toBe('1');
    expect(await row.getByTestId('own-available').textContent()).toBe('1');
    for (const header of ['You submitted', 'In hand', 'Skipped', 'Left for you']) {
      expect(await list.getByRole('columnheader', { name: header }).count()).toBe(1);
    }
    expect(await list.getByRole('columnheader', { name: 'Completed' }).count()).toBe(0);
    // The demo's image project, untouched by them: all 24 tasks are left for them.
    const shapes = list.getByRole('row').filter({ hasText: 'Shapes (images)' });
    await expect.poll(() => shapes.getByTestId('own-available').textContent()).toBe('24');
    expect(await shapes.getByTestId('own-submitted').textContent()).toBe('0');
    await shot(page, 'nav-annotator');

    await page.goto(`${server.url}/#/projects/${pid}/settings`);
    await page.getByTestId('barred').waitFor();
    const tabs = page.getByRole('navigation', { name: 'Project' });
    for (const name of ['Dashboard', 'Data', 'Import', 'Settings']) expect(await tabs.getByRole('link', { name }).count()).toBe(0);
    expect(await page.getByText('Delete project').count()).toBe(0);

    // A task of their own, by address: read-only, with no link to the task list they may not see.
    await page.goto(`${server.url}/#/projects/${pid}/tasks/${held}`);
    await page.getByRole('heading', { name: `Task #${held}` }).waitFor();
    expect(await page.getByRole('link', { name: '← All tasks' }).count()).toBe(0);

    // New project by address: said so, no form to fill in for nothing.
    await page.goto(`${server.url}/#/projects/new`);
    await page.getByTestId('barred').waitFor();
    expect(await page.getByTestId('barred').textContent()).toMatch(/Your role \(annotator\) cannot create projects/);
    expect(await page.getByRole('button', { name: 'Create project' }).count()).toBe(0);

    // Members by address: the server's refusal, never "Loading…" under it.
    await page.goto(`${server.url}/#/members`);
    await page.getByRole('alert').waitFor();
    expect(await page.getByText('Loading…').count()).toBe(0);
  });

  it('shows a manager every tab', async ({ server, api, browser, skip }) => {
    if (!server) skip();
    const admin = await newPage(browser, 'admin');
    await login(admin, server.url, server.email, server.password);
    const pid = (await api<{ id: number; name: string }[]>('GET', '/api/v1/projects')).json.find((p) => p.name === 'Roles')?.id;
    await admin.goto(`${server.url}/#/projects/${pid}/dashboard`);
    const tabs = admin.getByRole('navigation', { name: 'Project' });
    await tabs.waitFor();
    for (const name of ['Dashboard', 'Data', 'Import', 'Settings']) expect(await tabs.getByRole('link', { name }).count()).toBe(1);
    expect(await admin.getByRole('link', { name: 'Members' }).count()).toBe(1);
    // The project list: each project's progress, not the manager's own.
    await admin.goto(`${server.url}/#/projects`);
    const row = admin.getByTestId('projects').getByRole('row').filter({ hasText: 'Roles' });
    await expect.poll(() => row.locator('.progress').count()).toBe(1);
    expect(await row.getByTestId('own-submitted').count()).toBe(0);
    expect(await row.getByRole('link', { name: 'Data' }).count()).toBe(1);
    await shot(admin, 'nav-manager');
    // The data manager's bulk controls are the manager's.
    await admin.goto(`${server.url}/#/projects/${pid}/tasks`);
    await expect.poll(() => admin.getByTestId('task-total').textContent()).toBe('5 tasks');
    for (const name of ['Set', 'Move', 'Delete']) expect(await admin.getByRole('button', { name, exact: true }).count()).toBe(1);
    await admin.close();
  });

  it('lets a reviewer browse the data without the bulk controls the server would refuse', async ({ server, api, browser, skip }) => {
    if (!server) skip();
    const pid = (await api<{ id: number; name: string }[]>('GET', '/api/v1/projects')).json.find((p) => p.name === 'Roles')?.id;
    await invite(server, { email: 'rev@accord.test', role: 'reviewer', password: 'review-me-please-42' });
    const reviewer = await newPage(browser, 'reviewer');
    await login(reviewer, server.url, 'rev@accord.test', 'review-me-please-42');
    await reviewer.goto(`${server.url}/#/projects/${pid}/tasks`);
    await expect.poll(() => reviewer.getByTestId('task-total').textContent()).toBe('5 tasks');
    for (const name of ['Set', 'Move', 'Delete']) expect(await reviewer.getByRole('button', { name, exact: true }).count()).toBe(0);
    // States read as words: a task with one of its two annotations is "in progress".
    const twice = await createProject(api, 'Twice', SCHEMA, { overlap: 2 });
    await importTasks(api, twice, [{ image: 'https://images.example/t.jpg' }]);
    await submitNext(api, twice);
    await reviewer.goto(`${server.url}/#/projects/${twice}/tasks`);
    const rows = reviewer.getByTestId('task-rows');
    await expect.poll(() => rows.getByText('in progress', { exact: true }).count()).toBe(1);
    expect(await rows.getByText('in_progress').count()).toBe(0);
    await reviewer.close();
  });
});
