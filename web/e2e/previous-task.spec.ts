/**
 * Browser test of issue 12's "previous task": an annotator submits two tasks and starts a third
 * (a box drawn, not submitted); Ctrl+← twice opens the older submitted one with its result and a
 * banner saying it is submitted work; leaving it with an unsaved change asks first; Ctrl+Enter
 * saves the correction through `PATCH /annotations/{id}` (the server keeps a new revision) and
 * brings back the held task with its box — no `next` was asked meanwhile, so no lease was taken —
 * and the queue goes on. With nothing left in the queue, Ctrl+← still opens the latest submit.
 */

import type { Page } from 'playwright-core';
import { describe, expect } from 'vitest';
import { AVAILABLE, shot } from './browser';
import { createProject, drag, it, login, objectCount, openAnnotate, openTaskId, stageDrawn, uploadFiles } from './helpers';
import { makePng } from './png';

const SCHEMA = 'media: image\ntools:\n  - name: objects\n    type: bbox\n    labels: [car, bike]\n';

/** Draw one box (label "car", the first) and submit it; wait for the next task. */
async function boxAndSubmit(page: Page): Promise<number> {
  const task = await shownTask(page);
  await page.keyboard.press('r');
  await drag(page, 40, 40, 120, 100);
  await expect.poll(() => objectCount(page)).toBe('1');
  await page.keyboard.press('Control+Enter');
  await page.getByText(`Task #${task}`, { exact: true }).waitFor({ state: 'detached', timeout: 10_000 });
  return task;
}

/** The task open in the workspace once it has drawn. */
async function shownTask(page: Page): Promise<number> {
  await stageDrawn(page);
  return openTaskId(page);
}

describe.skipIf(!AVAILABLE)('going back to a submitted task', () => {
  it('opens the older submits with Ctrl+←, saves a correction as a revision, and the queue goes on', async ({ server, api, page }) => {
    const pid = await createProject(api, 'Going back', SCHEMA, { overlap: 1 });
    await uploadFiles(server, pid, [
      { name: 'a.png', data: makePng(200, 150, [200, 80, 80]) },
      { name: 'b.png', data: makePng(200, 150, [80, 200, 80]) },
      { name: 'c.png', data: makePng(200, 150, [80, 80, 200]) },
    ]);
    const project = (await api<{ organization_id: number }>('GET', `/api/v1/projects/${pid}`)).json;
    const email = 'going.back@accord.test';
    const password = 'annotate-me-please-42';
    const invited = await api('POST', `/api/v1/organizations/${project.organization_id}/members`, { email, role: 'annotator', password });
    expect(invited.status, JSON.stringify(invited.json)).toBe(201);
    await login(page, server.url, email, password);
    await openAnnotate(page, server.url, pid);

    const first = await boxAndSubmit(page);
    const second = await boxAndSubmit(page);
    const held = await shownTask(page);
    expect(new Set([first, second, held]).size).toBe(3);
    // Work in progress on the held task, not submitted: it must be there when we come back.
    await page.keyboard.press('r');
    await drag(page, 30, 30, 90, 80);
    await expect.poll(() => objectCount(page)).toBe('1');

    // From here on the queue is not asked: going back and coming back take no lease.
    const nexts: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().endsWith(`/api/v1/projects/${pid}/next`)) nexts.push(r.url());
    });

    // F1 lists the key as what it now does.
    await page.keyboard.press('F1');
    const help = page.getByTestId('shortcut-help');
    const previousRow = help.getByRole('row').filter({ hasText: 'Previous task' });
    expect(await previousRow.textContent()).toMatch(/the one you submitted before.*Ctrl\+←/);
    await page.keyboard.press('Escape');
    await help.waitFor({ state: 'detached' });

    await page.keyboard.press('Control+ArrowLeft');
    const banner = page.getByTestId('editing-submitted');
    await banner.waitFor();
    await expect.poll(() => openTaskId(page)).toBe(second);
    await page.keyboard.press('Control+ArrowLeft');
    await expect.poll(() => openTaskId(page)).toBe(first);
    await stageDrawn(page);
    expect(await banner.textContent()).toMatch(new RegExp(`Editing task #${first}, which you submitted.*your submit 2 of 2 here`, 's'));
    // Its submitted result, loaded for editing; no Skip for submitted work.
    await expect.poll(() => objectCount(page)).toBe('1');
    const label = page.getByTestId('object-row').getByLabel('Label');
    expect(await label.inputValue()).toBe('car');
    expect(await page.getByRole('button', { name: 'Skip', exact: true }).count()).toBe(0);

    await label.selectOption('bike');
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    // Leaving with the change unsaved asks first; Esc stays.
    await page.keyboard.press('Control+ArrowRight');
    const leaving = page.getByTestId('confirm-leave');
    await leaving.waitFor();
    await page.keyboard.press('Escape');
    await leaving.waitFor({ state: 'detached' });
    expect(await openTaskId(page)).toBe(first);
    await shot(page, 'workspace-editing-submitted');

    // Save: back to the task held in the queue, with a note.
    await page.keyboard.press('Control+Enter');
    await page.getByTestId('walk-note').filter({ hasText: `Saved your correction of task #${first} as revision 2.` }).waitFor({ timeout: 10_000 });
    await banner.waitFor({ state: 'detached' });
    expect(await shownTask(page)).toBe(held);
    expect(nexts).toEqual([]);
    await expect.poll(() => objectCount(page)).toBe('1'); // the held task's unsubmitted box

    // The server has the correction as revision 2, and the submitted result as revision 1.
    const stored = await api<{ id: number; revision: number; result: { label: string }[] }[]>('GET', `/api/v1/tasks/${first}/annotations`);
    expect(stored.json).toHaveLength(1);
    expect(stored.json[0]?.revision).toBe(2);
    expect(stored.json[0]?.result.map((r) => r.label)).toEqual(['bike']);
    const revisions = await api<{ revision: number; result: { label: string }[] }[]>('GET', `/api/v1/annotations/${stored.json[0]?.id}/revisions`);
    expect(revisions.json.map((r) => [r.revision, r.result[0]?.label])).toEqual([[1, 'car'], [2, 'bike']]);
    const untouched = await api<{ revision: number }[]>('GET', `/api/v1/tasks/${second}/annotations`);
    expect(untouched.json[0]?.revision).toBe(1);

    // The queue goes on with the held task, then has nothing left.
    await page.keyboard.press('Control+Enter');
    await page.getByText('No task left for you in this project.').waitFor({ timeout: 10_000 });
    expect(nexts.length).toBe(1); // the one after that submit

    // Nothing left in the queue: Ctrl+← opens the latest submit; "Back to queue" returns.
    await page.keyboard.press('Control+ArrowLeft');
    await banner.waitFor();
    expect(await shownTask(page)).toBe(held);
    await page.getByTestId('back-to-queue').click();
    await page.getByText('No task left for you in this project.').waitFor();
  });
});
