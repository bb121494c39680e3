import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { products } from '../../../src/db/schema/index.js';
import { buildTestApp, STRONG_PASSWORD, uniqueEmail } from '../../helper.js';

describe('POST /api/auth/signup and /api/auth/login', () => {
  it('creates an account, signs the shopper in, and /api/me answers with their id, email and name', async (t) => {
    const { client } = await buildTestApp(t);
    const shopper = client();
    const email = uniqueEmail();
    const signup = await shopper.signup(email, STRONG_PASSWORD, 'Ada Lovelace');
    assert.equal(signup.statusCode, 201, signup.body);
    const me = await shopper.request({ method: 'GET', url: '/api/me' });
    assert.equal(me.statusCode, 200, me.body);
    assert.deepEqual(Object.keys(me.json()).sort(), ['email', 'emailVerified', 'id', 'name']);
    assert.deepEqual(me.json(), { id: signup.json().id, email, name: 'Ada Lovelace', emailVerified: false });

    // A fresh login knows the email typed now, not the name (the api cannot read it back).
    const other = client();
    const login = await other.login(email.toUpperCase(), STRONG_PASSWORD);
    assert.equal(login.statusCode, 200, login.body);
    assert.deepEqual(login.json(), { id: signup.json().id, email, name: null, emailVerified: false });
    const again = await other.request({ method: 'GET', url: '/api/me' });
    assert.deepEqual(again.json(), { id: signup.json().id, email, name: null, emailVerified: false });
  });

  it('keeps the anonymous cart when the shopper signs up or logs in (merged into their account cart)', async (t) => {
    const { client, db } = await buildTestApp(t);
    const [lamp, mug] = await db
      .insert(products)
      .values([
        { sku: 'T-LAMP', name: 'Lamp', description: 'A lamp', priceMinor: 1500, currency: 'EUR', stock: 10 },
        { sku: 'T-MUG', name: 'Mug', description: 'A mug', priceMinor: 800, currency: 'EUR', stock: 10 },
      ])
      .returning({ id: products.id });
    const shopper = client();
    const add = await shopper.request({
      method: 'POST',
      url: '/api/cart/items',
      payload: { productId: lamp?.id, quantity: 2 },
    });
    assert.equal(add.statusCode, 200, add.body);
    const email = uniqueEmail();
    assert.equal((await shopper.signup(email, STRONG_PASSWORD)).statusCode, 201);
    const afterSignup = await shopper.request({ method: 'GET', url: '/api/cart' });
    assert.deepEqual(
      afterSignup.json().items.map((i: { productId: string; quantity: number }) => [i.productId, i.quantity]),
      [[lamp?.id, 2]],
    );

    const later = client();
    await later.request({ method: 'POST', url: '/api/cart/items', payload: { productId: mug?.id, quantity: 1 } });
    assert.equal((await later.login(email, STRONG_PASSWORD)).statusCode, 200);
    const afterLogin = await later.request({ method: 'GET', url: '/api/cart' });
    assert.equal(afterLogin.json().items.length, 2);
  });
});
