import { test, expect } from '@playwright/test';
import { freshPlate, openSection, requestThroughApi, sendReads, signIn, signOut, testFeed } from './helpers';

// Each source for its own purpose (R3, R10): an admin limits a feed to national security through
// the governance dialog; a crime search then leaves its reads out and says so.
test('a feed limited to national security is left out of a crime search, and the search says so', async ({ page }) => {
  test.setTimeout(120_000);
  const { key, cameras, names } = await testFeed();
  const feed = names[0].replace(/ site 1$/, '');
  const plate = freshPlate();
  await sendReads(key, [{ plate, camera: cameras[0], secondsAgo: 600 }]);

  await signIn(page, 'admin');
  await openSection(page, 'Cameras');
  const feeds = page.getByTestId('feeds');
  const row = feeds.locator(`tr[data-feed="${feed}"]`);
  await expect(row).toContainText('none recorded: every purpose');
  await row.getByRole('button', { name: 'Purposes…' }).click();
  const dialog = page.getByTestId('purposes-dialog');
  for (const label of ['Crime investigation', 'Intelligence development', 'Safeguarding (missing or vulnerable person)']) {
    await dialog.getByLabel(label).uncheck();
  }
  await dialog.getByLabel('Legal basis (e.g. certificate reference)').fill('NSC-2019-04');
  await dialog.getByLabel('Reason').fill('Transferred solely for safeguarding national security');
  // Dated back an hour: the reads already sent were collected under this certificate.
  const back = new Date(Date.now() - 3_600_000).toISOString().slice(0, 16);
  await dialog.getByLabel('Effective from (UTC; empty for now)').fill(back);
  page.once('dialog', (d) => d.accept());
  await dialog.getByRole('button', { name: 'Record' }).click();
  await expect(row).toContainText('National security');
  await expect(row).toContainText('NSC-2019-04');
  await signOut(page);

  const { reference } = await requestThroughApi({ plates: [plate] });
  await signIn(page, 'investigator');
  await openSection(page, 'Search');
  const form = page.getByTestId('search-form');
  const chooser = form.getByLabel('Under request');
  await expect(chooser.locator('option', { hasText: reference })).toBeAttached();
  await chooser.selectOption((await chooser.locator('option', { hasText: reference }).getAttribute('value')) ?? '');
  await form.getByRole('button', { name: 'Search' }).click();
  await expect(form.getByRole('status')).toContainText(`0 reads under ${reference}; left out: reads from the ${feed} feed`);
  await expect(form.getByRole('status')).toContainText('national security only (NSC-2019-04): 2 cameras left out');
});
