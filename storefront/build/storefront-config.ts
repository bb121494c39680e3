import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import type { InlineConfig } from 'vite';
import { paymentPageIntegrity } from './vite-plugin-payment-page.js';

export const STOREFRONT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface StorefrontBuildOptions {
  root?: string;
  outDir?: string;
  inventoryPath?: string;
}

/** The one Vite configuration of the storefront, shared by `vite build` and the tests. */
export function storefrontConfig(options: StorefrontBuildOptions = {}): InlineConfig {
  const root = options.root ?? STOREFRONT_ROOT;
  return {
    root,
    configFile: false,
    logLevel: 'warn',
    mode: 'production',
    plugins: [
      react(),
      paymentPageIntegrity({
        inventoryPath: options.inventoryPath ?? join(STOREFRONT_ROOT, 'payment-page-scripts.json'),
      }),
    ],
    build: {
      outDir: options.outDir ?? join(STOREFRONT_ROOT, 'dist'),
      emptyOutDir: true,
      // The polyfill would be injected as code Vite writes into the page; every browser we
      // support has module preload, and the CSP allows no inline script anyway.
      modulePreload: { polyfill: false },
      // Lazy chunks would load without an SRI hash: the app is one bundle on purpose.
      rolldownOptions: { output: { codeSplitting: false } },
      assetsInlineLimit: 0,
      sourcemap: false,
    },
  };
}

/**
 * Runs a production build whatever NODE_ENV the caller has (the test runner sets `test`):
 * Vite picks package export conditions from NODE_ENV, and the inventory's SRI hashes must
 * not depend on who built the page.
 */
export async function buildStorefrontBundle(options: StorefrontBuildOptions = {}): Promise<void> {
  const { build } = await import('vite');
  const previous = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build(storefrontConfig(options));
  } finally {
    if (previous === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = previous;
  }
}
