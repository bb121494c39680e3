// Offline Stripe (ARCHITECTURE: no default for the Stripe keys): without keys the api answers
// checkout with 503 payments_not_configured, and the storefront explains it instead of failing.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { LoginBody, SignupBody } from '../../../api/src/routes/auth/schemas.js';
import { ShippingAddress } from '../../../api/src/routes/checkout/schemas.js';
import { type StorefrontStack, startStorefrontStack } from '../../../api/test/support/storefront-stack.js';
import { launchChromium, newContext } from '../support/browser.js';
import { buildStorefront } from '../support/build-storefront.js';
import { formLimits, schemaLimits } from '../support/schema-limits.js';
import {
  addToCart,
  fillShippingAddress,
  followVerificationMail,
  newShopper,
  searchAndOpenFirst,
  signUp,
} from '../support/shopper.js';

describe('checkout without Stripe keys, in Chromium', () => {
  const cleanups: (() => unknown)[] = [];
  const hooks = { after: (fn: () => unknown) => cleanups.unshift(fn) };
  let stack: StorefrontStack;
  let browser: Browser;
  let distDir: string;

  before(async () => {
    const build = await buildStorefront(hooks);
    distDir = build.distDir;
    stack = await startStorefrontStack(hooks, { distDir: build.distDir, payments: false });
    browser = await launchChromium(hooks);
  });
  after(async () => {
    for (const fn of cleanups) await fn();
  });

  it('says that payments are not configured and loads no Stripe.js', async () => {
    const context = await newContext(browser);
    hooks.after(() => context.close());
    const page = await context.newPage();
    const stripeRequests: string[] = [];
    page.on('request', (r) => {
      if (/stripe\.com/.test(new URL(r.url()).hostname)) stripeRequests.push(r.url());
    });
    await searchAndOpenFirst(page, stack.url, 'pasta');
    await addToCart(page);
    await page.goto(`${stack.url}/signup?next=/checkout`);
    await signUp(page, newShopper());
    await page.waitForURL(`${stack.url}/checkout`);
    await followVerificationMail(page, stack.url, stack.db);
    await page.goto(`${stack.url}/checkout`);
    await fillShippingAddress(page);
    const alert = page.getByRole('alert').filter({ hasText: 'Payments are not configured' });
    await alert.waitFor();
    assert.match((await alert.textContent()) ?? '', /cannot take payments right now/);
    assert.equal(await page.getByRole('button', { name: 'Pay now' }).count(), 0);
    assert.deepEqual(stripeRequests, [], 'no Stripe.js without a publishable key');
  });

  it("[issue 9.7] the storefront's form limits equal the api schema's (a 150-character name is refused in the browser, not by a 400)", async () => {
    const context = await newContext(browser);
    hooks.after(() => context.close());
    const page = await context.newPage();
    const base = stack.url;

    await page.goto(`${base}/login`);
    assert.deepEqual(
      await formLimits(page, { email: 'login-email', password: 'login-password' }),
      schemaLimits(LoginBody),
    );

    await searchAndOpenFirst(page, base, 'pasta');
    await addToCart(page);
    await page.goto(`${base}/signup?next=/checkout`);
    assert.deepEqual(
      await formLimits(page, { email: 'signup-email', password: 'signup-password', name: 'signup-name' }),
      schemaLimits(SignupBody),
    );
    // Typed as a shopper types: the browser stops at the api's bound, so the signup succeeds.
    const shopper = newShopper();
    await page.getByLabel('Full name').pressSequentially('n'.repeat(150));
    const typed = await page.getByLabel('Full name').inputValue();
    assert.equal(typed.length, schemaLimits(SignupBody).name?.maxLength);
    await page.getByLabel('Email').fill(shopper.email);
    await page.getByLabel('Password').fill(shopper.password);
    const answer = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/auth/signup');
    await page.getByRole('button', { name: 'Create account' }).click();
    assert.equal((await answer).status(), 201);
    await page.waitForURL(`${base}/checkout`);
    await followVerificationMail(page, base, stack.db);
    await page.goto(`${base}/checkout`);

    assert.deepEqual(
      await formLimits(page, {
        name: 'ship-name',
        line1: 'ship-line1',
        line2: 'ship-line2',
        city: 'ship-city',
        postalCode: 'ship-postal',
        country: 'ship-country',
      }),
      schemaLimits(ShippingAddress),
    );
  });

  it('[issue 9.7] the built bundle holds no api code: the storefront imports the contract as types only', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(dir, e.name));
        else if (/\.(js|mjs|css|html)$/.test(e.name)) files.push(join(dir, e.name));
      }
    };
    walk(distDir);
    assert.ok(
      files.some((f) => f.endsWith('.js')),
      'the build produced scripts',
    );
    // Runtime marks of the api's schemas: TypeBox's object keyword and the api's UUID pattern.
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      assert.ok(!text.includes('additionalProperties'), `${file} holds a schema keyword`);
      assert.ok(!text.includes('[0-9a-fA-F]{8}-'), `${file} holds the api's UUID pattern`);
    }
  });
});
