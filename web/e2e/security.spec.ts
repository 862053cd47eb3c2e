/** The app and /docs under the server's Content-Security-Policy: nothing refused, nothing
 * loaded from another origin (issue 13, finding 8: security headers; /docs without a CDN). */

import { describe, expect } from 'vitest';
import type { Page } from 'playwright-core';
import { AVAILABLE } from './browser';
import { drag, it, login, openAnnotate, projectNamed } from './helpers';

/** Console messages where Chromium refused something under the page's policy. */
function refusals(page: Page): string[] {
  const found: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) found.push(message.text());
  });
  return found;
}

describe.skipIf(!AVAILABLE)('security headers in the browser', () => {
  it('runs the app, and the image workspace under its policy', async ({ server, api, page }) => {
    const refused = refusals(page);
    const answer = await page.goto(`${server.url}/`);
    expect(answer?.headers()['content-security-policy']).toContain("script-src 'self'");
    await login(page, server.url, server.email, server.password);
    await openAnnotate(page, server.url, await projectNamed(api, 'Shapes (images)'));
    await page.keyboard.press('r');
    await drag(page, 100, 100, 300, 250);
    await expect.poll(() => page.getByTestId('object-count').textContent()).toContain('1');
    await page.getByRole('link', { name: /Projects/ }).first().click();
    await page.getByTestId('projects').waitFor();
    expect(refused).toEqual([]);
  });

  it('serves the API docs from this server alone', async ({ server, page }) => {
    const refused = refusals(page);
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    await page.goto(`${server.url}/docs`);
    await page.locator('.swagger-ui .info .title').getByText('Accord').waitFor();
    await page.locator('.opblock-tag').first().waitFor();
    expect(requested.filter((url) => !url.startsWith(server.url))).toEqual([]);
    expect(refused).toEqual([]);
  });
});
