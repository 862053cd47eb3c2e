/**
 * Browser test of label attributes: a project whose "car" label declares a bool, a choice and a
 * text attribute; draws a box, sets them in the sidebar (keys typed there are not shortcuts),
 * undoes and redoes the typing as one step, survives a reload, relabels (the attributes go) and
 * undoes that, submits, and checks the stored region's attributes through the API.
 */

import { describe, expect } from 'vitest';
import { AVAILABLE } from './browser';
import { createProject, drag, it, login, objectCount, openAnnotate, openTaskId, stageDrawn, uploadFiles } from './helpers';
import { makePng } from './png';

const SCHEMA = `media: image
tools:
  - name: objects
    type: bbox
    labels:
      - name: car
        attributes:
          - {name: occluded, type: bool}
          - {name: pose, type: choice, choices: [front, side, back]}
          - {name: plate, type: text}
          - {name: visible, type: number, min: 0, max: 100}
      - tree
`;

describe.skipIf(!AVAILABLE)('label attributes in the workspace', () => {
  it('edits a box’s attributes with undo/redo, submits them, and the API stores them', async ({ server, api, page }) => {
    const pid = await createProject(api, 'Cars with attributes', SCHEMA);
    await uploadFiles(server, pid, [{ name: 'street.png', data: makePng(640, 480, [120, 160, 90]) }]);
    await login(page, server.url, server.email, server.password);
    await openAnnotate(page, server.url, pid);
    const taskId = await openTaskId(page);

    await page.keyboard.press('r');
    await drag(page, 100, 100, 300, 250);
    await expect.poll(() => objectCount(page)).toBe('1');

    // The new box is selected: its label's attributes, all unset.
    const panel = page.getByTestId('attributes');
    await panel.waitFor();
    const occluded = panel.getByRole('checkbox', { name: 'occluded' });
    const pose = panel.getByLabel('pose');
    const plate = panel.getByLabel('plate');
    expect(await occluded.isChecked()).toBe(false);
    expect(await pose.inputValue()).toBe('');
    expect(await plate.inputValue()).toBe('');

    // A click ticks the checkbox; Space on it toggles it (not the pan key) and Delete does not
    // delete the box while the focus is in the panel.
    await occluded.click();
    expect(await occluded.isChecked()).toBe(true);
    await page.keyboard.press('Space');
    expect(await occluded.isChecked()).toBe(false);
    await page.keyboard.press('Space');
    expect(await occluded.isChecked()).toBe(true);
    await page.keyboard.press('Delete');
    expect(await objectCount(page)).toBe('1');

    await pose.selectOption('side');

    // A number outside the schema's bounds is marked in the server's words, then fixed.
    const visible = panel.getByLabel('visible');
    expect(await visible.getAttribute('max')).toBe('100');
    await visible.fill('150');
    const visibleNote = panel.getByTestId('attribute-visible').getByRole('note');
    await expect.poll(() => visibleNote.textContent()).toBe('150: must be a number between 0 and 100');
    await visible.fill('80');
    await visibleNote.waitFor({ state: 'detached' });

    // Typing "v1 x" neither switches to the select tool (V) nor relabels (1).
    await plate.click();
    await page.keyboard.type('v1 x');
    expect(await plate.inputValue()).toBe('v1 x');
    const boxTool = page.getByRole('toolbar', { name: 'Tools' }).getByRole('button', { name: 'Box' });
    expect(await boxTool.getAttribute('aria-pressed')).toBe('true');
    const rowLabel = page.getByTestId('object-row').getByLabel('Label');
    expect(await rowLabel.inputValue()).toBe('car');

    // The typing is one undo step: Ctrl+Z on the canvas clears the whole text, nothing else.
    await page.getByTestId('stage').focus();
    await page.keyboard.press('Control+z');
    await expect.poll(() => plate.inputValue()).toBe('');
    expect(await pose.inputValue()).toBe('side');
    expect(await occluded.isChecked()).toBe(true);
    await page.keyboard.press('Control+Shift+z');
    await expect.poll(() => plate.inputValue()).toBe('v1 x');

    // The draft keeps them across a reload.
    await expect.poll(() => page.getByTestId('save-state').textContent(), { timeout: 10_000 }).toMatch(/Draft saved/);
    await page.reload();
    await stageDrawn(page);
    await page.getByTestId('object-row').getByRole('button', { name: /Select car/ }).click();
    await panel.waitFor();
    expect(await plate.inputValue()).toBe('v1 x');
    expect(await pose.inputValue()).toBe('side');
    expect(await occluded.isChecked()).toBe(true);

    // Relabelling to "tree" (no attributes) drops them; undo brings them back.
    await rowLabel.selectOption('tree');
    await panel.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Undo' }).click();
    await panel.waitFor();
    expect(await plate.inputValue()).toBe('v1 x');

    await page.getByTestId('stage').focus();
    await page.keyboard.press('Control+Enter');
    await page.getByText('No task left for you in this project.').waitFor({ timeout: 10_000 });

    const list = await api<{ result: { type: string; label: string; attributes: Record<string, unknown> }[] }[]>('GET', `/api/v1/tasks/${taskId}/annotations`);
    expect(list.status).toBe(200);
    expect(list.json).toHaveLength(1);
    const result = list.json[0]?.result ?? [];
    expect(result).toHaveLength(1);
    expect(result[0]).toMatchObject({ type: 'bbox', label: 'car', attributes: { occluded: true, pose: 'side', plate: 'v1 x', visible: 80 } });
  });
});
