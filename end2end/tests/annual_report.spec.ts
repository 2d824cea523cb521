import { expect, test } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';
import { openSection, signIn } from './helpers';

const SECTIONS = [
  'Summary of use', 'Difficulties', 'Technical difficulties', 'Audit', 'Challenges', 'Transfers', 'Requests',
  'General privacy issues', 'Deletions', 'Usefulness',
];

/** The text of every page of a PDF, as a PDF reader extracts it. */
async function pdfText(file: string): Promise<string> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const standardFontDataUrl = `${path.join(__dirname, '..', 'node_modules', 'pdfjs-dist', 'standard_fonts')}/`;
  const doc = await pdfjs.getDocument({ data: new Uint8Array(fs.readFileSync(file)), standardFontDataUrl }).promise;
  const pages: string[] = [];
  for (let n = 1; n <= doc.numPages; n++) {
    const content = await (await doc.getPage(n)).getTextContent();
    pages.push(content.items.map((item) => ('str' in item ? item.str : '')).join('\n'));
  }
  return pages.join('\n');
}

test('an auditor draws the year\'s report and downloads it as a PDF with every section', async ({ page }) => {
  await signIn(page, 'auditor');
  await openSection(page, 'Annual report');
  const year = String(new Date().getUTCFullYear());
  await page.getByLabel('Year').fill(year);
  await page.getByLabel('Year').dispatchEvent('change');
  await expect(page.getByLabel('From')).toHaveValue(`${year}-01-01`);
  const sections = page.getByTestId('report-sections');
  for (const [n, section] of SECTIONS.entries()) {
    await expect(sections.locator('summary', { hasText: `${n + 1}. ${section}` })).toBeVisible();
  }
  await expect(page.getByTestId('report-about')).toContainText('Audit log intact');
  await expect(page.getByTestId('intensity-zones')).toBeVisible();

  const download = page.waitForEvent('download');
  await page.getByTestId('download-pdf').click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(new RegExp(`^anpr-annual-report-${year}-01-01_${year}-\\d\\d-\\d\\d\\.pdf$`));
  const text = await pdfText((await file.path())!);
  expect(text).toContain(`ANPR annual report, ${year}-01-01 to`);
  for (const [n, section] of SECTIONS.entries()) {
    expect(text).toContain(`${n + 1}. ${section}`);
  }
  expect(text).toMatch(/Audit chain \S+ head: row \d+ hash [0-9a-f]{64}/);
  expect(text).toContain('Audit log verified: intact');
});

test('an auditor records a breach and answers a subject access request from what the system holds', async ({ page }) => {
  await signIn(page, 'auditor');
  await openSection(page, 'Registers');
  const today = new Date().toISOString().slice(0, 10);
  const breach = page.getByTestId('new-breaches');
  await breach.getByLabel('Happened on').fill(today);
  await breach.getByLabel('What happened').fill('A results spreadsheet was left on a shared drive');
  await breach.getByRole('button', { name: 'Record' }).click();
  await expect(breach.getByRole('status')).toContainText(/Recorded as BR-\d{4}-\d{6}/);
  await expect(page.getByTestId('breaches-entries')).toContainText('left on a shared drive');

  const sar = page.getByTestId('new-subject-access');
  await sar.getByLabel('Asked on').fill(today);
  await sar.getByLabel('Plate (if the request names one)').fill('NOSUCH1');
  await sar.getByLabel('What was asked').fill('Where has my vehicle been recorded?');
  await sar.getByRole('button', { name: 'Record' }).click();
  await expect(sar.getByRole('status')).toContainText(/Recorded as SAR-/);
  const entry = page.getByTestId('subject-access-entries').getByTestId('register-entry').first();
  await entry.getByTestId('sar-search').click();
  await expect(entry.getByRole('status')).toContainText('0 reads held for NOSUCH1');
  await entry.getByLabel('Answer').selectOption('nothing_held');
  await entry.getByRole('button', { name: 'Save and close' }).click();
  await expect(page.getByTestId('subject-access-entries').getByTestId('register-entry').first()).toContainText('Nothing held');
});
