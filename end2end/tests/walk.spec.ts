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
