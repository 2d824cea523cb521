import { test, expect } from '@playwright/test';
import { DEMO_PASSWORD } from '../playwright.config';
import { signIn, signOut, submitLogin } from './helpers';

test('an admin creates an investigator, who signs in and sees the map', async ({ page }) => {
  await submitLogin(page, 'admin', 'wrong password entirely');
  await expect(page.getByRole('alert')).toHaveText('username or password is incorrect');

  await page.getByLabel('Password').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Welcome, Demo System Admin' })).toBeVisible();

  await page.getByRole('navigation').getByRole('link', { name: 'Users' }).click();
  await expect(page.locator('body[data-hydrated]')).toBeAttached();
  await expect(page.locator('tr[data-username="admin"]')).toBeVisible();

  const form = page.getByTestId('user-form');
  await form.getByLabel('Username').fill('pc.newton');
  await form.getByLabel('Display name').fill('PC Newton');
  await form.getByLabel('Password').fill('a long enough passphrase');
  await form.getByLabel('Investigator').check();
  await form.getByLabel('Tier').selectOption('local');
  await form.getByRole('button', { name: 'Create user' }).click();
  await expect(form.getByRole('status')).toHaveText('Created pc.newton.');
  const row = page.locator('tr[data-username="pc.newton"]');
  await expect(row).toContainText('Investigator');
  await expect(row).toContainText('local');

  await signOut(page);

  await signIn(page, 'pc.newton', 'a long enough passphrase');
  await expect(page.getByTestId('signed-in-user')).toContainText('PC Newton');
  const nav = page.getByRole('navigation');
  await expect(nav.getByRole('link', { name: 'Users' })).toHaveCount(0);
  await nav.getByRole('link', { name: 'Map' }).click();
  await expect(page.locator('[data-testid="map"][data-map-ready="true"]')).toBeVisible();
  await expect(page.locator('.leaflet-container')).toBeVisible();
  await expect(page.locator('.leaflet-control-zoom-in')).toBeVisible();

  // The investigator's session cannot reach the user admin API, whatever the page shows.
  const refused = await page.request.get('/api/v1/users');
  expect(refused.status()).toBe(403);
});

test('a sign-in typed before the page is interactive posts, and no password reaches a URL', async ({ page }) => {
  // The app's scripts never arrive: the page stays as the server rendered it.
  await page.route('**/pkg/**', (route) => route.abort());
  const urls: string[] = [];
  page.on('request', (r) => urls.push(r.url()));
  await page.goto('/login');
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill('wrong password entirely');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/login\?error=/);
  await expect(page.getByRole('alert')).toHaveText('username or password is incorrect');
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Welcome, Demo System Admin' })).toBeVisible();
  expect(urls.filter((u) => u.includes('password=') || u.includes('wrong'))).toEqual([]);
});
