// The Stripe stand-in of the deployment test (deploy/test/stack.ts): the Stripe double of the
// api's tests (api/test/support/stripe-double.ts), over HTTPS on 443 with a certificate for
// api.stripe.com from the test CA of the internet's stand-ins (deploy/images/build-base-images.sh). The test
// starts it on compose's `outbound` network under the name api.stripe.com, where the egress
// proxy resolves that name: the api's calls take the production path to it. Keys of the run
// come from the environment; it runs as a non-root user with no capability.
import { readFileSync } from 'node:fs';
import { StripeDouble } from '../../../../api/test/support/stripe-double.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const double = await new StripeDouble({
  secretKey: env('STRIPE_SECRET_KEY'),
  publishableKey: env('STRIPE_PUBLISHABLE_KEY'),
  webhookSecret: env('STRIPE_WEBHOOK_SECRET'),
  listenHost: '0.0.0.0',
  listenPort: 443,
  tls: { cert: readFileSync(env('TLS_CERT_FILE')), key: readFileSync(env('TLS_KEY_FILE')) },
}).start();
console.log('stripe double listening on 443 (TLS, api.stripe.com)');
const stop = () => void double.stop().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
