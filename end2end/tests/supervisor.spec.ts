import { test, expect } from '@playwright/test';
import { freshPlate, openSection, signIn, signOut, testFeed } from './helpers';

/** `datetime-local` text for `days` ago, in UTC. */
function daysAgo(days: number): string {
  return new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 16);
}

test('a supervisor sees the wait and the tier, is warned of a window beyond it, and a refused decision keeps what was typed', async ({ page }) => {
  await signIn(page, 'investigator');
  const plate = freshPlate();
  await openSection(page, 'Requests');
  const form = page.getByTestId('new-request');
  await form.getByLabel('Crime type').fill('Burglary');
  await form.getByLabel('Reason', { exact: true }).fill('A van seen at three burglaries; its movements over four months');
  await form.getByLabel('Plates or partial plates').fill(plate);
  await form.getByLabel('From (UTC)').fill(daysAgo(120));
  await form.getByLabel('Handling of the results').fill('Intelligence only');
  await form.getByRole('button', { name: 'Submit request' }).click();
  await expect(form.getByRole('status')).toHaveText(/^Submitted as REQ-/);
  const reference = ((await form.getByRole('status').textContent()) ?? '').replace('Submitted as ', '').replace('.', '');
  await signOut(page);

  await signIn(page, 'inspector');
  await openSection(page, 'Requests');
  const card = page.locator(`article[data-reference="${reference}"]`);
  await expect(card).toContainText(/Submitted\s*\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC \(waiting \d+ min\)/);
  await expect(card).toContainText(/local — reaches back to .* \(90 days\)/);
  await expect(card.getByTestId('beyond-tier')).toContainText("before the requester's tier reaches");

  // No rationale: refused, on the card, with the typed expiry kept.
  const expiry = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 16);
  await card.getByLabel(/Approval expires/).fill(expiry);
  await card.getByRole('button', { name: 'Approve' }).click();
  await expect(card.getByRole('alert')).toContainText(/rationale/i);
  await expect(card.getByLabel(/Approval expires/)).toHaveValue(expiry);

  await card.getByLabel('Rationale').fill('Serious series; the part beyond 90 days is for a central-tier colleague');
  await card.getByRole('button', { name: 'Approve' }).click();
  await expect(card.getByRole('status')).toHaveText(`${reference} approved, until ${expiry.replace('T', ' ')}:00 UTC.`);
  await expect(card.getByRole('button', { name: 'Reject' })).toHaveCount(0);

  // What the inspector decided is listed, and an approval in force can be revoked, with why.
  await page.reload();
  await expect(page.locator('body[data-hydrated]')).toBeAttached();
  const row = page.getByTestId('decided-requests').locator(`tr[data-reference="${reference}"]`);
  await expect(row.locator('.status')).toContainText('approved until');
  await row.getByLabel('Why revoke').fill('The series was charged; no further need');
  page.once('dialog', (d) => d.accept());
  await row.getByRole('button', { name: 'Revoke' }).click();
  await expect(page.getByRole('status').filter({ hasText: `${reference}: approval revoked.` })).toBeVisible();
  await expect(page.getByTestId('decided-requests').locator(`tr[data-reference="${reference}"] .status`)).toContainText('revoked');
});

test('cameras are chosen by name, zone or feed id, and shown by name', async ({ page }) => {
  const { cameras } = await testFeed();
  await signIn(page, 'investigator');
  await openSection(page, 'Requests');
  const picker = page.getByTestId('cameras-picker');
  // The feed's own id finds the camera; what is offered is named, and a choice becomes a chip.
  await picker.getByLabel('Cameras (optional)').fill(cameras[1]);
  const offer = picker.getByRole('option').filter({ hasText: 'site 2' });
  await expect(offer.first()).toContainText(`feed id ${cameras[1]}`);
  const name = ((await offer.first().locator('button').textContent()) ?? '').split(' · ')[0].trim();
  await offer.first().getByRole('button').click();
  await expect(picker.locator('.chip')).toHaveCount(1);
  await expect(picker.locator('.chip')).toContainText(`${name} (e2e)`);
  await expect(picker.getByLabel('Cameras (optional)')).toHaveValue('');
  // By zone too; and a chip is removed with its ×.
  await picker.getByLabel('Cameras (optional)').fill('e2e');
  await expect(picker.getByRole('option').first()).toBeVisible();
  await picker.locator('.chip').getByRole('button', { name: 'Remove' }).click();
  await expect(picker.locator('.chip')).toHaveCount(0);
});
