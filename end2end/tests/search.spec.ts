import { test, expect } from '@playwright/test';
import { approveAsInspector, freshPlate, plateSeenTwice, searchUnder, sendReads, signIn, signOut, submitRequest, testFeed } from './helpers';

test('a request is approved, the journey searched on the map, and the search sampled for audit', async ({ page }) => {
  test.setTimeout(120_000);
  await signIn(page, 'investigator');
  const plate = await plateSeenTwice();
  const reference = await submitRequest(page, plate, 'Robbery');
  await signOut(page);
  await approveAsInspector(page, reference, plate);

  await signIn(page, 'investigator');
  const rows = await searchUnder(page, reference, plate);
  await expect(rows.first()).toContainText(plate);
  // The journey joins the sightings on the map, and the slider plays it back.
  await expect(page.locator('path.journey')).toHaveCount(1);
  await expect(page.locator('path.sighting.current')).toHaveCount(1);
  await page.getByTestId('time-slider').fill('0');
  await expect(page.getByTestId('slider-time')).toContainText(plate);
  await expect(rows.first()).toHaveClass(/current/);
  // Playback plays the sightings in order, numbered, and stops at the last.
  await page.getByRole('button', { name: 'Play journey' }).click();
  await expect(page.getByRole('button', { name: 'Pause' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Play journey' })).toBeVisible();
  await expect(page.getByTestId('slider-time')).toContainText(/^#2 /);
  // Each sighting on the map is numbered, with its time and camera on hover.
  await page.locator('path.sighting:not(.current)').first().hover();
  await expect(page.locator('.leaflet-tooltip')).toContainText(new RegExp(`^#1 · ${plate} · \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2} UTC · `));
  // Choosing a sighting on the map checks that read, and the slider and the table go to it;
  // moving the slider away from the read being checked closes the check (a verdict goes only
  // to the read the map and the table point at).
  const detail = page.getByTestId('verify-panel');
  await page.locator('path.sighting:not(.current)').first().click();
  await expect(page.getByTestId('slider-time')).toContainText(/^#1 /);
  await expect(detail.locator('.plate')).toHaveText(plate);
  await expect(rows.first()).toHaveClass(/current/);
  await page.getByTestId('time-slider').fill('1');
  await expect(detail).toHaveCount(0);
  await rows.first().click();
  await expect(detail.locator('.plate')).toHaveText(plate);
  await expect.poll(async () => detail.locator('img.verify-overview').evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth)).toBeGreaterThan(0);
  // The plate patch, the overview and the verdicts are in view together on common screens.
  for (const [width, height] of [[1366, 768], [1440, 900]]) {
    await page.setViewportSize({ width, height });
    await rows.first().click();
    await page.screenshot({ path: `test-results/verify-${width}x${height}.png` });
    for (const shown of [detail.locator('img.verify-plate'), detail.locator('img.verify-overview'), page.getByRole('button', { name: 'C Confirmed' })]) {
      await expect(shown).toBeInViewport({ ratio: 1 });
    }
  }
  await page.setViewportSize({ width: 1280, height: 720 });
  await signOut(page);

  await signIn(page, 'auditor');
  await page.getByRole('navigation').getByRole('link', { name: 'Audit sample' }).click();
  await expect(page.locator('body[data-hydrated]')).toBeAttached();
  // The rates as configured for this run (every search drawn), not fixed figures.
  await expect(page.getByTestId('sample-rates')).toHaveText('100% of searches reaching beyond 90 days and 100% of the others are drawn at random as they run.');
  const sample = page.getByTestId('open-samples').locator('article.sample').filter({ hasText: reference });
  await expect(sample).toContainText(plate);
  await expect(sample).toContainText('investigator');
  await sample.getByLabel('Note').fill('Necessary for the robbery; window proportionate');
  // Neither answer is given for the auditor: a finding without them is not sent.
  await sample.getByRole('button', { name: 'Record finding' }).click();
  await expect(sample.getByRole('alert')).toHaveText('Not sent: choose whether the search was necessary and whether it was proportionate.');
  await sample.getByRole('radiogroup', { name: 'Necessary' }).getByLabel('Yes').check();
  await sample.getByRole('radiogroup', { name: 'Proportionate' }).getByLabel('Yes').check();
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

test('a read in a cloned-plate pair is flagged on its row', async ({ page }) => {
  test.setTimeout(150_000);
  // The same plate at two sites 1.3 km apart ten seconds apart: no car does 470 km/h (R17).
  const { key, cameras } = await testFeed();
  const plate = freshPlate();
  await sendReads(key, [
    { plate, camera: cameras[0], secondsAgo: 40 },
    { plate, camera: cameras[1], secondsAgo: 30 },
  ]);
  await signIn(page, 'investigator');
  const reference = await submitRequest(page, plate, 'Vehicle crime');
  await signOut(page);
  await approveAsInspector(page, reference, plate);
  await signIn(page, 'investigator');
  const rows = await searchUnder(page, reference, plate);
  // The clone scan runs every 30 s: search again until it has flagged the pair.
  await expect(async () => {
    await page.getByTestId('search-form').getByRole('button', { name: 'Search' }).click();
    await expect(rows.locator('.clone-flag')).toHaveCount(2, { timeout: 2_000 });
  }).toPass({ timeout: 90_000, intervals: [3_000] });
  await expect(rows.locator('.clone-flag').first()).toHaveAttribute('title', /possible cloned plate: 1\.[0-9] km in 10 s — 4[0-9]{2} km\/h needed/);
});

test('a change one admin may not make alone waits on the users page for a second', async ({ page }) => {
  await signIn(page, 'admin');
  await page.getByRole('navigation').getByRole('link', { name: 'Users' }).click();
  await expect(page.locator('body[data-hydrated]')).toBeAttached();
  const username = `held${Date.now() % 1_000_000}`;
  const form = page.getByTestId('user-form');
  await form.getByLabel('Username').fill(username);
  await form.getByLabel('Display name').fill('Held Example');
  await form.getByLabel('Password').fill('a long enough password');
  await form.getByLabel('Auditor').check();
  await form.getByRole('button', { name: 'Create user' }).click();
  await expect(form.getByRole('status')).toContainText('disabled until a second system admin approves');
  const held = page.getByTestId('held-changes').locator('tr').filter({ hasText: username });
  await expect(held).toContainText('yours: another admin decides');
  await signOut(page);

  await signIn(page, 'admin2');
  await page.getByRole('navigation').getByRole('link', { name: 'Users' }).click();
  await expect(page.locator('body[data-hydrated]')).toBeAttached();
  const row = page.getByTestId('held-changes').locator('tr').filter({ hasText: username });
  await row.getByRole('button', { name: 'Approve' }).click();
  await expect(page.getByTestId('held').getByRole('status')).toHaveText(`Approved: the change to ${username} is made.`);
  await expect(page.locator(`tr[data-username="${username}"]`)).toContainText('active');
});
