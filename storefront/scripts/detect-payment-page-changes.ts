// Change detection for the payment page (PCI DSS v4.0.1 11.6.1). Fetches the page and its
// headers as a browser receives them, compares the security headers, the scripts and
// stylesheets and their hashes with the approved baseline, and exits non-zero with a diff on
// any change. Meant to run on a schedule (see storefront/README.md).
//
//   tsx storefront/scripts/detect-payment-page-changes.ts --url <payment page URL> --baseline <file>
//   ... --approve     record the current page as the approved baseline (after review)
//
// Exit codes: 0 unchanged (or baseline written), 1 changed, 2 could not check.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { diffSnapshots, type PaymentPageSnapshot, snapshotPaymentPage } from '../build/payment-page-snapshot.js';

function fail(message: string): never {
  console.error(`payment page check could not run: ${message}`);
  process.exit(2);
}

let values: { url?: string; baseline?: string; approve?: boolean };
try {
  ({ values } = parseArgs({
    options: { url: { type: 'string' }, baseline: { type: 'string' }, approve: { type: 'boolean', default: false } },
  }));
} catch (err) {
  fail((err as Error).message);
}
const { url, baseline, approve } = values;
if (!url || !baseline) fail('usage: --url <payment page URL> --baseline <file> [--approve]');

let current: PaymentPageSnapshot;
try {
  current = await snapshotPaymentPage(url);
} catch (err) {
  fail(`${url} could not be fetched (${(err as Error).message})`);
}

if (approve) {
  writeFileSync(baseline, `${JSON.stringify(current, null, 2)}\n`);
  console.log(`approved baseline written to ${baseline} (${current.resources.length} scripts and styles)`);
  process.exit(0);
}
if (!existsSync(baseline)) fail(`no baseline at ${baseline}: review the page, then run with --approve`);
const approved = JSON.parse(readFileSync(baseline, 'utf8')) as PaymentPageSnapshot;
const changes = diffSnapshots(approved, current);
if (changes.length > 0) {
  console.error(`PAYMENT PAGE CHANGED: ${current.url} differs from the approved baseline ${baseline}`);
  for (const line of changes) console.error(`  ${line}`);
  console.error('If the change is authorised, review it and record it with --approve.');
  process.exit(1);
}
console.log(`payment page unchanged: ${current.url} matches ${baseline}`);
