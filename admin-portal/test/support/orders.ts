import assert from 'node:assert/strict';
import type pg from 'pg';
import Stripe from 'stripe';
import type { StripeDouble } from '../../../api/test/support/stripe-double.js';
import type { TokenizerHarness } from '../../../vault-tokenizer/test/helper.js';
import { StripeRefundGateway } from '../../src/payments/refund-gateway.js';
import { seedOrder } from './database.js';

/** The portal's refund gateway pointed at the Stripe API double. */
export function refundsVia(stripe: StripeDouble, timeoutMs?: number): StripeRefundGateway {
  return new StripeRefundGateway({
    secretKey: stripe.secretKey,
    host: '127.0.0.1',
    port: stripe.port,
    protocol: 'http',
    timeoutMs,
  });
}

export interface Customer {
  email: string;
  name: string;
  address: { name: string; line1: string; city: string; postalCode: string; country: string };
}

/**
 * An order paid through the Stripe double, its customer's data held by the real tokenizer
 * (tokens only in the shop database, as the api stores them).
 */
export async function paidOrder(
  deps: { owner: pg.Pool; tok: TokenizerHarness; stripe: StripeDouble },
  customer: Customer,
  totalMinor: number,
  status = 'paid',
): Promise<string> {
  const { owner, tok, stripe } = deps;
  const client = new Stripe(stripe.secretKey, { host: '127.0.0.1', port: stripe.port, protocol: 'http' });
  const pi = await client.paymentIntents.create({ amount: totalMinor, currency: 'eur' });
  stripe.succeed(pi.id);
  const tokens = await tok.call('api', 'POST', '/v1/tokenize', {
    subjectId: `user-${pi.id}`,
    items: [
      { field: 'email', value: customer.email },
      { field: 'name', value: customer.name },
      { field: 'shipping_address', value: JSON.stringify(customer.address) },
    ],
  });
  assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
  // The tokenizer answers the tokens in the order of the items (an array of strings).
  const [email, name, address] = tokens.body.tokens as string[];
  assert.ok(email && name && address, 'three tokens');
  const order = await seedOrder(owner, {
    totalMinor,
    status,
    emailToken: email,
    nameToken: name,
    addressToken: address,
  });
  await owner.query('UPDATE orders SET payment_intent_id = $2 WHERE id = $1', [order.orderId, pi.id]);
  return order.orderId;
}
