import { existsSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { type Browser, type BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// Without the background-networking flags Chromium keeps calling Google services, which a
// closed network answers slowly; the short reporting delay makes the Reporting API deliver
// CSP reports within a second instead of a minute.
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
  '--short-reporting-delay',
];

/** Debian's Chromium, headless, with a fresh profile; closed in `t.after`. */
export async function launchChromium(t: Pick<TestContext, 'after'>): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM}: run apt-get install -y chromium (or set CHROMIUM_PATH)`);
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
  t.after(() => browser.close());
  return browser;
}

/** A fresh context (own cookies and storage); nothing outside loopback and the routed Stripe origins. */
export async function newContext(browser: Browser): Promise<BrowserContext> {
  // The shop's TLS front uses a self-signed certificate made for the test run.
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    locale: 'en-GB',
    ignoreHTTPSErrors: true,
  });
  // Any other request off loopback would hang on the closed network: fail it at once.
  await context.route(/^https?:\/\/(?!127\.0\.0\.1[:/]|js\.stripe\.com\/|api\.stripe\.com\/)/, (route) =>
    route.abort('blockedbyclient'),
  );
  return context;
}
