import { test, expect } from '@playwright/test';
import { freshPlate, openSection, signIn, signOut, submitRequest, testFeed } from './helpers';

test('a refused request shows every problem beside its field, keeps what was typed, and is cleared once sent', async ({ page }) => {
  await signIn(page, 'investigator');
  await openSection(page, 'Requests');
  const form = page.getByTestId('new-request');
  await form.getByLabel('Crime type').fill('Burglary');
  await form.getByLabel('Reason', { exact: true }).fill('short');
  await form.getByLabel('From (UTC)').fill('2026-13-01 00:00');
  await form.getByRole('button', { name: 'Submit request' }).click();
  // All at once: the reason, the scope, the start of the window and the handling statement.
  await expect(form.getByRole('alert')).toHaveText(/Not sent: \d fields need attention/);
  await expect(form.locator('.field-error[data-field="reason"]')).toHaveText('reason must be 10 to 2000 characters');
  await expect(form.locator('.field-error[data-field="from"]')).toContainText('write the time as YYYY-MM-DD HH:MM:SS');
  await expect(form.locator('.field-error[data-field="handling"]')).toContainText('handling statement');
  await expect(form.getByLabel('Crime type')).toHaveValue('Burglary');

  // Corrected, the scope's problem is the one left; then the request goes and the form empties.
  await form.getByLabel('Reason', { exact: true }).fill('A van seen at three burglaries this month');
  await form.getByLabel('From (UTC)').fill('2026-11-01 00:00:00');
  await form.getByLabel('Handling of the results').fill('Intelligence only');
  await form.getByRole('button', { name: 'Submit request' }).click();
  await expect(form.locator('.field-error')).toHaveCount(1);
  await expect(form.locator('.field-error[data-field="plates"]')).toHaveText('scope needs plates, an area or cameras');
  await form.getByLabel('Plates or partial plates').fill(freshPlate());
  await form.getByRole('button', { name: 'Submit request' }).click();
  await expect(form.getByRole('status')).toHaveText(/^Submitted as REQ-\d{4}-\d{6}\.$/);
  await expect(form.locator('.field-error')).toHaveCount(0);
  await expect(form.getByLabel('Crime type')).toHaveValue('');
  await expect(form.getByLabel('Reason', { exact: true })).toHaveValue('');
});

test('requests are filtered by status and text and sorted by a column', async ({ page }) => {
  await signIn(page, 'investigator');
  const first = await submitRequest(page, freshPlate(), 'Arson');
  const second = await submitRequest(page, freshPlate(), 'Robbery');
  const table = page.getByTestId('my-requests');
  // Newest first by default; a click on the header turns the order round.
  const references = () => table.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-reference')));
  let order = await references();
  expect(order.indexOf(second)).toBeLessThan(order.indexOf(first));
  await table.getByRole('button', { name: /Submitted/ }).click();
  await expect(table.locator('th[aria-sort="ascending"]')).toHaveCount(1);
  order = await references();
  expect(order.indexOf(first)).toBeLessThan(order.indexOf(second));
  const filters = page.getByTestId('request-filters');
  await filters.getByLabel('Find').fill('robbery');
  await expect(table.locator(`tr[data-reference="${second}"]`)).toBeVisible();
  await expect(table.locator(`tr[data-reference="${first}"]`)).toHaveCount(0);
  await filters.getByLabel('Find').fill('');
  await filters.getByLabel('Status').selectOption('rejected');
  await expect(table.locator(`tr[data-reference="${second}"]`)).toHaveCount(0);
  await filters.getByLabel('Status').selectOption('pending');
  await expect(table.locator(`tr[data-reference="${second}"]`)).toBeVisible();
});

test('a camera is picked on the map, and the cameras page finds the one clicked', async ({ page }) => {
  await testFeed();
  await signIn(page, 'investigator');
  await openSection(page, 'Requests');
  const picker = page.getByTestId('cameras-picker');
  await picker.getByRole('button', { name: 'Pick on the map' }).click();
  const map = picker.locator('[data-cameras]');
  await expect(map).toBeVisible();
  await expect(picker.locator('.legend')).toContainText('approved camera');
  await picker.locator('path.camera').first().dispatchEvent('click');
  await expect(picker.locator('.chip')).toHaveCount(1);
  await expect(picker.locator('.chip')).not.toContainText('camera ');
  await picker.getByRole('button', { name: 'Hide the map' }).click();
  await expect(picker.locator('[data-cameras]')).toHaveCount(0);
  await signOut(page);

  await signIn(page, 'admin');
  await openSection(page, 'Cameras');
  await expect(page.locator('.camera-page-map [data-cameras]')).toBeVisible();
  await page.locator('.camera-page-map path.camera').first().dispatchEvent('click');
  const find = page.getByTestId('camera-filters').getByLabel('Find');
  await expect(find).not.toHaveValue('');
  await expect(page.locator('table tbody tr').first()).toBeVisible();
});

test('the WASM, its script and the CSS are named by their hash and cached for good; the page is not', async ({ page }) => {
  const policies = new Map<string, string>();
  page.on('response', (r) => {
    const path = new URL(r.url()).pathname;
    if (path.startsWith('/pkg/') || path === '/') policies.set(path, r.headers()['cache-control'] ?? '');
  });
  await signIn(page, 'investigator');
  await page.goto('/');
  await expect(page.locator('body[data-hydrated]')).toBeAttached();
  const hashed = [...policies.entries()].filter(([path]) => /^\/pkg\/anpr\.[A-Za-z0-9_-]{22}\.(wasm|js|css)$/.test(path));
  expect(hashed.map(([path]) => path.split('.').pop()).sort(), JSON.stringify([...policies])).toEqual(['css', 'js', 'wasm']);
  for (const [, policy] of hashed) expect(policy).toBe('public, max-age=31536000, immutable');
  expect(policies.get('/')).toMatch(/no-store/);
});
