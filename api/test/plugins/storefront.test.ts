// The storefront is served by the api on one origin, under the api's security headers
// (PCI DSS v4.0.1 6.4.3: the payment page's CSP). These tests pin that the static plugin
// neither drops nor weakens a header, caches only what is safe to cache, and serves nothing
// but the build.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import fp from 'fastify-plugin';
import { storefrontPlugin } from '../../src/plugins/storefront.js';
import { buildStorefrontApp } from '../support/storefront-stack.js';

const PAGE = '<!doctype html><html lang="en"><head><title>shop</title></head><body><div id="root"></div></body></html>';
const ASSET = '/assets/index-AbC123.js';

function fakeBuild(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'storefront-dist-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), PAGE);
  writeFileSync(join(dir, ASSET.slice(1)), 'console.log("app");\n');
  return dir;
}

const SECURITY_HEADERS = [
  'content-security-policy',
  'reporting-endpoints',
  'x-frame-options',
  'x-content-type-options',
  'strict-transport-security',
  'referrer-policy',
  'permissions-policy',
  'cross-origin-opener-policy',
];

describe('storefront plugin', () => {
  it('serves the page and its assets with exactly the security headers the api answers with', async (t) => {
    const { app } = await buildStorefrontApp(t, { payments: false, distDir: fakeBuild(t) });
    await app.ready();
    const api = await app.inject({ method: 'GET', url: '/api/csrf-token' });
    const csp = api.headers['content-security-policy'];
    assert.match(String(csp), /script-src 'self' https:\/\/js\.stripe\.com/);
    for (const url of ['/', '/checkout', ASSET]) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 200, url);
      for (const h of SECURITY_HEADERS) assert.equal(res.headers[h], api.headers[h], `${url} ${h}`);
    }
  });

  it('answers every client-side route with index.html, revalidated on each visit (no-cache)', async (t) => {
    const { app } = await buildStorefrontApp(t, { payments: false, distDir: fakeBuild(t) });
    await app.ready();
    for (const url of [
      '/',
      '/checkout',
      '/checkout/complete?order=x',
      '/products/0b6b1a54-8f2e-4c39-9d4e-2f1f0c5a9b10',
    ]) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 200, url);
      assert.equal(res.body, PAGE, url);
      assert.match(String(res.headers['content-type']), /^text\/html/);
      assert.equal(res.headers['cache-control'], 'no-cache', url);
    }
  });

  it('caches hashed assets for a year as immutable', async (t) => {
    const { app } = await buildStorefrontApp(t, { payments: false, distDir: fakeBuild(t) });
    await app.ready();
    const res = await app.inject({ method: 'GET', url: ASSET });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /javascript/);
    assert.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable');
  });

  it('never answers an api path, a missing asset or a traversal with the page or a file', async (t) => {
    const { app } = await buildStorefrontApp(t, { payments: false, distDir: fakeBuild(t) });
    await app.ready();
    for (const url of ['/api/no-such-route', '/api', '/assets/index-old.js', '/robots.txt', '/index.html.bak']) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 404, url);
      assert.equal(res.json().error.code, 'not_found', url);
    }
    // Only files found in the build at start are served: a traversal gets a 404 or the app's
    // page (the path is a client-side route then), never a file from outside the build.
    for (const url of [
      '/assets/../../../../etc/passwd',
      '/assets/..%2f..%2f..%2f..%2fetc%2fpasswd',
      '/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      '/..%2f..%2f..%2fetc%2fpasswd',
    ]) {
      const res = await app.inject({ method: 'GET', url });
      assert.ok(res.statusCode < 500, `${url} answered ${res.statusCode}`);
      assert.doesNotMatch(res.body, /root:x?:0:0/, url);
      if (res.statusCode === 200) assert.equal(res.body, PAGE, url);
    }
    const post = await app.inject({ method: 'POST', url: '/checkout', headers: { 'x-csrf-token': 'x' } });
    assert.ok(post.statusCode >= 400 && post.statusCode < 500);
  });

  it('refuses to start without a build, naming the command that makes one', async () => {
    const app = Fastify();
    await app.register(fp(async () => {}, { name: 'security-headers' }));
    await assert.rejects(
      async () => {
        await app.register(storefrontPlugin, { distDir: join(tmpdir(), 'no-such-storefront-build') });
        await app.ready();
      },
      (err: Error) => /the storefront is not built .*npm run build -w storefront/.test(err.message),
    );
    await app.close();
  });
});
