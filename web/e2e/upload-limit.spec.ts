/** A file over the server's upload limit is named on the import page before anything is sent. */

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { AVAILABLE } from './browser';
import { apiAs, createProject, it, login } from './helpers';
import { startServer } from './server';

/** This file's own server, whose upload limit is 1 KiB. */
const withLimit = it.extend('limited', { scope: 'file' }, async ({}, { onCleanup }) => {
  const server = await startServer({ ACCORD_MAX_UPLOAD_BYTES: '1024' });
  onCleanup(() => server.stop());
  return server;
});

describe.skipIf(!AVAILABLE)('Upload limit', () => {
  withLimit('names the file too large with its size and the limit, and sends nothing', async ({ limited: server, page }) => {
    const api = apiAs(server);
    const schema = 'media: image\ntools:\n  - {name: objects, type: bbox, labels: [car]}\n';
    const projectId = await createProject(api, 'Limits', schema);
    const dir = mkdtempSync(join(tmpdir(), 'accord-limit-'));
    const big = join(dir, 'big.jpg');
    writeFileSync(big, Buffer.alloc(3 * 1024, 1));
    await login(page, server.url, server.email, server.password);
    await page.goto(`${server.url}/#/projects/${projectId}/import`);
    await page.getByTestId('file-input').setInputFiles([big]);
    const alert = page.getByTestId('too-large');
    await alert.getByText('big.jpg is 3 KiB, larger than the limit of 1 KiB for one upload').waitFor();
    expect(await page.getByRole('button', { name: /^Import/ }).isDisabled()).toBe(true);
    const tasks = await api<{ items: unknown[] }>('GET', `/api/v1/projects/${projectId}/tasks`);
    expect(tasks.json.items).toEqual([]);
  });
});
