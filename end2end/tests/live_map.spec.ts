import { test, expect } from '@playwright/test';
import { approveAsInspector, freshPlate, sendReads, signIn, signOut, submitRequest, testFeed } from './helpers';

test('an investigator watches a plate under an approved request: its read arrives on the map, another plate does not', async ({ page }) => {
  const watched = freshPlate();
  const other = freshPlate();
  const { key, cameras } = await testFeed();
  await signIn(page, 'investigator');
  // The request's window runs an hour past now, so a live-time watch may run under it.
  const reference = await submitRequest(page, watched, 'Robbery');
  await signOut(page);
  await approveAsInspector(page, reference, watched);

  await signIn(page, 'investigator');
  const response = await page.goto('/map');
  // Pages carry a Content-Security-Policy with a nonce, and still hydrate.
  const csp = (await response!.headerValue('content-security-policy')) ?? '';
  expect(csp).toContain("script-src 'self' 'nonce-");
  expect(csp).toContain("frame-ancestors 'none'");
  await expect(page.locator('body[data-hydrated]')).toBeAttached();
  await expect(page.locator('[data-testid="map"][data-live="true"]')).toBeAttached({ timeout: 20_000 });
  // Without a watch the map shows camera sites only: no reads anywhere.
  await expect(page.locator('path.camera-approved').first()).toBeAttached();
  await expect(page.locator('path.read')).toHaveCount(0);
  await expect(page.getByTestId('watch-reads')).toHaveCount(0);

  const form = page.getByTestId('watch-form');
  const chooser = form.getByLabel('Under request');
  await expect(chooser.locator('option', { hasText: reference })).toBeAttached();
  await chooser.selectOption((await chooser.locator('option', { hasText: reference }).getAttribute('value')) ?? '');
  await form.getByLabel('Plate', { exact: true }).fill(watched);
  await form.getByRole('button', { name: 'Open watch' }).click();
  await expect(form.getByRole('status')).toContainText(`Watching under ${reference}`);
  await expect(page.getByTestId('open-watches')).toContainText(reference);

  // A watch is live-time: it gets reads captured after it opened.
  await page.waitForTimeout(1_100);
  await sendReads(key, [
    { plate: other, camera: cameras[0], secondsAgo: 0 },
    { plate: watched, camera: cameras[1], secondsAgo: 0 },
  ]);
  const rows = page.getByTestId('watch-reads').locator('tbody tr');
  await expect(rows).toHaveCount(1, { timeout: 20_000 });
  await expect(rows.first()).toContainText(watched);
  await expect(page.locator('path.read')).toHaveCount(1);
  await expect(page.getByTestId('watch-reads')).not.toContainText(other);

  // The read is checked against its images (R15).
  await rows.first().click();
  const detail = page.getByTestId('verify-panel');
  await expect(detail.locator('.plate.big')).toHaveText(watched);
  for (const kind of ['plate', 'overview']) {
    const img = detail.locator(`img.verify-${kind}`);
    await expect(img).toBeVisible();
    await expect.poll(async () => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth)).toBeGreaterThan(0);
  }
  await page.keyboard.press('c');
  await expect(detail.getByTestId('verdict')).toHaveText('Confirmed');

  // Closing the watch ends it, with the count delivered.
  await page.getByTestId('open-watches').getByRole('button', { name: 'Close' }).click();
  await expect(form.getByRole('status')).toHaveText(`Watch under ${reference} closed; 1 reads delivered.`);
  await expect(page.getByTestId('watch-reads')).toHaveCount(0);
});

test('a system admin sees camera health, not reads', async ({ page }) => {
  await signIn(page, 'admin');
  await page.goto('/map');
  await expect(page.locator('[data-testid="map"][data-live="true"]')).toBeAttached({ timeout: 20_000 });
  await expect(page.getByTestId('health-summary')).toContainText(/\d+ cameras · \d+ reads in the last hour/);
  // The pending expansion ring sends reads that are refused; its cameras are pending, not silent.
  await expect(page.locator('path.camera-pending').first()).toBeAttached();
  await expect(page.getByTestId('watch-form')).toHaveCount(0);
  expect((await page.request.get('/api/v1/watches')).status()).toBe(403);
});

test('an admin approves the pending expansion zone with a reason, confirmed, and the reason is not reused', async ({ page }) => {
  await signIn(page, 'admin');
  await page.getByRole('navigation').getByRole('link', { name: 'Cameras' }).click();
  await expect(page.locator('body[data-hydrated]')).toBeAttached();
  const zone = page.locator('details[data-zone="expansion"]');
  await expect(zone).toContainText('70 pending');
  await page.getByLabel('Reason for the decision').fill('expansion network signed off by the board');
  // Declined: nothing changes.
  page.once('dialog', (d) => d.dismiss());
  await zone.locator('summary').getByRole('button', { name: 'Approve' }).click();
  await expect(zone).toContainText('70 pending');
  const asked = new Promise<string>((resolve) => page.once('dialog', (d) => { resolve(d.message()); d.accept(); }));
  await zone.locator('summary').getByRole('button', { name: 'Approve' }).click();
  expect(await asked).toBe('Set every camera of zone expansion (70) to approved, with the reason "expansion network signed off by the board"?');
  await expect(page.getByRole('status')).toHaveText('Zone expansion: 70 cameras now approved.');
  await expect(zone).toContainText('70 approved');
  // The next decision needs its own reason.
  await expect(page.getByLabel('Reason for the decision')).toHaveValue('');
});
