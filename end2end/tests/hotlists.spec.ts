import { test, expect, request } from '@playwright/test';
import { BASE_URL, DEMO_PASSWORD } from '../playwright.config';
import { freshPlate, plateSeenTwice, sendReads, signIn, signOut, testFeed } from './helpers';

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

test('alerts are grouped per vehicle, hide when asked, say why a decision is refused, and show on the map', async ({ page }) => {
  const plate = freshPlate();
  const admin = await request.newContext({ baseURL: BASE_URL });
  expect((await admin.post('/api/v1/auth/login', { data: { username: 'hotlists', password: DEMO_PASSWORD } })).ok()).toBeTruthy();
  const list = await (await admin.post('/api/v1/hotlists', {
    data: { name: `Op Kestrel ${plate}`, kind: 'voi', audience: { type: 'role', role: 'investigator' } },
  })).json();
  const added = await admin.post(`/api/v1/hotlists/${list.id}/entries`, {
    data: { vrm: plate, intelligence_ref: 'INT/2026/0123', reason: 'stolen', warning_markers: [], action: 'report sighting' },
  });
  expect(added.status()).toBe(201);
  await admin.dispose();
  const { key, cameras } = await testFeed();
  await sendReads(key, [
    { plate, camera: cameras[0], secondsAgo: 90 },
    { plate, camera: cameras[1], secondsAgo: 60 },
    { plate, camera: cameras[0], secondsAgo: 30 },
  ]);

  await signIn(page, 'investigator');
  const tray = page.getByTestId('alert-tray');
  const group = tray.locator(`.alert[data-plate="${plate}"]`);
  await expect(group).toHaveCount(1);
  await expect(group).toHaveAttribute('data-count', '3');
  await expect(group).toContainText('3 sightings');
  await expect(group).toContainText(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC at .* site 1, heading N/);
  await expect.poll(async () => group.locator('img.alert-overview').evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth)).toBeGreaterThan(0);

  await tray.getByRole('button', { name: 'Hide' }).click();
  await expect(tray.getByTestId('alert-list')).toHaveCount(0);
  await tray.getByRole('button', { name: 'Show' }).click();
  await expect(group).toBeVisible();

  // A decision without a reason is refused, and says so in the tray.
  await group.getByRole('button', { name: 'Reject' }).click();
  await expect(tray.getByRole('alert')).toContainText(`${plate}: a reason`);
  await expect(group).toHaveCount(1);

  await group.getByRole('link', { name: 'Show on map' }).click();
  await expect(page).toHaveURL(/\/map$/);
  await tray.getByLabel('Reason for your decision').fill('stopped by a patrol at the site');
  await tray.locator(`.alert[data-plate="${plate}"]`).getByRole('button', { name: 'Accept' }).click();
  await expect(tray.getByRole('status')).toHaveText(`${plate} accepted (3 sightings).`);
  await expect(tray.locator(`.alert[data-plate="${plate}"]`)).toHaveCount(0);
});

test("a vehicle's card keeps an older alert's FIREARMS and 'do not stop' above a newer alert's silence", async ({ page }) => {
  const plate = freshPlate();
  const admin = await request.newContext({ baseURL: BASE_URL });
  expect((await admin.post('/api/v1/auth/login', { data: { username: 'hotlists', password: DEMO_PASSWORD } })).ok()).toBeTruthy();
  const list = await (await admin.post('/api/v1/hotlists', {
    data: { name: `Op Merlin ${plate}`, kind: 'voi', audience: { type: 'role', role: 'investigator' } },
  })).json();
  const entry = (markers: string[], action: string) => admin.post(`/api/v1/hotlists/${list.id}/entries`, {
    data: { vrm: plate, intelligence_ref: 'INT/2026/0456', reason: 'armed robbery', warning_markers: markers, action },
  });
  const first = await entry(['VIOLENT', 'FIREARMS'], 'Do not stop: report at once');
  expect(first.status()).toBe(201);
  const { key, cameras } = await testFeed();
  await sendReads(key, [{ plate, camera: cameras[0], secondsAgo: 60 }]);
  // The entry is ended and the plate listed again without markers: a newer alert says nothing.
  const removed = await admin.post(`/api/v1/hotlists/entries/${(await first.json()).id}/remove`, { data: { reason: 'relisted' } });
  expect(removed.status()).toBe(204);
  expect((await entry([], 'report sighting')).status()).toBe(201);
  await admin.dispose();
  await sendReads(key, [{ plate, camera: cameras[1], secondsAgo: 30 }]);

  await signIn(page, 'investigator');
  const group = page.getByTestId('alert-tray').locator(`.alert[data-plate="${plate}"]`);
  // The relisted entry also finds the first read again (R7): two or three sightings.
  await expect(group).toHaveAttribute('data-count', /^[23]$/);
  const markers = group.getByRole('list', { name: 'Warning markers' }).getByRole('listitem');
  await expect(markers).toHaveText(['FIREARMS', 'VIOLENT']);
  await expect(markers.first()).toHaveClass(/grave/);
  const actions = group.getByRole('list', { name: 'Action' }).getByRole('listitem');
  await expect(actions).toHaveText(['Do not stop: report at once', 'report sighting']);
  await expect(actions.first()).toHaveClass(/grave/);
});

test('a CSV file of 1,201 rows goes in by parts with its progress shown, and the refused row is named by its line', async ({ page }) => {
  test.setTimeout(90_000);
  await signIn(page, 'hotlists');
  await page.getByRole('navigation').getByRole('link', { name: 'Hotlists' }).click();
  await expect(page.locator('body[data-hydrated]')).toBeAttached();
  const name = `Op Lantern ${Date.now()}`;
  const form = page.getByTestId('new-hotlist');
  await form.getByLabel('Name', { exact: true }).fill(name);
  await form.getByLabel('Kind').selectOption('voi');
  await form.getByLabel('Audience').selectOption('role:investigator');
  await form.getByRole('button', { name: 'Create list' }).click();
  await expect(form.getByRole('status')).toHaveText(`Created ${name}.`);
  await page.locator(`tr[data-hotlist="${name}"]`).getByRole('button', { name: 'Open' }).click();

  // 1,201 rows: three parts of at most 500; line 700 (the 699th row) is not a plate.
  const tag = Math.random().toString(36).slice(2, 5).toUpperCase().replace(/[^A-Z]/g, 'Q');
  const rows = Array.from({ length: 1201 }, (_, i) =>
    i === 698 ? 'NOT A PLATE!,INT/1,bad row,,' : `L${tag}${String(i).padStart(4, '0')},INT/${i},vehicle of interest,,`);
  const csv = ['vrm,intelligence_ref,reason,warning_markers,action', ...rows].join('\n');
  // Each part answered a little late, so the progress can be seen between them.
  let parts = 0;
  await page.route('**/api/v1/hotlists/*/import', async (route) => {
    parts += 1;
    await new Promise((done) => setTimeout(done, 500));
    await route.continue();
  });
  const importer = page.getByTestId('csv-import');
  await importer.getByLabel('File').setInputFiles({ name: 'lantern.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await expect(importer.getByLabel('vrm,intelligence_ref,reason,warning_markers,action')).toHaveValue(csv);
  await importer.getByRole('button', { name: 'Import' }).click();
  await expect(importer.getByRole('status')).toContainText('of 1201 rows');
  await expect(importer.locator('progress')).toBeVisible();
  await expect(importer.getByRole('alert')).toContainText(
    'Imported 1200 entries; refused 1: line 700: vrm `NOT A PLATE!`', { timeout: 60_000 });
  expect(parts).toBe(3);
  await expect(importer.locator('progress')).toHaveCount(0);

  const lists = await (await page.request.get('/api/v1/hotlists')).json();
  const list = lists.find((l: any) => l.name === name);
  const entries = await (await page.request.get(`/api/v1/hotlists/${list.id}/entries`)).json();
  expect(entries.length).toBe(1200);
});
