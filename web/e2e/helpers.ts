/** Shared steps of the browser tests: API calls with a token, uploads, jobs, login, stage mapping. */

import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import type { TestServer } from './server';

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

/** Wait until a job has succeeded (fails on `failed` / `cancelled`). */
export async function waitForJob(api: Api, jobId: number): Promise<void> {
  await expect
    .poll(async () => (await api<{ state: string }>('GET', `/api/v1/jobs/${jobId}`)).json.state, { timeout: 30_000 })
    .toMatch(/^(succeeded|failed|cancelled)$/);
  expect((await api<{ state: string }>('GET', `/api/v1/jobs/${jobId}`)).json.state).toBe('succeeded');
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

/** Open the annotate queue of a project and wait for the workspace to have drawn. */
export async function openAnnotate(page: Page, url: string, projectId: number): Promise<void> {
  await page.goto(`${url}/#/projects/${projectId}/annotate`);
  await page.locator('[data-testid="stage"][data-scale]').waitFor();
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
