/**
 * Browser test of the queue with two people: on a project with overlap 1 and two tasks, while the
 * admin holds the lease on task A, an annotator invited through the API (own browser context,
 * own login) opens Annotate and gets task B; after both submit, nobody is offered A (or B) again.
 */

import type { Page } from 'playwright-core';
import { describe, expect } from 'vitest';
import { AVAILABLE, newPage, shot } from './browser';
import { createProject, drag, it, login, objectCount, openAnnotate, openTaskId, uploadFiles } from './helpers';
import { makePng } from './png';

const SCHEMA = 'media: image\ntools:\n  - name: objects\n    type: bbox\n    labels: [thing]\n';
const NOTHING_LEFT = 'No task left for you in this project.';

/** Draw one box in the open workspace and submit it with Ctrl+Enter. */
async function boxAndSubmit(page: Page): Promise<void> {
  await page.keyboard.press('r');
  await drag(page, 40, 40, 120, 100);
  await expect.poll(() => objectCount(page)).toBe('1');
  await page.keyboard.press('Control+Enter');
}

describe.skipIf(!AVAILABLE)('a second annotator', () => {
  it('gets another task while the first holds a lease, and a submitted task is never handed out again', async ({ server, api, browser, page: admin }) => {
    const annotator = await newPage(browser, 'annotator'); // a context of its own: another login
    const pid = await createProject(api, 'Two people', SCHEMA, { overlap: 1 });
    await uploadFiles(server, pid, [
      { name: 'a.png', data: makePng(200, 150, [200, 80, 80]) },
      { name: 'b.png', data: makePng(200, 150, [80, 200, 80]) },
    ]);
    const project = (await api<{ organization_id: number }>('GET', `/api/v1/projects/${pid}`)).json;
    const email = 'second.annotator@accord.test';
    const password = 'annotate-me-please-42';
    const invited = await api('POST', `/api/v1/organizations/${project.organization_id}/members`, { email, role: 'annotator', password });
    expect(invited.status, JSON.stringify(invited.json)).toBe(201);

    // The admin takes task A and keeps the lease (no submit yet).
    await login(admin, server.url, server.email, server.password);
    await openAnnotate(admin, server.url, pid);
    const taskA = await openTaskId(admin);

    // The annotator, in a separate browser context, gets a different task.
    await login(annotator, server.url, email, password);
    await openAnnotate(annotator, server.url, pid);
    const taskB = await openTaskId(annotator);
    expect(taskB).toBeGreaterThan(0);
    expect(taskB).not.toBe(taskA);
    await shot(annotator, 'annotate-second-annotator');

    // The admin submits A: with overlap 1 and B leased, nothing is left for the admin.
    await boxAndSubmit(admin);
    await admin.getByText(NOTHING_LEFT).waitFor({ timeout: 10_000 });

    // The annotator submits B and is not offered A.
    await boxAndSubmit(annotator);
    await annotator.getByText(NOTHING_LEFT).waitFor({ timeout: 10_000 });

    // Asking again (a fresh queue request each) still hands out nothing.
    for (const page of [admin, annotator]) {
      const answer = page.waitForResponse((r) => r.url().endsWith(`/api/v1/projects/${pid}/next`));
      await page.getByRole('button', { name: 'Check again' }).click();
      expect((await answer).status()).toBe(204);
      await page.getByText(NOTHING_LEFT).waitFor();
    }
    // Exactly one annotation each: overlap 1 was honoured.
    for (const task of [taskA, taskB]) {
      const list = await api<unknown[]>('GET', `/api/v1/tasks/${task}/annotations`);
      expect(list.status).toBe(200);
      expect(list.json).toHaveLength(1);
    }
  });
});
