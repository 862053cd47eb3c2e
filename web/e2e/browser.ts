/** Debian's Chromium for the browser tests: availability (skip loudly or fail), launch, pages, shots. */

import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

const CHROMIUM = process.env['CHROMIUM'] ?? '/usr/bin/chromium';
const SHOTS = process.env['SCREENSHOTS'] ?? resolve(import.meta.dirname, '../../docs/screenshots');

/** Whether Chromium is installed; without it the tests skip loudly, or fail when required. */
export const AVAILABLE = existsSync(CHROMIUM);
if (!AVAILABLE) {
  const reason = `Chromium not found at ${CHROMIUM} (apt-get install chromium)`;
  if (process.env['ACCORD_TEST_BROWSER'] === 'required') {
    throw new Error(`${reason}; required because ACCORD_TEST_BROWSER=required`);
  }
  console.warn(`SKIPPED LOUDLY: browser tests: ${reason}; set ACCORD_TEST_BROWSER=required to fail`);
}

/** Headless Chromium, with flags for a machine without GPU or network. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** A page in a browser context of its own (its own cookies: another person), whose errors are logged. */
export async function newPage(browser: Browser, who = ''): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1360, height: 860 } });
  page.on('pageerror', (e) => console.error(`page error${who ? ` (${who})` : ''}:`, e));
  return page;
}

/** Save a screenshot into docs/screenshots, unless SCREENSHOTS is set to the empty string. */
export async function shot(page: Page, name: string): Promise<void> {
  if (process.env['SCREENSHOTS'] === '') return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}
