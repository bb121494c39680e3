// Builds the storefront into storefront/dist and writes storefront/payment-page-scripts.json.
import { build } from 'vite';
import { storefrontConfig } from '../build/storefront-config.js';

await build(storefrontConfig());
