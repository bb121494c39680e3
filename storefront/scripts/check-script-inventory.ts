// Fails (exit 1) when the built payment page loads a script that payment-page-scripts.json
// does not list, or when one of our files no longer matches its SRI hash (PCI DSS 6.4.3).
// Usage: tsx storefront/scripts/check-script-inventory.ts [distDir] [inventoryPath]
import { join } from 'node:path';
import { checkBuiltPage } from '../build/check-dist.js';
import { STOREFRONT_ROOT } from '../build/storefront-config.js';

const distDir = process.argv[2] ?? join(STOREFRONT_ROOT, 'dist');
const inventoryPath = process.argv[3] ?? join(STOREFRONT_ROOT, 'payment-page-scripts.json');
const problems = checkBuiltPage(distDir, inventoryPath);
if (problems.length > 0) {
  console.error(`payment page script inventory check FAILED (${problems.length}):`);
  for (const p of problems) console.error(`  - ${p}`);
  process.exit(1);
}
console.log(`payment page script inventory check passed: ${distDir} matches ${inventoryPath}`);
