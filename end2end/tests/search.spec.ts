import { test, expect } from '@playwright/test';
import { signIn, signOut } from './helpers';

test('a request is approved, the journey searched on the map, and the search sampled for audit', async ({ page }) => {
  test.setTimeout(120_000);
  await signIn(page, 'investigator');
  // A plate the simulated feed has sent through ingest at two or more cameras.
  let plate = '';
  await expect.poll(async () => {
    const reads = await (await page.request.get('/api/v1/reads/recent?limit=1000')).json();
    const seen = new Map<string, Set<number>>();
    for (const r of reads) {
      seen.set(r.plate, (seen.get(r.plate) ?? new Set()).add(r.camera_id));
    }
    plate = [...seen.entries()].find(([, cameras]) => cameras.size >= 2)?.[0] ?? '';
    return plate;
  }, { timeout: 60_000, intervals: [2_000] }).not.toBe('');

  await page.getByRole('navigation').getByRole('link', { name: 'Requests' }).click();
  await expect(page.locator('body[data-hydrated]')).toBeAttached();
  const form = page.getByTestId('new-request');
  await form.getByLabel('Crime type').fill('Robbery');
  await form.getByLabel('Reason', { exact: true }).fill('Vehicle seen leaving a street robbery; establish its route');
  await form.getByLabel('Plates or partial plates').fill(plate);
  await form.getByLabel('Handling of the results').fill('Intelligence only; shared within the investigation team');
  await form.getByRole('button', { name: 'Submit request' }).click();
  await expect(form.getByRole('status')).toHaveText(/^Submitted as REQ-\d{4}-\d{6}\.$/);
  const reference = ((await form.getByRole('status').textContent()) ?? '').replace('Submitted as ', '').replace('.', '');
  await expect(page.locator(`tr[data-reference="${reference}"] .status`)).toHaveText('pending');
  await signOut(page);

  await signIn(page, 'inspector');
  await page.getByRole('navigation').getByRole('link', { name: 'Requests' }).click();
  await expect(page.locator('body[data-hydrated]')).toBeAttached();
  const pending = page.locator(`article[data-reference="${reference}"]`);
  await expect(pending).toContainText(plate);
  await pending.getByLabel('Rationale').fill('Proportionate: one vehicle, a short window, serious offence');
  await pending.getByRole('button', { name: 'Approve' }).click();
  await expect(page.getByTestId('request-queue').or(page.getByText('Nothing awaits a decision.'))).toBeVisible();
  await expect(page.locator(`article[data-reference="${reference}"]`)).toHaveCount(0);
  await signOut(page);

  await signIn(page, 'investigator');
  await page.getByRole('navigation').getByRole('link', { name: 'Search' }).click();
  await expect(page.locator('body[data-hydrated]')).toBeAttached();
  const search = page.getByTestId('search-form');
  const chooser = search.getByLabel('Under request');
  await expect(chooser.locator('option', { hasText: reference })).toBeAttached();
  await chooser.selectOption((await chooser.locator('option', { hasText: reference }).getAttribute('value')) ?? '');
  await expect(search.getByLabel('Plate', { exact: true })).toHaveValue(plate);
  await search.getByRole('button', { name: 'Search' }).click();
  await expect(search.getByRole('status')).toContainText(`under ${reference}`);
  const rows = page.getByTestId('search-results').locator('tbody tr');
  expect(await rows.count()).toBeGreaterThanOrEqual(2);
  await expect(rows.first()).toContainText(plate);
  // The journey joins the sightings on the map, and the slider plays it back.
  await expect(page.locator('path.journey')).toHaveCount(1);
  await expect(page.locator('path.sighting.current')).toHaveCount(1);
  await page.getByTestId('time-slider').fill('0');
  await expect(page.getByTestId('slider-time')).toContainText(plate);
  await expect(rows.first()).toHaveClass(/current/);
  await rows.first().click();
  const detail = page.getByTestId('read-detail');
  await expect(detail.locator('.plate')).toHaveText(plate);
  await expect.poll(async () => detail.locator('img.read-overview').evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth)).toBeGreaterThan(0);
  await signOut(page);

  await signIn(page, 'auditor');
  await page.getByRole('navigation').getByRole('link', { name: 'Audit sample' }).click();
  await expect(page.locator('body[data-hydrated]')).toBeAttached();
  const sample = page.getByTestId('open-samples').locator('article.sample').filter({ hasText: reference });
  await expect(sample).toContainText(plate);
  await expect(sample).toContainText('investigator');
  await sample.getByLabel('Note').fill('Necessary for the robbery; window proportionate');
  await sample.getByRole('button', { name: 'Record finding' }).click();
  await expect(page.getByTestId('sample-findings')).toContainText(reference);
});

test('an admin withholds a kind of search from an investigator', async ({ page }) => {
  await signIn(page, 'admin');
  await page.getByRole('navigation').getByRole('link', { name: 'Users' }).click();
  await expect(page.locator('body[data-hydrated]')).toBeAttached();
  await page.locator('tr[data-username="analyst"]').getByRole('button', { name: 'Edit' }).click();
  const form = page.getByTestId('search-restrictions');
  await expect(form).toContainText('analyst');
  await form.getByLabel('No misread-tolerant search').check();
  await form.getByRole('button', { name: 'Save restrictions' }).click();
  await expect(form.getByRole('status')).toHaveText('Restrictions saved.');
  const users = await (await page.request.get('/api/v1/users')).json();
  const analyst = users.find((u: any) => u.username === 'analyst');
  const saved = await (await page.request.get(`/api/v1/users/${analyst.id}/restrictions`)).json();
  expect(saved.denied_capabilities).toEqual(['plate_misread']);
});
