/** The account page: create, copy, use and revoke an API token; change the password. */

import { describe, expect } from 'vitest';
import { AVAILABLE, shot } from './browser';
import { apiAs, it, login } from './helpers';
import type { TestServer } from './server';

const meStatus = async (server: TestServer, token: string) => (await apiAs(server, token)('GET', '/api/v1/auth/me')).status;

describe.skipIf(!AVAILABLE)('Account page', () => {
  let secret = '';

  it('creates a token that is shown once, copied, and works', async ({ server, page }) => {
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    await login(page, server.url, server.email, server.password);
    await page.getByRole('link', { name: server.email }).click();
    await page.waitForURL(/#\/account$/);
    await page.getByPlaceholder(/^Name/).fill('training server');
    await page.getByRole('button', { name: 'Create token' }).click();
    const box = page.getByTestId('new-token');
    secret = await box.getByLabel('New token').inputValue();
    expect(secret).toMatch(/^acc_/);
    await box.getByRole('button', { name: 'Copy' }).click();
    await box.getByRole('button', { name: 'Copied' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    const row = page.getByTestId('tokens').getByRole('row', { name: /training server/ });
    await row.getByText(secret.slice(0, 10)).waitFor();
    await row.getByText('never').waitFor();
    expect(await meStatus(server, secret)).toBe(200);
    await shot(page, 'account-tokens');
  });

  it('shows when the token was last used, and revokes it', async ({ server, page }) => {
    const row = page.getByTestId('tokens').getByRole('row', { name: /training server/ });
    await expect
      .poll(async () => {
        await page.reload();
        return row.getByText('never').count();
      }, { timeout: 15_000 })
      .toBe(0);
    page.once('dialog', (d) => void d.accept());
    await row.getByRole('button', { name: 'Revoke training server' }).click();
    await row.getByText(/^revoked /).waitFor();
    expect(await meStatus(server, secret)).toBe(401);
    expect(await page.getByTestId('new-token').count()).toBe(0);
  });

  it('sets the display name', async ({ server, page, api }) => {
    const form = page.getByRole('form', { name: 'Your name' });
    await form.getByLabel(/^Display name/).fill('  Demo Lead ');
    await form.getByRole('button', { name: 'Save name' }).click();
    await page.getByTestId('name-note').waitFor();
    await page.getByText(`${server.email} · Demo Lead`).waitFor();
    const me = await api<{ user: { name: string } }>('GET', '/api/v1/auth/me');
    expect(me.json.user.name).toBe('Demo Lead');
  });

  it('changes the password: checks the form, refuses a wrong current one, then logs in with the new one', async ({ server, page }) => {
    const form = page.getByRole('form', { name: 'Change your password' });
    const fill = async (current: string, next: string, repeat: string) => {
      await form.getByLabel('Current password').fill(current);
      await form.getByLabel('New password', { exact: true }).fill(next);
      await form.getByLabel('New password, again').fill(repeat);
      await form.getByRole('button', { name: 'Change password' }).click();
    };
    await fill(server.password, 'a fresh passphrase', 'a fresh passphrasE');
    await form.getByRole('alert').getByText('The two new passwords differ.').waitFor();
    await fill('not my password', 'a fresh passphrase', 'a fresh passphrase');
    await form.getByRole('alert').getByText('current_password: wrong password').waitFor();
    await fill(server.password, 'a fresh passphrase', 'a fresh passphrase');
    await page.getByTestId('password-note').waitFor();
    expect(await form.getByLabel('Current password').inputValue()).toBe('');
    await page.reload();
    await page.getByRole('heading', { name: 'Your account' }).waitFor(); // this login goes on
    expect(await meStatus(server, server.token)).toBe(200); // and so do the API tokens
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('Email').fill(server.email);
    await page.getByLabel('Password').fill(server.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').waitFor();
    await login(page, server.url, server.email, 'a fresh passphrase');
  });

  it('changes the password again, revoking every API token', async ({ server, page }) => {
    await page.getByRole('link', { name: server.email }).click();
    await page.waitForURL(/#\/account$/);
    const form = page.getByRole('form', { name: 'Change your password' });
    await form.getByLabel('Current password').fill('a fresh passphrase');
    await form.getByLabel('New password', { exact: true }).fill('another fresh passphrase');
    await form.getByLabel('New password, again').fill('another fresh passphrase');
    await form.getByLabel(/Also revoke all my API tokens/).check();
    await form.getByRole('button', { name: 'Change password' }).click();
    await page.getByTestId('password-note').getByText(/every API token is revoked/).waitFor();
    expect(await form.getByLabel(/Also revoke all my API tokens/).isChecked()).toBe(false);
    expect(await meStatus(server, server.token)).toBe(401);
    const rows = page.getByTestId('tokens').locator('tbody tr');
    await expect.poll(() => rows.locator('text=/^revoked /').count()).toBe(await rows.count());
    await page.reload();
    await page.getByRole('heading', { name: 'Your account' }).waitFor(); // this login goes on
  });
});
