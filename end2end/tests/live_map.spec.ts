import { test, expect } from '@playwright/test';
import { signIn } from './helpers';

test('a simulated read appears on the live map and its detail shows both images', async ({ page }) => {
  await signIn(page, 'investigator');
  await page.goto('/map');
  await expect(page.locator('[data-testid="map"][data-live="true"]')).toBeAttached({ timeout: 20_000 });
  // Camera sites, coloured by status: approved and pending ones.
  await expect(page.locator('path.camera-approved').first()).toBeAttached();
  await expect(page.locator('path.camera-pending').first()).toBeAttached();

  // Reads arrive from the simulator through ingest and the live stream.
  const rows = page.getByTestId('newest-reads').locator('tbody tr');
  await expect(rows.first()).toBeVisible({ timeout: 20_000 });
  // Newest first, and the list is capped: a read arriving over the stream becomes the top row.
  const newest = await rows.first().textContent();
  await expect.poll(async () => rows.first().textContent(), { timeout: 20_000 }).not.toBe(newest);

  await rows.first().click();
  // An investigator sees the read ready to check against its images (R15).
  const detail = page.getByTestId('verify-panel');
  await expect(detail.locator('.plate.big')).toHaveText(/^[A-Z0-9]+$/);
  for (const kind of ['plate', 'overview']) {
    const img = detail.locator(`img.verify-${kind}`);
    await expect(img).toBeVisible();
    await expect.poll(async () => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth)).toBeGreaterThan(0);
  }
  const patchWidth = await detail.locator('img.verify-plate').evaluate((el: HTMLImageElement) => el.naturalWidth);
  expect(patchWidth).toBeLessThanOrEqual(120);
});

test('an admin approves the pending expansion zone with a reason', async ({ page }) => {
  await signIn(page, 'admin');
  await page.getByRole('navigation').getByRole('link', { name: 'Cameras' }).click();
  await expect(page.locator('body[data-hydrated]')).toBeAttached();
  const zone = page.locator('details[data-zone="expansion"]');
  await expect(zone).toContainText('70 pending');
  await page.getByLabel('Reason for the decision').fill('expansion network signed off by the board');
  await zone.locator('summary').getByRole('button', { name: 'Approve' }).click();
  await expect(page.getByRole('status')).toHaveText('Zone expansion: 70 cameras now approved.');
  await expect(zone).toContainText('70 approved');
});
