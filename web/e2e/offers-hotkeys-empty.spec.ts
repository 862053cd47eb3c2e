/**
 * Browser test of issue 12's workspace findings: a text project (no browser view yet) is not
 * offered "Annotate" in the project list; the schema's label hotkeys (4/5/6) are the keys in the
 * palette and pick their labels; a submit with no region asks first (Esc keeps working, Enter
 * submits), a submit with a region does not; a skip asks too.
 */

import { describe, expect } from 'vitest';
import { AVAILABLE } from './browser';
import { it, createProject, login, objectCount, openAnnotate, openTaskId, stageTransform, uploadFiles } from './helpers';
import { makePng } from './png';


const HOTKEYS = `media: image
tools:
  - name: objects
    type: bbox
    labels:
      - {name: car, hotkey: "4"}
      - {name: person, hotkey: "5"}
      - {name: bike, hotkey: "6"}
`;
const TEXT = 'media: text\ntools:\n  - name: entities\n    type: span\n    labels: [PER]\n';

describe.skipIf(!AVAILABLE)('offers, hotkeys and empty submits', () => {
  it('offers no Annotate for a medium without a browser view', async ({ server, api, page }) => {
    await createProject(api, 'Reviews to tag', TEXT);
    await login(page, server.url, server.email, server.password);
    const row = page.getByTestId('projects').getByRole('row').filter({ hasText: 'Reviews to tag' });
    await row.getByTestId('view-coming').waitFor();
    expect(await row.getByRole('link', { name: 'Annotate' }).count()).toBe(0);
    const image = page.getByTestId('projects').getByRole('row').filter({ hasText: 'image' }).first();
    expect(await image.getByRole('link', { name: 'Annotate' }).count()).toBe(1);
  });

  it('picks labels by the schema hotkeys and asks before an empty submit', async ({ server, api, page }) => {
    const pid = await createProject(api, 'Hotkeys', HOTKEYS, { overlap: 1 });
    await uploadFiles(server, pid, [
      { name: 'a.png', data: makePng(320, 240, [200, 80, 80]) },
      { name: 'b.png', data: makePng(320, 240, [80, 200, 80]) },
    ]);
    await openAnnotate(page, server.url, pid);
    expect(await page.getByTestId('label-key').allTextContents()).toEqual(['4', '5', '6']);

    // Ctrl+Enter with no region: the question; Esc goes back to the same task.
    const first = await openTaskId(page);
    await page.keyboard.press('Control+Enter');
    const dialog = page.getByTestId('confirm-empty');
    await dialog.waitFor();
    expect(await dialog.textContent()).toMatch(/no region/);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await openTaskId(page)).toBe(first);

    // 6 picks "bike" (not the first label); a box then submits without a question.
    await page.keyboard.press('6');
    const t = await stageTransform(page);
    await page.keyboard.press('r');
    await page.mouse.move(...t.toPage(40, 40));
    await page.mouse.down();
    await page.mouse.move(...t.toPage(120, 100), { steps: 4 });
    await page.mouse.up();
    await expect.poll(() => objectCount(page)).toBe('1');
    expect(await page.getByTestId('object-row').getByLabel('Label').inputValue()).toBe('bike');
    await page.keyboard.press('Control+Enter');
    await expect.poll(() => openTaskId(page), { timeout: 10_000 }).not.toBe(first);
    const stored = await api<{ result: { label: string }[] }[]>('GET', `/api/v1/tasks/${first}/annotations`);
    expect(stored.json[0]?.result.map((r) => r.label)).toEqual(['bike']);

    // The second task, empty: Enter confirms the question and submits it.
    const second = await openTaskId(page);
    await page.keyboard.press('Control+Enter');
    await dialog.waitFor();
    await page.keyboard.press('Enter');
    await page.getByText('No task left for you in this project.').waitFor({ timeout: 10_000 });
    const empty = await api<{ result: unknown[] }[]>('GET', `/api/v1/tasks/${second}/annotations`);
    expect(empty.json).toHaveLength(1);
    expect(empty.json[0]?.result).toEqual([]);
  });

  it('asks before a skip: Esc keeps the task, Enter skips it', async ({ server, api, page }) => {
    const pid = await createProject(api, 'Skipping', HOTKEYS);
    await uploadFiles(server, pid, [{ name: 'c.png', data: makePng(320, 240, [80, 80, 200]) }]);
    await openAnnotate(page, server.url, pid);
    const task = await openTaskId(page);
    await page.keyboard.press('Control+ArrowRight');
    const dialog = page.getByTestId('confirm-skip');
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await openTaskId(page)).toBe(task);
    await page.getByRole('button', { name: 'Skip', exact: true }).click();
    await dialog.waitFor();
    // The key hint on the blue button is legible (it was white on white).
    const [ink, paper] = await dialog.locator('button.primary kbd').evaluate((k) => [getComputedStyle(k).color, getComputedStyle(k).backgroundColor]);
    expect(ink).not.toBe(paper);
    await page.keyboard.press('Enter');
    await page.getByText('No task left for you in this project.').waitFor({ timeout: 10_000 });
  });
});
