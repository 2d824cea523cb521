import { expect, Page, request } from '@playwright/test';
import { BASE_URL, DEMO_PASSWORD } from '../playwright.config';

/** Fills the login form once the page is hydrated and submits it. */
export async function submitLogin(page: Page, username: string, password: string) {
  await page.goto('/login');
  await expect(page.locator('body[data-hydrated]')).toBeAttached();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Signs in (a demo account unless a password is given) and waits for the signed-in shell. */
export async function signIn(page: Page, username: string, password: string = DEMO_PASSWORD) {
  await submitLogin(page, username, password);
  await expect(page.getByTestId('signed-in-user')).toBeVisible();
}

export async function signOut(page: Page) {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login$/);
}

/** Opens a section from the navigation bar and waits for hydration. */
export async function openSection(page: Page, name: string) {
  await page.getByRole('navigation').getByRole('link', { name, exact: true }).click();
  await expect(page.locator('body[data-hydrated]')).toBeAttached();
}

// A compliant plate patch (100×25) and overview (160×100), as PNG.
const PATCH = 'iVBORw0KGgoAAAANSUhEUgAAAGQAAAAZCAIAAABIPBwcAAAAOUlEQVR42u3QMQ0AAAwDoPqXVzm9ZmECSFBA1vCkQJYsWbJkoUCWLFmyZKFAlixZsmShQJYsWbJkcaQ2jTBRGlgwAAAAAElFTkSuQmCC';
const OVERVIEW = 'iVBORw0KGgoAAAANSUhEUgAAAKAAAABkCAIAAACO1KzYAAAAsUlEQVR42u3RQQ0AAAgDsencG/8asEFIk1NwTTt6XCwALMACLMACLMACDFiABViABViABRiwAAuwAAuwAAuwAAMWYAEWYAEWYAEGLMACLMACLMACDFiABViABViABViAAQuwAAuwAAuwAAMWYAEWYAEWYAEG7AJgARZgARZgARZgwAIswAIswAIswIAFWIAFWIAFWIAFGLAAC7AAC7AACzBgARZgARZgARZgwAIswLrXAqNzX/3ttr/qAAAAAElFTkSuQmCC';

/** A plate nobody else uses: two letters, two digits, three letters. */
export function freshPlate(): string {
  const letter = () => 'ABCEFHJKLMNPRTVWXY'[Math.floor(Math.random() * 18)];
  const digit = () => String(Math.floor(Math.random() * 10));
  return `${letter()}${letter()}${digit()}${digit()}${letter()}${letter()}${letter()}`;
}

/** A demo user's API session. */
export async function apiAs(username: string) {
  const api = await request.newContext({ baseURL: BASE_URL });
  const login = await api.post('/api/v1/auth/login', { data: { username, password: DEMO_PASSWORD } });
  expect(login.ok()).toBeTruthy();
  return api;
}

/** A request by the demo investigator over `scope` (plates, area, cameras; the last 30 days),
 *  submitted through the API; approved by the demo inspector unless `approve` is false. */
export async function requestThroughApi(
  scope: {
    plates?: string[]; area?: { south: number; west: number; north: number; east: number }; cameras?: number[];
    analysis?: 'convoy' | 'places' | 'description' | 'pattern';
  },
  approve = true,
): Promise<{ id: number; reference: string }> {
  const investigator = await apiAs('investigator');
  const now = Date.now();
  const submitted = await investigator.post('/api/v1/requests', {
    data: {
      purpose: 'crime_investigation', crime_type: 'Robbery', seriousness: 'serious',
      reason: 'Vehicles seen near a series of robberies; who passed the sites',
      scope: { plates: [], cameras: [], ...scope, from: new Date(now - 30 * 86_400_000).toISOString(), to: new Date(now + 3_600_000).toISOString() },
      handling: 'Intelligence only; shared within the investigation team', surveillance: false,
    },
  });
  expect(submitted.status()).toBe(201);
  const request = await submitted.json();
  await investigator.dispose();
  if (approve) await decideThroughApi(request.id, true);
  return { id: request.id, reference: request.reference };
}

/** The demo inspector's decision on request `id`. */
export async function decideThroughApi(id: number, approve: boolean) {
  const inspector = await apiAs('inspector');
  const decided = await inspector.post(`/api/v1/requests/${id}/decision`, {
    data: { approve, rationale: 'Proportionate: a short window over a serious series' },
  });
  expect(decided.ok()).toBeTruthy();
  await inspector.dispose();
}

/** A feed of its own with `sites` approved cameras (two unless said) in central London, set up
 *  by the demo admin. */
export async function testFeed(sites = 2): Promise<{ key: string; cameras: string[]; names: string[]; ids: number[] }> {
  const admin = await request.newContext({ baseURL: BASE_URL });
  const login = await admin.post('/api/v1/auth/login', { data: { username: 'admin', password: DEMO_PASSWORD } });
  expect(login.ok()).toBeTruthy();
  const name = `e2e-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
  const created = await (await admin.post('/api/v1/feeds', { data: { name } })).json();
  const cameras: string[] = [];
  const names: string[] = [];
  const ids: number[] = [];
  // The first two sites as ever; any more on a grid around them, a few hundred metres apart.
  const places: [number, number, number][] = [[1, 51.513, -0.092], [2, 51.507, -0.075]];
  for (let n = 3; n <= sites; n++) places.push([n, 51.49 + 0.004 * (n % 10), -0.12 + 0.006 * Math.floor(n / 10)]);
  for (const [n, lat, lon] of places) {
    const camera = await (await admin.post('/api/v1/cameras', {
      data: { feed_id: created.feed.id, external_id: `E2E-${n}`, name: `${name} site ${n}`, lat, lon, zone: 'e2e' },
    })).json();
    const approved = await admin.patch(`/api/v1/cameras/${camera.id}/status`, {
      data: { status: 'approved', reason: 'browser test site' },
    });
    expect(approved.ok()).toBeTruthy();
    cameras.push(`E2E-${n}`);
    names.push(camera.name);
    ids.push(camera.id);
  }
  await admin.dispose();
  return { key: created.api_key, cameras, names, ids };
}

/** Sends reads of `plate` through ingest, as a camera would, with both images. */
export async function sendReads(key: string, reads: { plate: string; camera: string; secondsAgo: number }[]) {
  const feed = await request.newContext({ baseURL: BASE_URL });
  const body = {
    reads: reads.map((r) => ({
      plate: r.plate, camera: r.camera, confidence: 0.92, direction: 'N', make: 'Ford', model: 'Focus', colour: 'blue',
      captured_at: new Date(Date.now() - r.secondsAgo * 1000).toISOString(),
      plate_image: PATCH, overview_image: OVERVIEW,
    })),
  };
  const r = await feed.post('/api/v1/ingest/reads', { data: body, headers: { 'x-api-key': key } });
  expect(r.ok()).toBeTruthy();
  expect((await r.json()).accepted).toBe(reads.length);
  await feed.dispose();
}

/** A fresh plate seen at two cameras a few minutes apart; returns the plate. */
export async function plateSeenTwice(): Promise<string> {
  const { key, cameras } = await testFeed();
  const plate = freshPlate();
  await sendReads(key, [
    { plate, camera: cameras[0], secondsAgo: 600 },
    { plate, camera: cameras[1], secondsAgo: 300 },
  ]);
  return plate;
}

/** As the signed-in investigator, submits a request for `plate`; returns its reference. */
export async function submitRequest(page: Page, plate: string, crimeType: string): Promise<string> {
  await openSection(page, 'Requests');
  const form = page.getByTestId('new-request');
  await form.getByLabel('Crime type').fill(crimeType);
  await form.getByLabel('Reason', { exact: true }).fill('Vehicle seen leaving the scene; establish its route');
  await form.getByLabel('Plates or partial plates').fill(plate);
  await form.getByLabel('Handling of the results').fill('Intelligence only; shared within the investigation team');
  // The confirmation of an earlier request may still be shown: wait for this one's.
  const status = form.getByRole('status');
  const earlier = (await status.count()) > 0 ? await status.textContent() : null;
  await form.getByRole('button', { name: 'Submit request' }).click();
  await expect(status).toHaveText(/^Submitted as REQ-\d{4}-\d{6}\.$/);
  if (earlier) await expect(status).not.toHaveText(earlier);
  const reference = ((await status.textContent()) ?? '').replace('Submitted as ', '').replace('.', '');
  await expect(page.locator(`tr[data-reference="${reference}"] .status`)).toHaveText('pending');
  return reference;
}

/** Signs in as the demo inspector, approves the request, and signs out. */
export async function approveAsInspector(page: Page, reference: string, plate: string) {
  await signIn(page, 'inspector');
  await openSection(page, 'Requests');
  const pending = page.locator(`article[data-reference="${reference}"]`);
  await expect(pending).toContainText(plate);
  await pending.getByLabel('Rationale').fill('Proportionate: one vehicle, a short window, serious offence');
  await pending.getByRole('button', { name: 'Approve' }).click();
  // The decision is confirmed in place, on the card.
  await expect(pending.getByRole('status')).toHaveText(new RegExp(`^${reference} approved, until \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2} UTC\\.$`));
  await expect(pending.getByRole('button', { name: 'Approve' })).toHaveCount(0);
  await signOut(page);
}

/** As the signed-in investigator, searches under `reference` for its plate; returns the result rows. */
export async function searchUnder(page: Page, reference: string, plate: string) {
  await openSection(page, 'Search');
  const search = page.getByTestId('search-form');
  const chooser = search.getByLabel('Under request');
  await expect(chooser.locator('option', { hasText: reference })).toBeAttached();
  await chooser.selectOption((await chooser.locator('option', { hasText: reference }).getAttribute('value')) ?? '');
  await expect(search.getByLabel('Plate', { exact: true })).toHaveValue(plate);
  await search.getByRole('button', { name: 'Search' }).click();
  await expect(search.getByRole('status')).toContainText(`under ${reference}`);
  const rows = page.getByTestId('search-results').locator('tbody tr');
  expect(await rows.count()).toBeGreaterThanOrEqual(2);
  return rows;
}
