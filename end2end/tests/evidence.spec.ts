import { test, expect } from '@playwright/test';
import * as fs from 'fs';
import { approveAsInspector, openSection, plateSeenTwice, searchUnder, signIn, signOut, submitRequest } from './helpers';

test('an investigator verifies a run of reads by keyboard, preserves one to the locker, and exports', async ({ page }) => {
  test.setTimeout(150_000);
  await signIn(page, 'investigator');
  const plate = await plateSeenTwice();
  const reference = await submitRequest(page, plate, 'Theft of motor vehicle');
  await signOut(page);
  await approveAsInspector(page, reference, plate);

  await signIn(page, 'investigator');
  const rows = await searchUnder(page, reference, plate);
  const panel = page.getByTestId('verify-panel');
  await rows.first().click();
  await expect(panel.locator('.plate')).toHaveText(plate);
  await expect(panel.getByTestId('verdict')).toHaveText('Not yet checked');

  // C confirms the first read and moves to the second; M writes up a misread of it.
  await page.locator('body').press('c');
  await expect(rows.nth(0).locator('td.check')).toHaveText('Confirmed');
  await expect(rows.nth(1)).toHaveClass(/selected/);
  await page.keyboard.press('m');
  const form = page.getByTestId('verify-form');
  await expect(form.getByLabel('Corrected plate')).toBeFocused();
  const corrected = plate === 'AB12CDE' ? 'AB12CDF' : 'AB12CDE';
  await page.keyboard.type(corrected);
  await form.getByLabel('Why (what the images show)').fill('Plate patch shows a different last letter');
  await page.keyboard.press('Enter');
  await expect(rows.nth(1).locator('td.check')).toHaveText(`Misread → ${corrected}`);
  // K goes back; the panel shows the first read's history.
  await page.locator('body').press('k');
  await page.locator('body').press('k');
  await expect(rows.nth(0)).toHaveClass(/selected/);
  await expect(panel.locator('.history li')).toContainText(['Confirmed by Demo Investigator (local)']);

  // Preserve the first read into a new case.
  await rows.nth(0).getByRole('checkbox').check();
  const actions = page.getByTestId('search-actions');
  await expect(actions).toContainText('Chosen reads: 1');
  await actions.getByLabel('Case title').fill('Op Birch: vehicle thefts');
  await actions.getByLabel('Why the reads are needed').fill('Movements relied on at trial');
  await actions.getByLabel('Crime type').fill('Theft of motor vehicle');
  await actions.getByLabel('Officer in charge').selectOption({ label: 'Demo Investigator (local)' });
  await actions.getByLabel("OIC's supervisor").selectOption({ label: 'Demo Inspector' });
  await actions.getByRole('button', { name: 'Preserve chosen reads' }).click();
  await expect(actions.getByRole('status')).toContainText('1 reads preserved in the evidence locker');
  // The new case is now the chosen one, and its form is cleared.
  await expect(actions.getByLabel('Evidence locker case').locator('option:checked')).toHaveText('Op Birch: vehicle thefts (1 held)');
  await expect(actions.getByLabel('Case title')).toHaveCount(0);

  // Export the results as the intelligence product.
  await actions.getByLabel('Recipient').fill('DC Hale, Vehicle Crime Unit');
  const download = page.waitForEvent('download');
  await actions.getByRole('button', { name: 'Export CSV' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(new RegExp(`^${reference}-search-\\d+\\.csv$`));
  const csv = fs.readFileSync((await file.path())!, 'utf8');
  // Every cell quoted, so no spreadsheet reads one as a formula (R14, R20).
  expect(csv.split(/\r?\n/)[0]).toBe('"OFFICIAL-SENSITIVE",""');
  expect(csv).toContain(`"Request reference","${reference}"`);
  expect(csv).toContain(`"Misread",`);
  expect(csv).toContain(corrected);
  await expect(actions.getByRole('status')).toContainText('recorded as a disclosure to DC Hale, Vehicle Crime Unit');

  // The locker holds the preserved read.
  await openSection(page, 'Locker');
  const caseCard = page.getByTestId('locker-cases').locator('article.case', { hasText: 'Op Birch' });
  await caseCard.getByRole('button', { name: 'Show 1 held items' }).click();
  await expect(caseCard.getByTestId('locker-items')).toContainText(plate);
  await signOut(page);

  // The auditor's figures count the verifications and the export; a count small enough to
  // point at one investigation is shown only as "fewer than 5" (R23).
  await signIn(page, 'auditor');
  await openSection(page, 'Annual report');
  const figures = page.getByTestId('report-sections');
  await figures.locator('summary', { hasText: 'Challenges' }).click();
  await figures.locator('summary', { hasText: 'Transfers' }).click();
  const counted = /^([1-9]\d*|fewer than 5)$/;
  await expect(figures.locator('tr', { hasText: 'Spreadsheets (CSV)' }).locator('td.number')).toHaveText(counted);
  await expect(figures.locator('tr', { hasText: 'Misread' }).locator('td.number')).toHaveText(counted);
});
