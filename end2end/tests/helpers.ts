import { expect, Page } from '@playwright/test';
import { DEMO_PASSWORD } from '../playwright.config';

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

/** Waits for a plate the simulated feed has sent through ingest at two or more cameras. */
export async function plateSeenTwice(page: Page): Promise<string> {
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
  await form.getByRole('button', { name: 'Submit request' }).click();
  await expect(form.getByRole('status')).toHaveText(/^Submitted as REQ-\d{4}-\d{6}\.$/);
  const reference = ((await form.getByRole('status').textContent()) ?? '').replace('Submitted as ', '').replace('.', '');
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
  await expect(page.locator(`article[data-reference="${reference}"]`)).toHaveCount(0);
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
