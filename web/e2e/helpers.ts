/**
 * What the browser tests share: `it` with the server, API and browser fixtures, API calls with a
 * token, uploads, imports, jobs, login, opening the workspace, stage mapping.
 */

import type { Page } from 'playwright-core';
import { test, expect } from 'vitest';
import { launchBrowser, newPage } from './browser';
import { startServer, type TestServer } from './server';

/**
 * The browser tests' `it`, with file-scoped fixtures: `server` (a fresh `accord-server` with the
 * demo on a free port), `api` (the demo admin's API caller), `browser` (headless Chromium) and
 * `page` (its first page). A fixture starts when a test of the file first asks for it (name it in
 * the test's destructured argument) and stops after the file's last test, so the tests of a file
 * share one server and one page, in order.
 */
export const it = test
  .extend('server', { scope: 'file' }, async ({}, { onCleanup }) => {
    const server = await startServer();
    onCleanup(() => server.stop());
    return server;
  })
  .extend('api', { scope: 'file' }, ({ server }) => apiAs(server))
  .extend('browser', { scope: 'file' }, async ({}, { onCleanup }) => {
    const browser = await launchBrowser();
    onCleanup(() => browser.close());
    return browser;
  })
  .extend('page', { scope: 'file' }, ({ browser }) => newPage(browser));

/** A JSON API call's status and body. */
export interface ApiAnswer<T> {
  status: number;
  json: T;
}

/** A JSON API caller authenticated with `token` (default: the demo admin's). */
export function apiAs(server: TestServer, token: string = server.token) {
  return async function api<T>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> {
    const r = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await r.text();
    return { status: r.status, json: (text ? JSON.parse(text) : null) as T };
  };
}

export type Api = ReturnType<typeof apiAs>;

/** A new member of the demo organization (invited by the admin with a first password); their API caller, with a token made from a login. */
export async function invite(server: TestServer, who: { email: string; password: string; role: string; name?: string }): Promise<Api> {
  const admin = apiAs(server);
  const me = await admin<{ memberships: { organization_id: number }[] }>('GET', '/api/v1/auth/me');
  const org = me.json.memberships[0]!.organization_id;
  const invited = await admin('POST', `/api/v1/organizations/${org}/members`, who);
  expect(invited.status, JSON.stringify(invited.json)).toBe(201);
  const login = await fetch(`${server.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: who.email, password: who.password }),
  });
  expect(login.status).toBe(200);
  const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const csrf = /csrf[^=]*=([^;]+)/.exec(cookie)?.[1] ?? '';
  const made = await fetch(`${server.url}/api/v1/auth/tokens`, {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': csrf },
    body: JSON.stringify({ name: 'e2e' }),
  });
  expect(made.status).toBe(201);
  return apiAs(server, ((await made.json()) as { token: string }).token);
}

/** Wait until a job has succeeded (fails on `failed` / `cancelled`). */
export async function waitForJob(api: Api, jobId: number): Promise<void> {
  await expect
    .poll(async () => (await api<{ state: string }>('GET', `/api/v1/jobs/${jobId}`)).json.state, { timeout: 30_000 })
    .toMatch(/^(succeeded|failed|cancelled)$/);
  expect((await api<{ state: string }>('GET', `/api/v1/jobs/${jobId}`)).json.state).toBe('succeeded');
}

/** The id of a project by its name (the demo's "Shapes (images)", say); fails when there is none. */
export async function projectNamed(api: Api, name: string): Promise<number> {
  const projects = await api<{ id: number; name: string }[]>('GET', '/api/v1/projects');
  const id = projects.json.find((p) => p.name === name)?.id;
  expect(id, `no project named ${name}`).toBeGreaterThan(0);
  return id as number;
}

/** Import tasks as JSON through `POST /projects/{id}/imports` and wait for the job. */
export async function importTasks(api: Api, projectId: number, tasks: Record<string, unknown>[]): Promise<void> {
  const job = await api<{ id: number }>('POST', `/api/v1/projects/${projectId}/imports`, { tasks });
  expect(job.status, JSON.stringify(job.json)).toBe(202);
  await waitForJob(api, job.json.id);
}

/** A project from a YAML schema (plus other ProjectCreate fields); returns its id. */
export async function createProject(api: Api, name: string, labelSchema: string, extra: Record<string, unknown> = {}): Promise<number> {
  const r = await api<{ id: number }>('POST', '/api/v1/projects', { name, label_schema: labelSchema, ...extra });
  expect(r.status, JSON.stringify(r.json)).toBe(201);
  return r.json.id;
}

/** Upload files through `POST /projects/{id}/imports/files` (field `files`) and wait for the job. */
export async function uploadFiles(server: TestServer, projectId: number, files: { name: string; data: Buffer; type?: string }[]): Promise<void> {
  const form = new FormData();
  for (const f of files) form.append('files', new Blob([new Uint8Array(f.data)], { type: f.type ?? 'image/png' }), f.name);
  const r = await fetch(`${server.url}/api/v1/projects/${projectId}/imports/files`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.token}` },
    body: form,
  });
  const job = (await r.json()) as { id: number };
  expect(r.status, JSON.stringify(job)).toBe(202);
  await waitForJob(apiAs(server), job.id);
}

/** Log in through the login screen and wait for the project list. */
export async function login(page: Page, url: string, email: string, password: string): Promise<void> {
  await page.goto(`${url}/`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByTestId('projects').waitFor();
}

/** Wait until the workspace's stage has drawn (it then exposes its viewport in `data-scale`). */
export async function stageDrawn(page: Page): Promise<void> {
  await page.locator('[data-testid="stage"][data-scale]').waitFor();
}

/** Open the annotate queue of a project and wait for the workspace to have drawn. */
export async function openAnnotate(page: Page, url: string, projectId: number): Promise<void> {
  await page.goto(`${url}/#/projects/${projectId}/annotate`);
  await stageDrawn(page);
}

/** Drag with the mouse from (x0, y0) to (x1, y1) in image pixels, through the midpoint. */
export async function drag(page: Page, x0: number, y0: number, x1: number, y1: number): Promise<void> {
  const t = await stageTransform(page);
  await page.mouse.move(...t.toPage(x0, y0));
  await page.mouse.down();
  await page.mouse.move(...t.toPage((x0 + x1) / 2, (y0 + y1) / 2), { steps: 3 });
  await page.mouse.move(...t.toPage(x1, y1), { steps: 3 });
  await page.mouse.up();
}

/** The id of the task open in the workspace ("Task #12"). */
export async function openTaskId(page: Page): Promise<number> {
  const title = await page.getByText(/^Task #\d+$/).textContent();
  return Number(/\d+/.exec(title ?? '')?.[0]);
}

/** The workspace's object count. */
export const objectCount = (page: Page) => page.getByTestId('object-count').textContent();

/** The stage's screen <-> image transform as the workspace last drew it. */
export async function stageTransform(page: Page) {
  const stage = page.getByTestId('stage');
  const box = await stage.boundingBox();
  const data = await stage.evaluate((el: HTMLElement) => ({ ...el.dataset }));
  if (!box) throw new Error('no stage');
  const scale = Number(data['scale']);
  const ox = Number(data['offsetX']);
  const oy = Number(data['offsetY']);
  return {
    scale,
    /** Image pixels -> page CSS pixels. */
    toPage: (x: number, y: number): [number, number] => [box.x + x * scale + ox, box.y + y * scale + oy],
    /** Page CSS pixels -> image pixels. */
    toImage: (px: number, py: number): [number, number] => [(px - box.x - ox) / scale, (py - box.y - oy) / scale],
    /** Image pixels -> CSS pixels inside the stage. */
    toStage: (x: number, y: number): [number, number] => [x * scale + ox, y * scale + oy],
  };
}
