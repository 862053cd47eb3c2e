/**
 * Importing from the server: the folders and S3 prefixes an admin of the server granted to the
 * organization are offered on the import page, and one is imported without uploading anything.
 */

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { AVAILABLE, shot } from './browser';
import { apiAs, createProject, it, login } from './helpers';
import { startServer } from './server';

const roots = mkdtempSync(join(tmpdir(), 'accord-roots-'));

/** This file's own server, which may grant folders under `roots`. */
const withRoots = it.extend('rooted', { scope: 'file' }, async ({}, { onCleanup }) => {
  const server = await startServer({ ACCORD_IMPORT_ROOTS: JSON.stringify([roots]) });
  onCleanup(() => server.stop());
  return server;
});

describe.skipIf(!AVAILABLE)('Import from a granted source', () => {
  withRoots('offers the granted folders and imports one of their folders', async ({ rooted: server, page }) => {
    const api = apiAs(server);
    const schema = 'media: image\ntools:\n  - {name: objects, type: bbox, labels: [car]}\n';
    const projectId = await createProject(api, 'From the server', schema);
    const project = await api<{ organization_id: number }>('GET', `/api/v1/projects/${projectId}`);
    const org = project.json.organization_id;

    await login(page, server.url, server.email, server.password);
    await page.goto(`${server.url}/#/projects/${projectId}/import`);
    await page.getByTestId('no-sources').waitFor();

    const folder = join(roots, 'acme');
    mkdirSync(join(folder, 'week-1'), { recursive: true });
    writeFileSync(join(folder, 'week-1', 'tasks.jsonl'), '{"image": "https://x/1.png"}\n{"image": "https://x/2.png"}\n');
    writeFileSync(join(folder, 'other.jsonl'), '{"image": "https://x/3.png"}\n');
    // The demo login is the admin of this server: it grants the folder to its organization.
    const granted = await api<{ id: number }>('POST', `/api/v1/organizations/${org}/import-sources`, { name: 'acme drop', kind: 'folder', path: folder });
    expect(granted.status, JSON.stringify(granted.json)).toBe(201);

    await page.reload();
    const select = page.getByTestId('source-select');
    await select.waitFor();
    expect(await select.locator('option').allInnerTexts()).toEqual([`acme drop · ${folder}`]);
    await page.getByTestId('source-path').fill('week-1');
    await page.getByTestId('source-import').click();
    await expect.poll(() => page.getByTestId('job-state').textContent(), { timeout: 60_000 }).toBe('succeeded');
    await shot(page, 'import-source');
    const tasks = await api<{ items: { data: { image: string } }[] }>('GET', `/api/v1/projects/${projectId}/tasks`);
    expect(tasks.json.items.map((t) => t.data.image)).toEqual(['https://x/1.png', 'https://x/2.png']);

    // A folder that tries to leave the source is refused, and says why.
    await page.getByTestId('source-path').fill('../..');
    await page.getByTestId('source-import').click();
    await page.getByRole('alert').getByText("source.path: '..' is not allowed").waitFor();
  });
});
