import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LogCapture, uniqueName } from '@shop/shared/test-harness';
import { eq } from 'drizzle-orm';
import { orders, users } from '../../src/db/schema/index.js';
import { TokenizerClient } from '../../src/pii/tokenizer-client.js';
import { buildTestApp, STRONG_PASSWORD } from '../helper.js';
import { mailRequests, recordMailDelivery, verifyEmail } from '../support/mail-requests.js';
import { fillCart, seedProducts } from '../support/payments-app.js';
import { findValuesInDatabase } from '../support/pii-scan.js';
import { startRealTokenizer } from '../support/real-tokenizer.js';
import { StripeDouble } from '../support/stripe-double.js';

// ARCHITECTURE non-negotiable 2 and "What data lives where" (PCI DSS v4.0.1 3.2, GDPR art. 32):
// personal data typed by a shopper reaches the shop database only as tokens. The real
// vault-tokenizer runs over mutual TLS; the api builds its TokenizerClient from TOKENIZER_*.

describe('personal data in the shop database (issue 3, item 8)', () => {
  it('holds none of the email, name, phone or address typed at signup and checkout, and login and /api/me still work', async (t) => {
    // 1. The real tokenizer and a Stripe double; the api with no injected PiiClient.
    const tokenizer = await startRealTokenizer(t);
    const stripe = await new StripeDouble().start();
    t.after(() => stripe.stop());
    const logs = new LogCapture();
    const { app, client, db, ownerUrl } = await buildTestApp(t, {
      pii: null,
      env: { ...tokenizer.env, ...stripe.env(), LOG_LEVEL: 'trace' },
      deps: { logStream: logs },
    });
    assert.ok(app.pii instanceof TokenizerClient, 'the api talks to the real tokenizer');

    // 2. Signup through HTTP.
    const tag = uniqueName('pii').replaceAll('_', '');
    const email = `Ada.${tag}@Example.org`;
    const name = `Augusta Ada ${tag}`;
    const phone = '+44 20 7946 0958';
    const line1 = `${tag} St James Square`;
    const shopper = client();
    const signup = await shopper.signup(email, STRONG_PASSWORD, name);
    assert.equal(signup.statusCode, 201, signup.body);
    const userId = signup.json<{ id: string }>().id;
    await verifyEmail(shopper, db, userId);

    // 3. Checkout with a shipping address (the phone typed into its second line: the public
    //    contract has no phone field, and free text there must be tokenized too).
    const [productId] = await seedProducts(db, [{ priceMinor: 1200 }]);
    await fillCart(db, userId, [{ productId: productId as string, quantity: 1 }]);
    const checkout = await shopper.request({
      method: 'POST',
      url: '/api/checkout',
      payload: {
        shippingAddress: { name, line1, line2: `Tel ${phone}`, city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' },
      },
    });
    assert.equal(checkout.statusCode, 200, checkout.body);

    // 4. What the shop database holds: tokens and a blind index, in every row we wrote.
    const [user] = await db.select().from(users).where(eq(users.id, userId));
    assert.ok(user?.emailBlindIndex && user.emailToken && user.nameToken, 'blind index and tokens stored');
    const [order] = await db.select().from(orders).where(eq(orders.userId, userId));
    assert.ok(order?.shippingAddressToken, 'the address is stored as a token');
    const subjects = await tokenizer.harness.owner.query('select 1 from subject_keys where subject_id = $1', [userId]);
    assert.equal(subjects.rowCount, 1, 'the values went to the tokenizer, under the new user as subject');

    // 5. The scan: every text/varchar/json column of every table, for every value typed.
    const typed = [email, email.toLowerCase(), `Ada.${tag}`, name, phone, line1, tag];
    assert.deepEqual(await findValuesInDatabase(ownerUrl, typed), []);
    // The scan itself works: it finds a value that is meant to be there.
    assert.equal((await findValuesInDatabase(ownerUrl, ['Product 0'])).length > 0, true);

    // 6. Login (blind index lookup) and /api/me still work; the name is only known to the
    //    session that typed it.
    assert.deepEqual((await shopper.request({ method: 'GET', url: '/api/me' })).json(), {
      id: userId,
      email: email.toLowerCase(),
      name,
      emailVerified: true,
    });
    const later = client();
    const login = await later.login(email.toUpperCase(), STRONG_PASSWORD);
    assert.equal(login.statusCode, 200, login.body);
    const me = await later.request({ method: 'GET', url: '/api/me' });
    assert.deepEqual(me.json(), { id: userId, email: email.toLowerCase(), name: null, emailVerified: true });
    assert.equal((await later.login(email, 'not the password at all')).statusCode, 401);

    // 7. Nor did any of it reach the log stream.
    const text = logs.text().toLowerCase();
    for (const value of typed) assert.ok(!text.includes(value.toLowerCase()), 'a typed value was logged');

    // 8. Deletion (issue 11): once the final mail is recorded and the erasure step has run, no
    //    row links the shopper to a token, and the tokenizer cannot decrypt what it held.
    const tokens = [user?.emailToken, user?.nameToken, order?.shippingAddressToken].filter(
      (v): v is string => typeof v === 'string',
    );
    const del = await later.request({ method: 'POST', url: '/api/me/delete', payload: { password: STRONG_PASSWORD } });
    assert.equal(del.statusCode, 202, del.body);
    const [finalMail] = await mailRequests(db, userId, 'account_deleted');
    if (!finalMail) throw new Error('no final mail requested');
    await recordMailDelivery(db, finalMail);
    assert.equal(await app.eraseDueAccounts(), 1);
    assert.deepEqual(await findValuesInDatabase(ownerUrl, [...typed, ...tokens, user?.emailBlindIndex ?? '']), []);
    const read = await tokenizer.harness.call('order-worker', 'POST', '/v1/detokenize', {
      items: [
        { token: user?.emailToken, field: 'email' },
        { token: order?.shippingAddressToken, field: 'shipping_address' },
      ],
    });
    assert.equal(read.status, 410, 'the subject is erased');
    assert.equal((await client().login(email, STRONG_PASSWORD)).statusCode, 401);
  });

  it('answers 400 pii_value_rejected, creating no user, to a name the tokenizer refuses (a control character)', async (t) => {
    const tokenizer = await startRealTokenizer(t);
    const { client, db } = await buildTestApp(t, { pii: null, env: tokenizer.env });
    const res = await client().signup(`bell.${uniqueName('x')}@example.org`, STRONG_PASSWORD, 'Ada\u0007Lovelace');
    assert.equal(res.statusCode, 400, res.body);
    assert.deepEqual(res.json(), {
      error: { code: 'pii_value_rejected', message: 'A personal-data value was refused as invalid' },
    });
    assert.equal((await db.select().from(users)).length, 0);
  });
});
