/**
 * Browser test of shortcut remapping (F2): rebinds "Rectangle" from R to G, sees a conflict block
 * saving until it is resolved, saves; the preference is on the server (GET /auth/preferences).
 * After a reload with this browser's copy removed, the map comes back from the server: F1 shows
 * G, G draws a box and R does not.
 */

import type { Page } from 'playwright-core';
import { describe, expect } from 'vitest';
import { AVAILABLE, shot } from './browser';
import { drag, it, login, objectCount, openAnnotate, projectNamed, stageDrawn } from './helpers';

const row = (page: Page, action: string) => page.getByTestId('keymap-settings').locator(`tr[data-action="${action}"]`);
const boxPressed = (page: Page) => page.getByRole('toolbar', { name: 'Tools' }).getByRole('button', { name: 'Box' }).getAttribute('aria-pressed');

describe.skipIf(!AVAILABLE)('shortcut remapping', () => {
  it('rebinds Rectangle to G with F2, saves on the server, and uses it after a reload', async ({ server, api, page }) => {
    const me = (await api<{ user: { id: number } }>('GET', '/api/v1/auth/me')).json;
    expect((await api('GET', '/api/v1/auth/preferences')).json).toEqual({});
    const pid = await projectNamed(api, 'Shapes (images)');

    await login(page, server.url, server.email, server.password);
    await openAnnotate(page, server.url, pid);

    await page.keyboard.press('F2');
    const panel = page.getByTestId('keymap-settings');
    await panel.waitFor();
    expect(await row(page, 'tool.rectangle').locator('kbd').allTextContents()).toEqual(['R']);

    // Change: the next key press is the new chord; Esc cancels a change.
    await page.getByRole('button', { name: 'Change Rectangle', exact: true }).click();
    await page.getByTestId('keymap-capturing').waitFor();
    await page.keyboard.press('Escape');
    await expect.poll(() => row(page, 'tool.rectangle').locator('kbd').allTextContents()).toEqual(['R']);
    await panel.waitFor(); // Esc while recording does not close the panel

    await page.getByRole('button', { name: 'Change Rectangle', exact: true }).click();
    await page.keyboard.press('g');
    await expect.poll(() => row(page, 'tool.rectangle').locator('kbd').allTextContents()).toEqual(['G']);

    // A conflict (Polygon on G too) blocks saving until it is reset.
    await page.getByRole('button', { name: 'Change Polygon', exact: true }).click();
    await page.keyboard.press('g');
    await page.getByTestId('keymap-conflicts').waitFor();
    expect(await page.getByTestId('keymap-conflicts').textContent()).toMatch(/G.*Rectangle and Polygon/);
    expect(await panel.getByRole('button', { name: 'Save', exact: true }).isDisabled()).toBe(true);
    await shot(page, 'workspace-keymap-conflict');
    await page.getByRole('button', { name: 'Reset Polygon', exact: true }).click();
    await page.getByTestId('keymap-conflicts').waitFor({ state: 'detached' });
    expect(await row(page, 'tool.polygon').locator('kbd').allTextContents()).toEqual(['P']);

    await panel.getByRole('button', { name: 'Save', exact: true }).click();
    await panel.waitFor({ state: 'detached' });

    // On the server, and in this browser under the user's id.
    const saved = await api<{ keymap: Record<string, string[]>; updated_at?: string }>('GET', '/api/v1/auth/preferences');
    expect(saved.json.keymap).toEqual({ 'tool.rectangle': ['G'] });
    const key = `accord.preferences.${me.user.id}`;
    expect(await page.evaluate((k) => localStorage.getItem(k), key)).toContain('"tool.rectangle":["G"]');

    // Reload without the local copy: the map must come from the server.
    await page.evaluate((k) => localStorage.removeItem(k), key);
    await page.reload();
    await stageDrawn(page);
    await expect.poll(() => page.evaluate((k) => localStorage.getItem(k), key)).toContain('"tool.rectangle":["G"]');

    // F1 lists the new key.
    await page.keyboard.press('F1');
    const help = page.getByTestId('shortcut-help');
    await help.waitFor();
    expect(await help.locator('tr', { hasText: /^Rectangle/ }).locator('kbd').allTextContents()).toEqual(['G']);
    await page.keyboard.press('Escape');
    await help.waitFor({ state: 'detached' });

    // The old key does nothing; the new one draws a rectangle.
    const before = Number(await objectCount(page));
    await page.keyboard.press('r');
    expect(await boxPressed(page)).toBe('false');
    await drag(page, 60, 60, 160, 140);
    await page.waitForTimeout(200);
    expect(Number(await objectCount(page))).toBe(before);

    await page.keyboard.press('g');
    expect(await boxPressed(page)).toBe('true');
    await drag(page, 60, 60, 160, 140);
    await expect.poll(async () => Number(await objectCount(page))).toBe(before + 1);
    await shot(page, 'workspace-keymap-remapped');
  });
});
