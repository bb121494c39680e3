import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';

// Functions passed to page.waitForFunction run in the page, where `document` exists.
declare const location: { pathname: string };
declare const document: {
  getElementById(id: string): { textContent: string | null } | null;
  querySelectorAll(s: string): { length: number };
};

import { generate } from 'otplib';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { launchChromium } from '../../../storefront/test/support/browser.js';
import { type PortalHarness, startPortal } from '../helper.js';

// Issue 10, item 3: WebAuthn security keys as the phishing-resistant second factor, with real
// ceremonies in Chromium against its virtual authenticator (CDP WebAuthn domain): registration
// from a session, login with the key, and from the wrong side a replayed response (challenge
// single use), a late one (challenge expiry) and a cloned key (signature counter).

let h: PortalHarness;
let base: string;
let browser: Browser;
const closers: (() => unknown)[] = [];

before(async () => {
  h = await startPortal();
  // One browser for the whole file (the tests go on with the same key), closed in `after`.
  browser = await launchChromium({
    after: (fn: () => unknown) => {
      closers.push(fn);
    },
  } as unknown as Pick<TestContext, 'after'>);
  // WebAuthn needs a host name: the portal's certificate names localhost, the origin it expects.
  base = `https://localhost:${h.port}`;
});
after(async () => {
  for (const close of closers) await close();
  await h?.close();
});

/** A USB security key with user verification that answers without a touch. */
const SECURITY_KEY = {
  protocol: 'ctap2',
  transport: 'usb',
  hasResidentKey: true,
  hasUserVerification: true,
  isUserVerified: true,
  automaticPresenceSimulation: true,
} as const;

interface KeyBrowser {
  context: BrowserContext;
  page: Page;
  cdp: CDPSession;
  authenticatorId: string;
}

async function audit(action: string) {
  const { rows } = await h.db.owner.query<{ outcome: string; detail: Record<string, unknown> }>(
    `SELECT e.outcome, e.detail FROM admin.audit_events e JOIN admin.staff s ON s.id = e.staff_id
     WHERE s.handle = 'kim' AND e.action = $1 ORDER BY e.seq`,
    [action],
  );
  return rows;
}

const statusText = (page: Page) => page.locator('#webauthn-status').textContent();

async function waitForStatus(page: Page, pattern: RegExp): Promise<string> {
  await page.waitForFunction(
    (source) => new RegExp(source).test(document.getElementById('webauthn-status')?.textContent ?? ''),
    pattern.source,
  );
  return (await statusText(page)) ?? '';
}

/** Clicks the key button; the ceremony ends on the home page, or its status names the refusal. */
async function loginWithKey(page: Page): Promise<void> {
  await page.click('#webauthn-login button');
  await page.waitForFunction(() => {
    const text = document.getElementById('webauthn-status')?.textContent ?? '';
    return location.pathname === '/' || (text !== '' && !text.startsWith('Waiting') && text !== 'Done.');
  });
  if (new URL(page.url()).pathname !== '/') assert.fail(`the key login was refused: ${await statusText(page)}`);
  await page.locator('#staff-handle').waitFor();
}

describe('security keys in Chromium (virtual authenticator) [C-043]', () => {
  let kim: KeyBrowser;

  it('registers a security key from a session and logs in with it instead of a code (PCI DSS 8.4.2, 8.5.1)', async () => {
    await h.addStaff('kim', ['support']);
    const context = await browser.newContext({
      ignoreHTTPSErrors: true,
      clientCertificates: [
        { origin: base, certPath: h.pki.staffCa.certFile('kim'), keyPath: h.pki.staffCa.keyFile('kim') },
      ],
    });
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', { options: SECURITY_KEY });
    kim = { context, page, cdp, authenticatorId };

    // First session with TOTP (enrolment), then a key is added from it.
    await page.goto(`${base}/login`);
    const secret = (await page.locator('#totp-secret').textContent()) ?? '';
    await page.fill('input[name="code"]', await generate({ secret, epoch: Math.floor(h.clock.ms / 1000) }));
    await Promise.all([page.waitForURL(`${base}/`), page.click('button[type="submit"]')]);
    await page.goto(`${base}/security-keys`);
    await page.click('#webauthn-register button');
    await page.waitForFunction(() => document.querySelectorAll('#security-keys tr').length === 2);
    const stored = await h.db.owner.query<{ counter: string }>(
      `SELECT c.counter FROM admin.webauthn_credentials c JOIN admin.staff s ON s.id = c.staff_id WHERE s.handle = 'kim'`,
    );
    assert.equal(stored.rows.length, 1);
    assert.deepEqual(
      (await audit('second_factor.enrolled')).map((e) => e.detail.factor),
      ['totp', 'webauthn'],
    );

    // Log out, then log in with the key.
    await page.click('form.logout button');
    await page.goto(`${base}/login`);
    await loginWithKey(page);
    assert.equal(await page.locator('#staff-handle').textContent(), 'kim');
    const logins = await audit('login');
    assert.equal(logins.at(-1)?.detail.factor, 'webauthn');
    const counter = await h.db.owner.query<{ counter: string }>('SELECT counter FROM admin.webauthn_credentials');
    assert.ok(Number(counter.rows[0]?.counter) > 0, 'the signature counter is stored');
  });

  it('accepts a signed response once only: a replay is refused, with or without a fresh challenge (single-use challenge, ASVS 6.5.1)', async () => {
    const { page } = kim;
    let captured: string | undefined;
    page.on('request', (r) => {
      if (r.url().endsWith('/webauthn/authentication/verify')) captured = r.postData() ?? undefined;
    });
    await page.click('form.logout button');
    await page.goto(`${base}/login`);
    await loginWithKey(page);
    assert.ok(captured, 'the verify request was seen');
    await page.click('form.logout button');
    await page.goto(`${base}/login`);
    const csrf = await page.locator('#webauthn-login input[name="_csrf"]').inputValue();
    const replay = (body: string) =>
      page.evaluate(async (b) => {
        const res = await fetch('/webauthn/authentication/verify', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: b,
        });
        return { status: res.status, text: await res.text() };
      }, body);
    const body = JSON.stringify({ ...JSON.parse(captured as string), _csrf: csrf });
    const noChallenge = await replay(body);
    assert.equal(noChallenge.status, 401);
    assert.match(noChallenge.text, /id="error-code">admin_challenge_expired</);
    // With a new challenge outstanding, the old signature does not match it.
    const fresh = await page.evaluate(async (c) => {
      const res = await fetch('/webauthn/authentication/options', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ _csrf: c }),
      });
      return res.status;
    }, csrf);
    assert.equal(fresh, 200);
    const stale = await replay(body);
    assert.equal(stale.status, 401);
    assert.match(stale.text, /id="error-code">admin_security_key_invalid</);
    assert.equal(await page.locator('#staff-handle').count(), 0, 'no session from a replay');
    const failed = (await audit('login.second_factor_failed')).map((e) => e.detail.code);
    assert.deepEqual(failed.slice(-2), ['no_challenge', 'invalid']);
  });

  it('refuses a response to a challenge older than five minutes (challenge expiry)', async () => {
    const { page } = kim;
    await page.goto(`${base}/login`);
    // Time passes between the challenge and the answer.
    await page.route('**/webauthn/authentication/verify', async (route) => {
      h.clock.advance(6 * 60_000);
      await route.continue();
    });
    await page.click('#webauthn-login button');
    assert.match(await waitForStatus(page, /admin_/), /admin_challenge_expired/);
    await page.unroute('**/webauthn/authentication/verify');
    assert.equal((await audit('login.second_factor_failed')).at(-1)?.detail.code, 'expired');
  });

  it('refuses a cloned key whose signature counter went back (PCI DSS 8.5.1)', async () => {
    const { page, cdp, authenticatorId } = kim;
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    const original = credentials[0];
    assert.ok(original && original.signCount > 1, `counter ${original?.signCount}`);
    await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
    const clone = await cdp.send('WebAuthn.addVirtualAuthenticator', { options: SECURITY_KEY });
    // The same private key, with the counter of an authenticator copied earlier.
    await cdp.send('WebAuthn.addCredential', {
      authenticatorId: clone.authenticatorId,
      credential: { ...original, signCount: 0 },
    });
    await page.goto(`${base}/login`);
    await page.click('#webauthn-login button');
    assert.match(await waitForStatus(page, /admin_/), /admin_security_key_invalid/);
    assert.equal((await audit('login.second_factor_failed')).at(-1)?.detail.code, 'counter');
    await kim.context.close();
  });
});
