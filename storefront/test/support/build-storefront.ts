import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { buildStorefrontBundle, type StorefrontBuildOptions } from '../../build/storefront-config.js';

export interface TestBuild {
  distDir: string;
  inventoryPath: string;
}

/**
 * Builds the storefront into a temporary folder of this test file (so test files never share
 * or overwrite a build, nor the committed inventory), removed in `t.after`.
 */
export async function buildStorefront(
  t: Pick<TestContext, 'after'>,
  options: Omit<StorefrontBuildOptions, 'outDir' | 'inventoryPath'> = {},
): Promise<TestBuild> {
  const dir = mkdtempSync(join(tmpdir(), 'storefront-build-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const distDir = join(dir, 'dist');
  const inventoryPath = join(dir, 'payment-page-scripts.json');
  await buildStorefrontBundle({ ...options, outDir: distDir, inventoryPath });
  return { distDir, inventoryPath };
}
