/**
 * Browser test of role-aware screens: an annotator sees projects with Annotate only (no Data,
 * Import, Settings, Dashboard or Members, no "progress unavailable"), a manager page opened by
 * address says the role cannot use it instead of loading forever; a manager still sees them all.
 */

import { describe, expect } from 'vitest';
import { AVAILABLE } from './browser';
import { it, createProject, login } from './helpers';


const SCHEMA = 'media: image\ntools:\n  - name: objects\n    type: bbox\n    labels: [thing]\n';

describe.skipIf(!AVAILABLE)('screens by role', () => {
  it('shows an annotator only what an annotator may do', async ({ server, api, page }) => {
    const pid = await createProject(api, 'Roles', SCHEMA);
    const project = (await api<{ organization_id: number }>('GET', `/api/v1/projects/${pid}`)).json;
    const email = 'just.annotating@accord.test';
    const password = 'annotate-me-please-42';
    const invited = await api('POST', `/api/v1/organizations/${project.organization_id}/members`, { email, role: 'annotator', password });
    expect(invited.status, JSON.stringify(invited.json)).toBe(201);

    await login(page, server.url, email, password);
    const list = page.getByTestId('projects');
    const row = list.getByRole('row').filter({ hasText: 'Roles' });
    expect(await row.getByRole('link', { name: 'Annotate' }).count()).toBe(1);
    expect(await row.getByRole('link', { name: 'Data' }).count()).toBe(0);
    expect(await list.getByText('progress unavailable').count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Members' }).count()).toBe(0);

    await page.goto(`${server.url}/#/projects/${pid}/settings`);
    await page.getByTestId('barred').waitFor();
    const tabs = page.getByRole('navigation', { name: 'Project' });
    for (const name of ['Dashboard', 'Data', 'Import', 'Settings']) expect(await tabs.getByRole('link', { name }).count()).toBe(0);
    expect(await page.getByText('Delete project').count()).toBe(0);

    // Members by address: the server's refusal, never "Loading…" under it.
    await page.goto(`${server.url}/#/members`);
    await page.getByRole('alert').waitFor();
    expect(await page.getByText('Loading…').count()).toBe(0);
  });

  it('shows a manager every tab', async ({ server, api, browser, skip }) => {
    if (!server) skip();
    const ctx = await browser.newContext();
    const admin = await ctx.newPage();
    await login(admin, server.url, server.email, server.password);
    const pid = (await api<{ id: number; name: string }[]>('GET', '/api/v1/projects')).json.find((p) => p.name === 'Roles')?.id;
    await admin.goto(`${server.url}/#/projects/${pid}/dashboard`);
    const tabs = admin.getByRole('navigation', { name: 'Project' });
    await tabs.waitFor();
    for (const name of ['Dashboard', 'Data', 'Import', 'Settings']) expect(await tabs.getByRole('link', { name }).count()).toBe(1);
    expect(await admin.getByRole('link', { name: 'Members' }).count()).toBe(1);
    await ctx.close();
  });
});
