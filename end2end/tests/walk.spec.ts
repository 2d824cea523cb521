import { test, expect, Page } from '@playwright/test';
import { signIn } from './helpers';

const PAGES = [
  '/', '/map', '/admin/users', '/admin/cameras', '/hotlists', '/audit', '/audit/sample', '/audit/flags', '/requests',
  '/search', '/analysis', '/clones', '/locker', '/statements', '/oversight', '/registers', '/no-such-page',
];
const ROLES = ['admin', 'investigator', 'analyst', 'inspector', 'hotlists', 'auditor'];

/** Collects every console error and uncaught exception of `page`. */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`exception: ${e.message}`));
  return errors;
}

for (const role of ROLES) {
  test(`every page as ${role}: hydrates with the navigation, no browser errors, keys pressed after leaving`, async ({ page }) => {
    test.setTimeout(120_000);
    const errors = watchErrors(page);
    await signIn(page, role);
    for (const path of PAGES) {
      await page.goto(path);
      await expect(page.locator('body[data-hydrated]'), path).toBeAttached();
      await expect(page.getByRole('navigation'), `${path} keeps the shell`).toBeVisible();
      await expect(page.getByTestId('signed-in-user')).toBeVisible();
      // Leave through the navigation, then type: no listener of the page left behind may fire.
      await page.getByRole('navigation').getByRole('link').first().click();
      await page.keyboard.press('j');
      await page.keyboard.press('Escape');
    }
    await expect(page.locator('main')).toBeVisible();
    expect(errors, errors.join('\n')).toEqual([]);
  });
}

// Moving between the pages that hold a map, in the page (no reload): each page opens a map of
// its own, ready and drawn, and the one it left is gone.
test('moving between the map pages in the browser opens each one its own map', async ({ page }) => {
  const errors = watchErrors(page);
  await signIn(page, 'investigator');
  await page.goto('/map');
  await expect(page.locator('body[data-hydrated]')).toBeAttached();
  const nav = page.getByRole('navigation');
  for (const [label, path] of [['Search', '/search'], ['Analysis', '/analysis'], ['Map', '/map'], ['Search', '/search']]) {
    await nav.getByRole('link', { name: label, exact: true }).click();
    await expect(page).toHaveURL(new RegExp(`${path}$`));
    const map = page.getByTestId('map');
    await expect(map, `${path}: one map`).toHaveCount(1);
    await expect(map, `${path}: its map is open`).toHaveAttribute('data-map-ready', 'true');
    // Leaflet has laid out its panes in this page's own container.
    await expect(map.locator('.leaflet-map-pane'), `${path}: the map is drawn`).toHaveCount(1);
  }
  expect(errors, errors.join('\n')).toEqual([]);
});
