import { expect, test } from '@playwright/test';
import { freshPlate, openSection, requestThroughApi, sendReads, signIn, testFeed } from './helpers';

test('an investigator runs a convoy analysis under an approved request and sees the associate on the map', async ({ page }) => {
  const { key, cameras } = await testFeed();
  const [target, partner, passer] = [freshPlate(), freshPlate(), freshPlate()];
  // The partner 20 s behind the target at both cameras; another car beside it once.
  await sendReads(key, [
    { plate: target, camera: cameras[0], secondsAgo: 1200 },
    { plate: partner, camera: cameras[0], secondsAgo: 1180 },
    { plate: passer, camera: cameras[0], secondsAgo: 1170 },
    { plate: target, camera: cameras[1], secondsAgo: 600 },
    { plate: partner, camera: cameras[1], secondsAgo: 580 },
  ]);
  const { id, reference } = await requestThroughApi({ plates: [target], analysis: 'convoy' });

  await signIn(page, 'investigator');
  await openSection(page, 'Analysis');
  const form = page.getByTestId('analysis-form');
  await form.getByLabel('Under request').selectOption(String(id));
  await expect(form.getByLabel('Target plate')).toHaveValue(target);
  await form.getByRole('button', { name: 'Run the analysis' }).click();
  await expect(form.getByRole('status')).toContainText(`under ${reference}`);

  // The partner first, with its two places; the passer below it.
  const rows = page.getByTestId('associates').locator('tbody tr');
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(0)).toContainText(partner);
  await expect(rows.nth(0).locator('td').nth(3)).toHaveText('2');
  await expect(rows.nth(1)).toContainText(passer);
  // The target's journey and the partner's side by side on the map, four sightings in all.
  await expect(page.locator('path.journey')).toHaveCount(2);
  await expect(page.getByTestId('analysis-reads').locator('tbody tr')).toHaveCount(4);
  await page.screenshot({ path: 'test-results/convoy.png' });

  // The partner's history under the same request.
  await rows.nth(0).getByRole('button', { name: 'History' }).click();
  await expect(page.getByTestId('history')).toContainText(`History of ${partner}: 2 reads`);
});
