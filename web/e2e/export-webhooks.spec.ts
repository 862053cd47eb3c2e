/**
 * Exports and webhooks in the browser: a manager exports the data manager's filtered view as
 * COCO, sees the report of what COCO dropped and downloads the zip (its annotations.json holds the
 * filtered tasks' boxes only); an annotator is offered no Export; an admin creates a webhook to a
 * loopback receiver, sees its secret once, pings it and sees the delivery succeed in the log
 * (the receiver checks the signature).
 */

import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inflateRawSync } from 'node:zlib';
import { describe, expect } from 'vitest';
import { AVAILABLE, newPage, shot } from './browser';
import { apiAs, createProject, invite, it, login, uploadFiles, type Api } from './helpers';
import { makePng } from './png';
import { startServer } from './server';

const SCHEMA = 'media: image\ntools:\n  - name: objects\n    type: bbox\n    labels: [car, person]\n  - name: weather\n    type: classification\n    choices: [sunny, rain]\n';
const box = (id: string, label: string, x: number) => ({ id, type: 'bbox', tool: 'objects', label, geometry: { x, y: 10, width: 20, height: 15 } });

/** This file's own server: webhooks may be sent to loopback addresses (the test's receiver). */
const itPrivate = it.extend('hooked', { scope: 'file' }, async ({}, { onCleanup }) => {
  const server = await startServer({ ACCORD_WEBHOOK_ALLOW_PRIVATE: '1' });
  onCleanup(() => server.stop());
  return server;
});

/** The files of a zip archive by name (stored or deflated entries, read through the central directory). */
function unzip(buf: Buffer): Map<string, Buffer> {
  let eocd = buf.length - 22;
  while (eocd >= 0 && buf.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  if (eocd < 0) throw new Error('not a zip: no end of central directory');
  const entries = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const out = new Map<string, Buffer>();
  for (let i = 0; i < entries; i++) {
    if (buf.readUInt32LE(at) !== 0x02014b50) throw new Error('bad central directory entry');
    const method = buf.readUInt16LE(at + 10);
    const size = buf.readUInt32LE(at + 20);
    const nameLen = buf.readUInt16LE(at + 28);
    const skip = buf.readUInt16LE(at + 30) + buf.readUInt16LE(at + 32);
    const local = buf.readUInt32LE(at + 42);
    const name = buf.toString('utf8', at + 46, at + 46 + nameLen);
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const raw = buf.subarray(start, start + size);
    out.set(name, method === 8 ? inflateRawSync(raw) : Buffer.from(raw));
    at += 46 + nameLen + skip;
  }
  return out;
}

/** Take the next task as `who` and submit `result`; returns the task's id. */
async function annotateNext(who: Api, pid: number, result: unknown[]): Promise<number> {
  const next = await who<{ task: { id: number } }>('POST', `/api/v1/projects/${pid}/next`);
  expect(next.status, JSON.stringify(next.json)).toBe(200);
  const r = await who('POST', `/api/v1/tasks/${next.json.task.id}/annotations`, { id: `sub-${Math.random()}`, result, lead_time: 3 });
  expect(r.status, JSON.stringify(r.json)).toBe(201);
  return next.json.task.id;
}

describe.skipIf(!AVAILABLE)('Exports and webhooks', () => {
  let pid = 0;
  let withBoth = 0;
  let carOnly = 0;

  itPrivate('a manager exports the filtered data manager view as COCO and downloads it', async ({ hooked: server, page }) => {
    const admin = apiAs(server);
    pid = await createProject(admin, 'Street scenes', SCHEMA);
    await uploadFiles(server, pid, [1, 2, 3].map((i) => ({ name: `street-${i}.png`, data: makePng(64, 48, [40 * i, 90, 160]) })));
    withBoth = await annotateNext(admin, pid, [box('a', 'car', 2), box('b', 'person', 30), { id: 'w', tool: 'weather', type: 'classification', value: { choices: ['rain'] } }]);
    carOnly = await annotateNext(admin, pid, [box('c', 'car', 5)]);
    await annotateNext(admin, pid, [box('d', 'person', 8)]);

    await invite(server, { email: 'maya@example.com', password: 'manager-pass-1', role: 'manager', name: 'Maya' });
    await login(page, server.url, 'maya@example.com', 'manager-pass-1');
    await page.goto(`${server.url}/#/projects/${pid}/tasks`);
    await expect.poll(() => page.getByTestId('task-total').textContent()).toBe('3 tasks');
    await page.locator('input[name="label"]').fill('car');
    await expect.poll(() => page.getByTestId('task-total').textContent()).toBe('2 tasks');

    await page.getByTestId('export-filtered').click();
    const dialog = page.getByTestId('export-dialog');
    await dialog.getByRole('heading', { name: 'Export 2 tasks' }).waitFor();
    expect(await dialog.getByTestId('export-format').inputValue()).toBe('coco');
    // Only the formats that hold images are offered.
    const offered = await dialog.getByTestId('export-format').locator('option').allInnerTexts();
    expect(offered.length).toBeGreaterThan(3);
    expect(offered.join(' ')).not.toMatch(/CoNLL|spaCy/i);
    expect(await dialog.getByRole('radio', { name: /Consensus/ }).isDisabled()).toBe(true);
    await dialog.getByTestId('export-start').click();
    await expect.poll(() => dialog.getByTestId('export-state').textContent(), { timeout: 60_000 }).toBe('succeeded');

    // The report says what COCO dropped (the image-level answer), linking to the task.
    const report = dialog.getByTestId('export-report');
    await report.getByRole('link', { name: `#${withBoth}` }).waitFor();
    expect(await report.getByRole('link', { name: `#${withBoth}` }).getAttribute('href')).toBe(`#/projects/${pid}/tasks/${withBoth}`);
    await shot(page, 'export-dialog');

    const [download] = await Promise.all([page.waitForEvent('download'), dialog.getByTestId('export-download').click()]);
    // One file without media is served as itself (annotations.json), else as a zip holding it.
    const bytes = readFileSync((await download.path()) as string);
    const json = bytes.subarray(0, 2).toString() === 'PK' ? (unzip(bytes).get('annotations.json') as Buffer) : bytes;
    const coco = JSON.parse(json.toString('utf8')) as { images: unknown[]; annotations: { category_id: number }[] };
    expect(coco.images).toHaveLength(2);
    expect(coco.annotations).toHaveLength(3);

    // The export was asked with the data manager's filter, exactly as the table asks.
    const listed = await admin<{ id: number; filter: Record<string, unknown>; task_count: number }[]>('GET', `/api/v1/projects/${pid}/exports`);
    expect(listed.json).toHaveLength(1);
    expect(listed.json[0]!.filter).toEqual({ label: 'car' });
    expect(listed.json[0]!.task_count).toBe(2);
    expect([withBoth, carOnly].every((t) => t > 0)).toBe(true);

    // The Exports tab lists it with the manager's name; a manager sees no Webhooks.
    await page.keyboard.press('Escape');
    await page.goto(`${server.url}/#/projects/${pid}/exports`);
    const row = page.getByTestId('export-row');
    await row.waitFor();
    expect(await row.textContent()).toContain('Maya');
    expect(await row.textContent()).toContain('(filtered)');
    expect(await page.getByRole('link', { name: 'Webhooks' }).count()).toBe(0);
    await shot(page, 'exports-list');
  });

  itPrivate('an annotator is offered no Export', async ({ hooked: server, browser }) => {
    await invite(server, { email: 'ann@example.com', password: 'annotator-pass-1', role: 'annotator' });
    const page = await newPage(browser, 'annotator');
    await login(page, server.url, 'ann@example.com', 'annotator-pass-1');
    await page.goto(`${server.url}/#/projects/${pid}`);
    await page.getByRole('heading', { name: 'Street scenes' }).waitFor();
    expect(await page.getByTestId('export-open').count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Exports' }).count()).toBe(0);
    await page.goto(`${server.url}/#/projects/${pid}/exports`);
    await page.getByTestId('barred').waitFor();
    expect(await page.getByTestId('export-list').count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Webhooks' }).count()).toBe(0);
    await page.close();
  });

  itPrivate('an admin creates a webhook, sees its secret once, pings it and sees the delivery succeed', async ({ hooked: server, browser }) => {
    const received: { headers: IncomingHttpHeaders; body: string }[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      });
    });
    await new Promise<void>((ok) => receiver.listen(0, '127.0.0.1', ok));
    const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    try {
      const page = await newPage(browser, 'admin');
      await login(page, server.url, server.email, server.password);
      await page.getByRole('link', { name: 'Webhooks' }).click();
      await page.getByTestId('no-webhooks').waitFor();
      await page.locator('input[name="url"]').fill(hookUrl);
      await page.getByRole('button', { name: 'Create webhook' }).click();
      const shown = page.getByTestId('webhook-secret');
      await shown.waitFor();
      const secret = ((await page.getByTestId('secret-value').textContent()) ?? '').trim();
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]{40,}$/);
      expect(await shown.textContent()).toContain('It is not shown again');
      await shot(page, 'webhook-secret');

      // Shown once: gone after Done, and not there after a reload either.
      await shown.getByRole('button', { name: 'Done' }).click();
      expect(await page.getByTestId('webhook-secret').count()).toBe(0);
      await page.reload();
      await page.getByTestId('webhook-row').waitFor();
      expect(await page.getByTestId('webhook-secret').count()).toBe(0);
      expect(await page.content()).not.toContain(secret);
      expect(await page.getByTestId('webhook-row').textContent()).toContain('all events');

      await page.getByTestId('webhook-ping').click();
      const state = page.getByTestId('delivery-state').first();
      await expect.poll(() => state.textContent(), { timeout: 30_000 }).toBe('succeeded');
      const delivered = page.getByTestId('delivery-row').first();
      expect(await delivered.textContent()).toContain('webhook.ping');
      expect(await delivered.locator('td').nth(3).textContent()).toBe('200');
      await shot(page, 'webhook-deliveries');

      // The receiver got the ping, signed with the secret shown (Standard Webhooks).
      const ping = received.find((r) => r.body.includes('webhook.ping'));
      expect(ping).toBeDefined();
      const id = ping!.headers['webhook-id'] as string;
      const ts = ping!.headers['webhook-timestamp'] as string;
      const expected = 'v1,' + createHmac('sha256', Buffer.from(secret.slice('whsec_'.length), 'base64')).update(`${id}.${ts}.${ping!.body}`).digest('base64');
      expect((ping!.headers['webhook-signature'] as string).split(' ')).toContain(expected);

      // Redeliver sends it again under the same message id.
      await delivered.getByRole('button', { name: 'Redeliver' }).click();
      await expect.poll(() => page.getByTestId('delivery-row').count(), { timeout: 15_000 }).toBe(2);
      await expect.poll(() => received.filter((r) => r.headers['webhook-id'] === id).length, { timeout: 30_000 }).toBe(2);
      await page.close();
    } finally {
      receiver.close();
    }
  });
});
