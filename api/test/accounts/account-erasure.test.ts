import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eq } from 'drizzle-orm';
import { accountDeletions, accountTokens, orders, users } from '../../src/db/schema/index.js';
import { PiiUnavailableError } from '../../src/pii/pii-client.js';
import { buildTestApp, STRONG_PASSWORD, type TestApp, uniqueEmail } from '../helper.js';
import { FakePii } from '../support/fake-pii.js';
import { mailRequests, recordMailDelivery } from '../support/mail-requests.js';
import { startRealTokenizer } from '../support/real-tokenizer.js';

/** A shopper with a paid order, who then asks for deletion through the real route. */
async function deletedShopper(test: TestApp) {
  const shopper = test.client();
  const email = uniqueEmail('erase');
  const signup = await shopper.signup(email, STRONG_PASSWORD);
  assert.equal(signup.statusCode, 201, signup.body);
  const userId = signup.json<{ id: string }>().id;
  const [order] = await test.db
    .insert(orders)
    .values({
      userId,
      status: 'paid',
      currency: 'EUR',
      totalMinor: 4200,
      shippingAddressToken: 'tok_shipping_address_of_this_shopper',
      paymentIntentId: `pi_${userId.replaceAll('-', '')}`,
      cardBrand: 'visa',
      cardLast4: '4242',
      paidAt: new Date(),
    })
    .returning();
  const res = await shopper.request({ method: 'POST', url: '/api/me/delete', payload: { password: STRONG_PASSWORD } });
  assert.equal(res.statusCode, 202, res.body);
  const [mail] = await mailRequests(test.db, userId, 'account_deleted');
  if (!mail || !order) throw new Error('no account_deleted mail requested');
  return { email, userId, order, mail };
}

async function userRow(test: TestApp, userId: string) {
  const [row] = await test.db.select().from(users).where(eq(users.id, userId));
  return row;
}

describe('account erasure after POST /api/me/delete (issue 11; GDPR art. 17, PCI DSS v4.0.1 3.2.1 retention)', () => {
  it('waits for the final mail, then erases the subject at the tokenizer, empties the user row and unlinks the orders from personal data', async (t) => {
    const pii = new FakePii();
    const test = await buildTestApp(t, { pii });
    const { email, userId, order, mail } = await deletedShopper(test);

    // 1. The final mail is not recorded yet: nothing is erased (it needs the address).
    assert.equal(await test.app.eraseDueAccounts(), 0);
    assert.deepEqual(pii.erased, []);
    assert.ok((await userRow(test, userId))?.emailBlindIndex, 'kept until the mail is out');

    // 2. The order-worker records the mail (simulated here as the database owner).
    await recordMailDelivery(test.db, mail, 'sent');
    assert.equal(await test.app.eraseDueAccounts(), 1);
    assert.deepEqual(pii.erased, [userId], 'the tokenizer erased the subject');
    const user = await userRow(test, userId);
    assert.deepEqual(
      { index: user?.emailBlindIndex, email: user?.emailToken, name: user?.nameToken, hash: user?.passwordHash },
      { index: null, email: null, name: null, hash: null },
    );
    assert.equal((await test.db.select().from(accountTokens).where(eq(accountTokens.userId, userId))).length, 0);
    const [kept] = await test.db.select().from(orders).where(eq(orders.id, order.id));
    assert.equal(kept?.shippingAddressToken, null, 'the order no longer points at an address');
    assert.deepEqual(
      [kept?.totalMinor, kept?.currency, kept?.status, kept?.paymentIntentId, kept?.cardLast4, kept?.paidAt?.getTime()],
      [4200, 'EUR', 'paid', order.paymentIntentId, '4242', order.paidAt?.getTime()],
      'what retention requires stays',
    );
    const [deletion] = await test.db.select().from(accountDeletions).where(eq(accountDeletions.userId, userId));
    assert.ok(deletion?.erasedAt);

    // 3. Done once: a later run has nothing to do, and the old credentials open nothing.
    assert.equal(await test.app.eraseDueAccounts(), 0);
    assert.deepEqual(pii.erased, [userId]);
    const login = await test.client().login(email, STRONG_PASSWORD);
    assert.equal(login.statusCode, 401);
    assert.equal(login.json().error.code, 'invalid_credentials');
  });

  it('erases after a dead final mail too, and after the bounded wait without any record', async (t) => {
    const pii = new FakePii();
    const test = await buildTestApp(t, { pii, env: { ACCOUNT_ERASURE_MAX_WAIT_MS: '0' } });
    const { userId } = await deletedShopper(test);
    assert.equal(await test.app.eraseDueAccounts(), 1, 'no delivery recorded, but the wait (0 ms) is over');
    assert.deepEqual(pii.erased, [userId]);

    const other = await buildTestApp(t, { pii: new FakePii() });
    const dead = await deletedShopper(other);
    assert.equal(await other.app.eraseDueAccounts(), 0);
    await recordMailDelivery(other.db, dead.mail, 'dead');
    assert.equal(await other.app.eraseDueAccounts(), 1, 'a mail given up on does not hold the erasure back');
  });

  it('leaves the account pending, unchanged, while the tokenizer refuses (down or its hourly erase bound reached), and erases on a later run', async (t) => {
    const pii = new FakePii();
    const test = await buildTestApp(t, { pii });
    const { userId, mail } = await deletedShopper(test);
    await recordMailDelivery(test.db, mail);
    pii.failWith = new PiiUnavailableError('tokenizer answered 429');
    assert.equal(await test.app.eraseDueAccounts(), 0, 'the failed run erased nothing');
    const pending = await userRow(test, userId);
    assert.ok(pending?.emailBlindIndex, 'the blind index is still there');
    assert.ok(pending?.passwordHash, 'the password hash is still there');
    const [deletion] = await test.db.select().from(accountDeletions).where(eq(accountDeletions.userId, userId));
    assert.equal(deletion?.erasedAt, null);
    pii.failWith = undefined;
    assert.equal(await test.app.eraseDueAccounts(), 1);
    assert.equal((await userRow(test, userId))?.emailBlindIndex, null);
  });

  it('runs by itself every ACCOUNT_ERASURE_INTERVAL_MS once the app is ready, and app.close() waits for a run in flight', async (t) => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let started: () => void = () => undefined;
    const firstCall = new Promise<void>((resolve) => {
      started = resolve;
    });
    const calls: string[] = [];
    const blocking = Object.assign(new FakePii(), {
      eraseSubject: async (subjectId: string) => {
        calls.push(subjectId);
        started();
        await gate;
      },
    });
    const test = await buildTestApp(t, { pii: blocking, env: { ACCOUNT_ERASURE_INTERVAL_MS: '100' } });
    const { userId, mail } = await deletedShopper(test);
    await recordMailDelivery(test.db, mail);
    // Nobody calls eraseDueAccounts here: the timer does.
    await firstCall;
    let closed = false;
    const closing = test.app.close().then(() => {
      closed = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(closed, false, 'close waits for the run in flight');
    release();
    await closing;
    assert.deepEqual(calls, [userId]);
    assert.equal((await userRow(test, userId))?.emailBlindIndex, null, 'the run finished before the app closed');
  });

  it('erases the subject at the real tokenizer over mutual TLS: the email token of the account can no longer be decrypted by anyone (410 token_erased)', async (t) => {
    const tokenizer = await startRealTokenizer(t);
    const test = await buildTestApp(t, { pii: null, env: tokenizer.env });
    const shopper = test.client();
    const signup = await shopper.signup(uniqueEmail('shred'), STRONG_PASSWORD, 'Grace Shredded');
    assert.equal(signup.statusCode, 201, signup.body);
    const userId = signup.json<{ id: string }>().id;
    const emailToken = (await userRow(test, userId))?.emailToken;
    const read = () =>
      tokenizer.harness.call('order-worker', 'POST', '/v1/detokenize', {
        items: [{ token: emailToken, field: 'email' }],
      });
    assert.equal((await read()).status, 200, 'readable by the worker before the deletion');
    const del = await shopper.request({
      method: 'POST',
      url: '/api/me/delete',
      payload: { password: STRONG_PASSWORD },
    });
    assert.equal(del.statusCode, 202);
    const [mail] = await mailRequests(test.db, userId, 'account_deleted');
    if (!mail) throw new Error('no final mail requested');
    await recordMailDelivery(test.db, mail);
    assert.equal(await test.app.eraseDueAccounts(), 1);
    const after = await read();
    assert.equal(after.status, 410);
    assert.equal(after.body.error.code, 'token_erased');
    assert.ok(!JSON.stringify(after.body).includes('Grace'));
  });
});
