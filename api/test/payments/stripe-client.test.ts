import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '@shop/shared/config';
import { PaymentsConfigSchema } from '../../src/payments/payments-config.js';
import { createStripeClient, withoutCallSiteCapture } from '../../src/payments/stripe-client.js';
import { StripeDouble } from '../support/stripe-double.js';

const double = new StripeDouble();
before(() => double.start());
after(() => double.stop());

describe('withoutCallSiteCapture', () => {
  it('captures no stack frames during the call and restores the limit after it, also when the call throws', () => {
    const limit = Error.stackTraceLimit;
    const stack = withoutCallSiteCapture(() => new Error('probe').stack ?? '');
    assert.equal(stack.split('\n').length, 1, 'frames were captured inside the call');
    assert.throws(() =>
      withoutCallSiteCapture(() => {
        throw new Error('boom');
      }),
    );
    assert.equal(Error.stackTraceLimit, limit);
    assert.ok((new Error('after').stack ?? '').split('\n').length > 1, 'stacks stay off after the call');
  });

  it('leaves Stripe calls working: an intent is fetched, a missing one still rejects with its Stripe error', async () => {
    const stripe = createStripeClient(loadConfig(PaymentsConfigSchema, double.env()));
    assert.ok(stripe);
    const created = await stripe.paymentIntents.create({ amount: 1200, currency: 'eur' });
    const fetched = await withoutCallSiteCapture(() => stripe.paymentIntents.retrieve(created.id));
    assert.equal(fetched.id, created.id);
    assert.equal(fetched.amount, 1200);
    await assert.rejects(
      withoutCallSiteCapture(() => stripe.paymentIntents.retrieve('pi_missing')),
      (err: { type?: string }) => err.type === 'StripeInvalidRequestError',
    );
  });
});
