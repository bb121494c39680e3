import { randomBytes } from 'node:crypto';
import type { FrameLocator, Page } from 'playwright-core';
import type { Database } from '../../../api/src/db/client.js';
import { mailedToken } from '../../../api/test/support/mail-requests.js';

/** Steps a shopper takes, written once so every browser test walks the same real UI. */

export const TEST_CARD = '4242424242424242';

export function newShopper() {
  const id = randomBytes(5).toString('hex');
  return { name: 'Ada Shopper', email: `ada.${id}@example.test`, password: `correct horse battery ${id}` };
}

export async function searchAndOpenFirst(page: Page, base: string, query: string): Promise<string> {
  await page.goto(`${base}/`);
  await page.getByLabel('Search products').fill(query);
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByRole('heading', { level: 1, name: `Results for “${query}”` }).waitFor();
  const first = page.locator('.product-card h2 a').first();
  const name = (await first.textContent()) ?? '';
  await first.click();
  await page.getByRole('heading', { level: 1, name }).waitFor();
  return name;
}

export async function addToCart(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await page.getByText(/Added\. Your cart now holds/).waitFor();
}

export async function signUp(page: Page, shopper: ReturnType<typeof newShopper>): Promise<void> {
  await page.getByLabel('Full name').fill(shopper.name);
  await page.getByLabel('Email').fill(shopper.email);
  await page.getByLabel('Password').fill(shopper.password);
  await page.getByRole('button', { name: 'Create account' }).click();
}

/** After signing up: logs out, logs in again through the form and waits for the account page. */
export async function logOutAndIn(page: Page, shopper: ReturnType<typeof newShopper>): Promise<void> {
  await page.getByRole('heading', { level: 1, name: 'Your account' }).waitFor();
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('link', { name: 'Log in' }).click();
  await page.getByLabel('Email').fill(shopper.email);
  await page.getByLabel('Password').fill(shopper.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Your account' }).waitFor();
  await page.locator('.details').getByText(shopper.email).waitFor();
}

/**
 * Follows the link of the verification mail the api requested at signup: the token is read
 * from the mail request as the order-worker would read it (the database owner here), and the
 * browser opens `/verify-email?token=…` as a shopper clicking the mailed link does.
 */
export async function followVerificationMail(page: Page, base: string, db: Database): Promise<void> {
  const me = await page.evaluate(async () => {
    const res = await fetch('/api/me', { credentials: 'same-origin' });
    return (await res.json()) as { id: string };
  });
  const token = await mailedToken(db, me.id, 'email_verification');
  await page.goto(`${base}/verify-email?token=${token}`);
  await page.getByText('Your email address is verified').waitFor();
}

export async function fillShippingAddress(page: Page): Promise<void> {
  await page.getByLabel('Full name').fill('Ada Shopper');
  await page.getByLabel('Address', { exact: true }).fill('1 Analytical Street');
  await page.getByLabel('City').fill('Berlin');
  await page.getByLabel('Postal code').fill('10115');
  await page.getByLabel('Country').selectOption('DE');
  await page.getByRole('button', { name: 'Continue to payment' }).click();
}

/** The card fields, inside Stripe's (here: the double's) cross-origin iframe. */
export function cardFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe[title="Secure payment input frame"]');
}

export async function fillCard(page: Page, number = TEST_CARD): Promise<void> {
  const frame = cardFrame(page);
  await frame.getByLabel('Card number').fill(number);
  await frame.getByLabel('Expiry (MM / YY)').fill('12 / 34');
  await frame.getByLabel('Security code').fill('123');
}

/** From an empty browser to the payment step: product in cart, signed up, email verified, address given. */
export async function reachPaymentStep(page: Page, base: string, db: Database, query = 'turntable') {
  const shopper = newShopper();
  const product = await searchAndOpenFirst(page, base, query);
  await addToCart(page);
  await page.goto(`${base}/cart`);
  await page.getByRole('link', { name: 'Sign up to check out' }).click();
  await signUp(page, shopper);
  await page.waitForURL(`${base}/checkout`);
  // Checkout needs a verified email: the page says so, and the mailed link does it.
  await page.getByRole('heading', { name: 'Verify your email address' }).waitFor();
  await followVerificationMail(page, base, db);
  await page.goto(`${base}/checkout`);
  await fillShippingAddress(page);
  await page.getByRole('heading', { name: '2. Payment' }).waitFor();
  await cardFrame(page).getByLabel('Card number').waitFor();
  await page.getByRole('button', { name: 'Pay now' }).and(page.locator(':enabled')).waitFor();
  return { shopper, product };
}
