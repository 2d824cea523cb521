import { test, expect } from '@playwright/test';
import { plateSeenTwice, signIn, signOut } from './helpers';

test('a restricted list alerts its member with the plate patch, and nobody else', async ({ page }) => {
  // A vehicle a camera has just seen; a new entry finds it (R7).
  const plate = await plateSeenTwice();
  await signIn(page, 'hotlists');

  await page.getByRole('navigation').getByRole('link', { name: 'Hotlists' }).click();
  await expect(page.locator('body[data-hydrated]')).toBeAttached();
  const form = page.getByTestId('new-hotlist');
  await form.getByLabel('Name', { exact: true }).fill('Op Nightjar');
  await form.getByLabel('Kind').selectOption('operation');
  await form.getByLabel('Audience').selectOption('members');
  await form.getByLabel('Members').fill('investigator');
  await form.getByRole('button', { name: 'Create list' }).click();
  await expect(form.getByRole('status')).toHaveText('Created Op Nightjar.');
  await page.locator('tr[data-hotlist="Op Nightjar"]').getByRole('button', { name: 'Open' }).click();
  const entry = page.getByTestId('new-entry');
  await entry.getByLabel('VRM or pattern').fill(plate);
  await entry.getByLabel('Intelligence reference').fill('INT/2026/0099');
  await entry.getByLabel('Reason').fill('linked to an armed robbery');
  await entry.getByLabel('Warning markers').fill('firearms');
  await entry.getByRole('button', { name: 'Add entry' }).click();
  await expect(page.getByTestId('entries').getByRole('status')).toHaveText(`Added ${plate}.`);
  await page.locator(`tr[data-vrm="${plate}"]`).getByRole('button', { name: 'Edit' }).click();
  await entry.getByLabel('Action').fill('do not stop; report at once');
  await entry.getByRole('button', { name: 'Save entry' }).click();
  await expect(page.getByTestId('entries').getByRole('status')).toHaveText(`Saved ${plate}.`);
  await signOut(page);

  await signIn(page, 'investigator');
  const alert = page.getByTestId('alert-tray').locator(`.alert[data-plate="${plate}"]`).first();
  await expect(alert).toBeVisible({ timeout: 20_000 });
  await expect(alert).toContainText('Op Nightjar');
  await expect(alert).toContainText('firearms');
  await expect(alert).toContainText('report at once');
  await expect(alert).not.toContainText('armed robbery');
  const patch = alert.locator('img.alert-plate');
  await expect.poll(async () => patch.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth)).toBeGreaterThan(0);
  await signOut(page);

  await signIn(page, 'analyst');
  await page.waitForTimeout(1500);
  await expect(page.locator(`.alert[data-plate="${plate}"]`)).toHaveCount(0);
  const theirs = await (await page.request.get('/api/v1/alerts')).json();
  expect(theirs.filter((a: any) => a.read.plate === plate)).toHaveLength(0);
});
