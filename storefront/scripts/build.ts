// Builds the storefront into storefront/dist and writes storefront/payment-page-scripts.json.
import { buildStorefrontBundle } from '../build/storefront-config.js';

await buildStorefrontBundle();
