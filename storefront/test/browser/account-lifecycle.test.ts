// Issue 11 in a real browser: email verification from the mailed link, forgotten password and
// reset from the mailed link, and the account's privacy section (download my data, delete my
// account). The mail's link is built from the api's mail request, as the order-worker builds it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { PasswordResetBody, PasswordResetConfirmBody } from '../../../api/src/routes/auth/schemas.js';
import { PasswordConfirmationBody } from '../../../api/src/routes/me/schemas.js';
import { mailedToken, mailRequests } from '../../../api/test/support/mail-requests.js';
import { type StorefrontStack, startStorefrontStack } from '../../../api/test/support/storefront-stack.js';
import { auditAccessibility } from '../support/axe.js';
import { launchChromium, newContext } from '../support/browser.js';
import { buildStorefront } from '../support/build-storefront.js';
import { formLimits, schemaLimits } from '../support/schema-limits.js';
import { followVerificationMail, newShopper, signUp } from '../support/shopper.js';

describe('account lifecycle in Chromium (issue 11)', () => {
  const cleanups: (() => unknown)[] = [];
  const hooks = { after: (fn: () => unknown) => cleanups.unshift(fn) };
  let stack: StorefrontStack;
  let browser: Browser;

  before(async () => {
    const build = await buildStorefront(hooks);
    stack = await startStorefrontStack(hooks, { distDir: build.distDir, payments: false });
    browser = await launchChromium(hooks);
  });
  after(async () => {
    for (const fn of cleanups) await fn();
  });

  async function freshPage(): Promise<Page> {
    const context = await newContext(browser);
    hooks.after(() => context.close());
    return context.newPage();
  }

  async function signedUp(page: Page) {
    const shopper = newShopper();
    await page.goto(`${stack.url}/signup?next=/account`);
    await signUp(page, shopper);
    await page.getByRole('heading', { level: 1, name: 'Your account', exact: true }).waitFor();
    const id = await page.evaluate(async () => ((await (await fetch('/api/me')).json()) as { id: string }).id);
    return { ...shopper, id };
  }

  const problems: string[] = [];
  const audit = (page: Page, label: string) => auditAccessibility(page, label, problems);

  it('asks a new shopper to verify, sends a new link on request, and verifies from the mailed link, which leaves the address bar at once and works once', async () => {
    const page = await freshPage();
    const shopper = await signedUp(page);
    const notice = page.getByRole('region', { name: 'Verify your email address' });
    await notice.getByText(shopper.email).waitFor();
    await audit(page, 'account, email not verified');
    await notice.getByRole('button', { name: 'Send a new link' }).click();
    await notice.getByText('A new link is on its way').waitFor();
    assert.equal((await mailRequests(stack.db, shopper.id, 'email_verification')).length, 2, 'signup and resend');

    const token = await mailedToken(stack.db, shopper.id, 'email_verification');
    await page.goto(`${stack.url}/verify-email?token=${token}`);
    await page.getByText('Your email address is verified').waitFor();
    assert.equal(new URL(page.url()).search, '', 'the token is gone from the address bar');
    await audit(page, 'email verified');
    await page.goto(`${stack.url}/account`);
    await page.getByRole('heading', { level: 1, name: 'Your account', exact: true }).waitFor();
    assert.equal(await page.getByRole('region', { name: 'Verify your email address' }).count(), 0);

    // The same link again, and a forged one: refused, and the page says so.
    await page.goto(`${stack.url}/verify-email?token=${token}`);
    await page.getByRole('alert').filter({ hasText: 'already been used' }).waitFor();
    await page.goto(`${stack.url}/verify-email?token=${'A'.repeat(43)}`);
    await page.getByRole('alert').filter({ hasText: 'This link is not valid' }).waitFor();
    await audit(page, 'verification link refused');
  });

  it('resets a forgotten password from the mailed link: the same words for a known and an unknown email, the old password stops working, the new one signs in', async () => {
    const page = await freshPage();
    const shopper = await signedUp(page);
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.goto(`${stack.url}/login`);
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.getByRole('heading', { level: 1, name: 'Forgot your password?' }).waitFor();
    await audit(page, 'forgot password');
    assert.deepEqual(await formLimits(page, { email: 'forgot-email' }), schemaLimits(PasswordResetBody));
    await page.getByLabel('Email').fill(`nobody.${shopper.id}@example.test`);
    await page.getByRole('button', { name: 'Send the link' }).click();
    const unknownAnswer = await page.getByRole('status').textContent();
    await page.goto(`${stack.url}/forgot-password`);
    await page.getByLabel('Email').fill(shopper.email);
    await page.getByRole('button', { name: 'Send the link' }).click();
    assert.equal(await page.getByRole('status').textContent(), unknownAnswer, 'no enumeration in the page either');

    const token = await mailedToken(stack.db, shopper.id, 'password_reset');
    await page.goto(`${stack.url}/reset-password?token=${token}`);
    await page.getByRole('heading', { level: 1, name: 'Choose a new password' }).waitFor();
    assert.equal(new URL(page.url()).search, '', 'the token is gone from the address bar');
    await audit(page, 'reset password');
    assert.deepEqual(await formLimits(page, { password: 'reset-password' }), {
      password: schemaLimits(PasswordResetConfirmBody).password,
    });
    const newPassword = `${shopper.password} renewed`;
    await page.locator('#reset-password').fill(newPassword);
    await page.getByRole('button', { name: 'Save the new password' }).click();
    await page.getByText('Your password is changed').waitFor();
    await audit(page, 'password changed');

    await page.getByRole('link', { name: 'Log in with your new password' }).click();
    await page.getByLabel('Email').fill(shopper.email);
    await page.getByLabel('Password').fill(shopper.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Email or password is incorrect' }).waitFor();
    await page.getByLabel('Password').fill(newPassword);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Your account', exact: true }).waitFor();
  });

  it('downloads my data and deletes my account from the privacy section, each after the password is typed again; login then fails', async () => {
    const page = await freshPage();
    const shopper = await signedUp(page);
    await followVerificationMail(page, stack.url, stack.db);
    await page.goto(`${stack.url}/account`);
    const privacy = page.getByRole('region', { name: 'Privacy' });
    await privacy.waitFor();
    await audit(page, 'account, privacy');
    assert.deepEqual(await formLimits(page, { password: 'export-password' }), schemaLimits(PasswordConfirmationBody));
    assert.deepEqual(await formLimits(page, { password: 'delete-password' }), schemaLimits(PasswordConfirmationBody));

    const exportForm = privacy.getByRole('form', { name: 'Download my data' });
    await exportForm.getByLabel('Your password').fill('not my password at all');
    await exportForm.getByRole('button', { name: 'Email me my data' }).click();
    await exportForm.getByRole('alert').filter({ hasText: 'The password is incorrect' }).waitFor();
    assert.equal((await mailRequests(stack.db, shopper.id, 'data_export')).length, 0);
    await exportForm.getByLabel('Your password').fill(shopper.password);
    await exportForm.getByRole('button', { name: 'Email me my data' }).click();
    await exportForm.getByText('Your data is on its way').waitFor();
    assert.equal((await mailRequests(stack.db, shopper.id, 'data_export')).length, 1);

    const deleteForm = privacy.getByRole('form', { name: 'Delete my account' });
    await deleteForm.getByLabel('Your password').fill(shopper.password);
    await deleteForm.getByRole('button', { name: 'Delete my account' }).click();
    await page.getByRole('heading', { level: 1, name: 'Your account is deleted' }).waitFor();
    await audit(page, 'account deleted');
    assert.equal((await mailRequests(stack.db, shopper.id, 'account_deleted')).length, 1);
    assert.equal(await page.evaluate(async () => (await fetch('/api/me')).status), 401, 'signed out');

    await page.goto(`${stack.url}/login`);
    await page.getByLabel('Email').fill(shopper.email);
    await page.getByLabel('Password').fill(shopper.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Email or password is incorrect' }).waitFor();
  });

  it('shows no serious or critical axe-core violation on the account-lifecycle pages (WCAG 2.1 AA)', () => {
    assert.deepEqual(problems, []);
  });
});
