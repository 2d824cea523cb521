import { test, expect } from '@playwright/test';
import { apiAs, decideThroughApi, freshPlate, openSection, requestThroughApi, sendReads, signIn, signOut, testFeed } from './helpers';

// Greater London, well beyond the test cameras.
const LONDON = { south: 51.3, west: -0.5, north: 51.7, east: 0.3 };

test('an area search puts all of its reads on the map, counted per camera, not only the first page', async ({ page }) => {
  test.setTimeout(120_000);
  const { key, cameras, names } = await testFeed();
  // 620 reads of 620 vehicles: more than a page (500) of results.
  const reads = Array.from({ length: 620 }, (_, i) => ({ plate: freshPlate(), camera: cameras[i % 2], secondsAgo: 3600 + i }));
  await sendReads(key, reads);
  const { reference } = await requestThroughApi({ area: LONDON });

  await signIn(page, 'investigator');
  await openSection(page, 'Search');
  const form = page.getByTestId('search-form');
  const chooser = form.getByLabel('Under request');
  await expect(chooser.locator('option', { hasText: reference })).toBeAttached();
  await chooser.selectOption((await chooser.locator('option', { hasText: reference }).getAttribute('value')) ?? '');
  await form.locator('select[name="mode"]').selectOption('area');
  // The search is narrowed to the two test cameras, chosen by name.
  for (const name of names) {
    await form.getByLabel('And/or cameras').fill(name);
    await form.getByRole('option').filter({ hasText: name }).first().getByRole('button').click();
  }
  await form.getByRole('button', { name: 'Search' }).click();
  await expect(form.getByRole('status')).toHaveText(`620 reads under ${reference}`);
  await expect(page.getByTestId('camera-counts')).toHaveText('All 620 reads are on the map, counted at 2 cameras; the table lists them 100 at a time.');
  await expect(page.getByTestId('map')).toHaveAttribute('data-counted-reads', '620');
  // Each camera's marker carries its count, with its name and time span on hover.
  const marker = page.locator('.read-count').filter({ hasText: /^310$/ });
  await expect(marker).toHaveCount(2);
  await marker.first().hover();
  await expect(page.locator('.leaflet-tooltip')).toContainText(/site \d · 310 reads · \d{4}-\d{2}-\d{2} \d{2}:\d{2} – /);
  // The table pages as before; the map already holds the rest.
  await expect(page.getByTestId('search-results').locator('tbody tr')).toHaveCount(100);
  await expect(page.getByRole('button', { name: 'More results (500 shown of 620)' })).toBeVisible();
  // Choosing a row marks that read alone on the map: no journey joins different vehicles.
  await page.getByTestId('search-results').locator('tbody tr').nth(3).click();
  await expect(page.locator('path.sighting.current')).toHaveCount(1);
  await expect(page.locator('path.journey')).toHaveCount(0);
});

test('a supervisor judges an area on a map and a statement by its reads; the investigator is told of the decision in the page', async ({ page }) => {
  test.setTimeout(120_000);
  const { key, cameras } = await testFeed();
  const plate = freshPlate();
  await sendReads(key, [{ plate, camera: cameras[0], secondsAgo: 900 }, { plate, camera: cameras[1], secondsAgo: 600 }]);
  const area = { south: 51.49, west: -0.12, north: 51.53, east: -0.05 };
  const pending = await requestThroughApi({ plates: [plate], area }, false);

  await signIn(page, 'inspector');
  await openSection(page, 'Requests');
  const card = page.locator(`article[data-reference="${pending.reference}"]`);
  // The area is drawn on a map of its own on the card, not given as bare coordinates only.
  await expect(card.getByTestId('area-map').locator('path.search-area')).toHaveCount(1);
  await signOut(page);

  // The investigator, on another page, hears of the decision without reloading.
  await signIn(page, 'investigator');
  await openSection(page, 'Statements');
  await decideThroughApi(pending.id, true);
  await expect(page.getByTestId('request-notices')).toContainText(`${pending.reference} approved by`, { timeout: 25_000 });

  // A statement over the two reads, asked for through the API; the supervisor sees its reads.
  const investigator = await apiAs('investigator');
  const now = Date.now();
  const search = await (await investigator.post('/api/v1/searches', {
    data: { request_id: pending.id, query: { kind: 'plate', plate, mode: 'exact' }, from: new Date(now - 86_400_000).toISOString(), to: new Date(now).toISOString() },
  })).json();
  const asked = await investigator.post('/api/v1/statements', {
    data: { search_id: search.search_id, read_ids: search.results.map((r: { id: number }) => r.id), reason: 'Charging file: the route on the night' },
  });
  expect(asked.status()).toBe(201);
  const statement = await asked.json();
  await investigator.dispose();
  await signOut(page);

  await signIn(page, 'inspector');
  await openSection(page, 'Statements');
  const asking = page.locator(`article[data-statement="${statement.id}"]`);
  const rows = asking.getByTestId('statement-reads').locator('tbody tr');
  await expect(rows).toHaveCount(2);
  await expect(rows.first()).toContainText(plate);
  await expect(rows.first()).toContainText('not checked against its images');
  // A decision without its rationale is not sent: the server would refuse it, on the record.
  await asking.getByRole('button', { name: 'Approve' }).click();
  await expect(asking.getByRole('alert')).toHaveText(/^Not sent: a decision needs a rationale/);
  await asking.getByLabel('Rationale').fill('The reads are verified and needed for the file');
  await asking.getByRole('button', { name: 'Approve' }).click();
  await expect(asking).toHaveCount(0);
});
