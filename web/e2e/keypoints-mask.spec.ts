/**
 * Browser test of keypoints and masks: a project with a keypoints tool (3 points and a skeleton)
 * and a mask tool, one uploaded PNG; places the keypoints with K and clicks, paints a mask with B
 * and a drag, undoes and redoes, submits with Ctrl+Enter and checks the stored geometry in image
 * pixels through the API (keypoints within ±2 px, the mask's RLE size and bbox).
 */

import { describe, expect } from 'vitest';
import { AVAILABLE, shot } from './browser';
import { createProject, it, login, objectCount, openAnnotate, openTaskId, stageTransform, uploadFiles } from './helpers';
import { makePng } from './png';

const WIDTH = 640;
const HEIGHT = 480;
const SCHEMA = `media: image
tools:
  - name: pose
    type: keypoints
    labels: [person]
    keypoints: [nose, left_eye, right_eye]
    skeleton: [[nose, left_eye], [nose, right_eye]]
  - name: seg
    type: mask
    labels: [road]
`;

interface Region {
  type: string;
  tool: string;
  label: string;
  geometry: Record<string, unknown>;
}

describe.skipIf(!AVAILABLE)('keypoints and a mask in the browser', () => {
  it('places keypoints, paints a mask, undoes, redoes, submits; the API has them in image pixels', async ({ server, api, page }) => {
    const pid = await createProject(api, 'Pose and road', SCHEMA);
    await uploadFiles(server, pid, [{ name: 'street.png', data: makePng(WIDTH, HEIGHT, [90, 140, 200]) }]);

    await login(page, server.url, server.email, server.password);
    await openAnnotate(page, server.url, pid);
    const taskId = await openTaskId(page);
    expect(await objectCount(page)).toBe('0');
    const t = await stageTransform(page);

    // Keypoints: K, then one click per keypoint in schema order; the third click finishes.
    const clicks: [number, number][] = [
      [320, 150],
      [290, 120],
      [352.5, 121.5],
    ];
    await page.keyboard.press('k');
    await page.getByText('Click: nose').waitFor();
    for (const [x, y] of clicks) {
      await page.mouse.click(...t.toPage(x, y));
      await page.waitForTimeout(450); // never a double click
    }
    await expect.poll(() => objectCount(page)).toBe('1');

    // A mask stroke: B and a drag from (100, 330) to (420, 360).
    await page.keyboard.press('b');
    await page.mouse.move(...t.toPage(100, 330));
    await page.mouse.down();
    for (let i = 1; i <= 10; i++) await page.mouse.move(...t.toPage(100 + 32 * i, 330 + 3 * i));
    await page.mouse.up();
    await expect.poll(() => objectCount(page)).toBe('2');
    await shot(page, 'workspace-keypoints-mask');

    await page.keyboard.press('Control+z');
    await expect.poll(() => objectCount(page)).toBe('1');
    await page.keyboard.press('Control+z');
    await expect.poll(() => objectCount(page)).toBe('0');
    await page.keyboard.press('Control+Shift+z');
    await page.keyboard.press('Control+Shift+z');
    await expect.poll(() => objectCount(page)).toBe('2');

    await page.keyboard.press('Control+Enter');
    await page.getByText('No task left for you in this project.').waitFor({ timeout: 10_000 });

    const list = await api<{ result: Region[] }[]>('GET', `/api/v1/tasks/${taskId}/annotations`);
    expect(list.status).toBe(200);
    expect(list.json).toHaveLength(1);
    const result = list.json[0]?.result ?? [];
    const near = (a: unknown, b: number) => expect(Math.abs((a as number) - b)).toBeLessThanOrEqual(2);

    const pose = result.find((r) => r.type === 'keypoints');
    expect(pose?.tool).toBe('pose');
    expect(pose?.label).toBe('person');
    const points = pose?.geometry['points'] as [number, number, number][];
    expect(points).toHaveLength(3);
    clicks.forEach(([x, y], i) => {
      near(points[i]?.[0], x);
      near(points[i]?.[1], y);
      expect(points[i]?.[2]).toBe(2);
    });

    const mask = result.find((r) => r.type === 'mask');
    expect(mask?.tool).toBe('seg');
    expect(mask?.label).toBe('road');
    const rle = mask?.geometry['rle'] as { size: number[]; counts: unknown };
    expect(rle.size).toEqual([HEIGHT, WIDTH]);
    const [bx, by, bw, bh] = mask?.geometry['bbox'] as number[];
    // The bbox covers the stroke's centre line (the brush adds its radius around it).
    expect(bx).toBeLessThanOrEqual(100);
    expect(by).toBeLessThanOrEqual(330);
    expect((bx as number) + (bw as number)).toBeGreaterThanOrEqual(420);
    expect((by as number) + (bh as number)).toBeGreaterThanOrEqual(360);
    // ... and no more than a brush width beyond it.
    expect(bx).toBeGreaterThan(100 - 40);
    expect((bx as number) + (bw as number)).toBeLessThan(420 + 40);
  });
});
