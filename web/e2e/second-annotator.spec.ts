/**
 * Browser test of the queue with two people: on a project with overlap 1 and two tasks, while the
 * admin holds the lease on task A, an annotator invited through the API (own browser context,
 * own login) opens Annotate and gets task B; after both submit, nobody is offered A (or B) again.
 */

import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AVAILABLE, launch, shot } from './browser';
import { apiAs, createProject, login, objectCount, openAnnotate, openTaskId, stageTransform, uploadFiles, type Api } from './helpers';
import { makePng } from './png';
import { startServer, type TestServer } from './server';

let server: TestServer;
let browser: Browser;
let admin: Page;
let second: BrowserContext;
let annotator: Page;
let api: Api;

const SCHEMA = 'media: image\ntools:\n  - name: objects\n    type: bbox\n    labels: [thing]\n';
const NOTHING_LEFT = 'No task left for you in this project.';

beforeAll(async () => {
  if (!AVAILABLE) return;
  server = await startServer();
  api = apiAs(server);
  ({ browser, page: admin } = await launch());
  second = await browser.newContext({ viewport: { width: 1360, height: 860 } });
  annotator = await second.newPage();
  annotator.on('pageerror', (e) => console.error('page error (annotator):', e));
});

afterAll(async () => {
  await second?.close();
  await browser?.close();
  await server?.stop();
});

/** Draw one box in the open workspace and submit it with Ctrl+Enter. */
async function boxAndSubmit(page: Page): Promise<void> {
  const t = await stageTransform(page);
  await page.keyboard.press('r');
  await page.mouse.move(...t.toPage(40, 40));
  await page.mouse.down();
  await page.mouse.move(...t.toPage(120, 100), { steps: 4 });
  await page.mouse.up();
  await expect.poll(() => objectCount(page)).toBe('1');
  await page.keyboard.press('Control+Enter');
}

describe.skipIf(!AVAILABLE)('a second annotator', () => {
  it('gets another task while the first holds a lease, and a submitted task is never handed out again', async () => {
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
