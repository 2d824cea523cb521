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
