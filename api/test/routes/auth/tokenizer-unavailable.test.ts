import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DevCertificateAuthority } from '@shop/shared/mtls';
import { freePort } from '@shop/shared/test-harness';
import { users } from '../../../src/db/schema/index.js';
import { type PiiClient, PiiUnavailableError } from '../../../src/pii/pii-client.js';
import { TokenizerClient } from '../../../src/pii/tokenizer-client.js';
import { buildTestApp, STRONG_PASSWORD, uniqueEmail } from '../../helper.js';
import { FakePii } from '../../support/fake-pii.js';

// No plaintext fallback (ARCHITECTURE non-negotiable 2): signup cannot store an email it
// cannot tokenize, and login cannot find an account without the blind-index key, which only
// the tokenizer holds. Both answer 503 `tokenizer_unavailable`, with a generic message (the
// client's internal reason stays in the log), write no user row, and never answer 500.

const UNAVAILABLE = { error: { code: 'tokenizer_unavailable', message: 'Temporarily unavailable, retry later' } };

describe('signup and login without the tokenizer', () => {
  it('answers 503 tokenizer_unavailable to signup and login when no tokenizer is configured, creating no user', async (t) => {
    const { app, client, db } = await buildTestApp(t, { pii: null });
    assert.equal(app.pii, undefined);
    const c = client();
    const signup = await c.signup(uniqueEmail(), STRONG_PASSWORD, 'Ada Lovelace');
    assert.equal(signup.statusCode, 503, signup.body);
    assert.deepEqual(signup.json(), UNAVAILABLE);
    const login = await c.login(uniqueEmail(), STRONG_PASSWORD);
    assert.equal(login.statusCode, 503, login.body);
    assert.deepEqual(login.json(), UNAVAILABLE);
    assert.equal((await db.select().from(users)).length, 0);
    assert.equal((await c.request({ method: 'GET', url: '/api/me' })).statusCode, 401);
  });

  it('answers 503 (never 500, never the network reason) when the configured tokenizer is unreachable', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'api-tokenizer-down-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const ca = await new DevCertificateAuthority(join(dir, 'ca')).init();
    await ca.issue('api');
    const port = await freePort(); // nothing listens there
    const { app, client, db } = await buildTestApp(t, {
      pii: null,
      env: {
        TOKENIZER_URL: `https://127.0.0.1:${port}`,
        TOKENIZER_CA_FILE: ca.caFile,
        TOKENIZER_CERT_FILE: ca.certFile('api'),
        TOKENIZER_KEY_FILE: ca.keyFile('api'),
      },
    });
    assert.ok(app.pii instanceof TokenizerClient, 'built from TOKENIZER_*');
    const c = client();
    const email = uniqueEmail();
    const signup = await c.signup(email, STRONG_PASSWORD, 'Ada Lovelace');
    assert.equal(signup.statusCode, 503, signup.body);
    assert.deepEqual(signup.json(), UNAVAILABLE);
    const login = await c.login(email, STRONG_PASSWORD);
    assert.equal(login.statusCode, 503, login.body);
    assert.deepEqual(login.json(), UNAVAILABLE);
    assert.equal((await db.select().from(users)).length, 0, 'no user row');
  });

  it('leaves no half-created user when the tokenizer fails between the blind index and the tokens', async (t) => {
    const flaky: PiiClient = {
      blindIndex: async (field, value) => `bi_${field}_${value.length}`,
      eraseSubject: async () => undefined,
      tokenize: async () => {
        throw new PiiUnavailableError('tokenizer answered 503');
      },
    };
    const { client, db } = await buildTestApp(t, { pii: flaky });
    const res = await client().signup(uniqueEmail(), STRONG_PASSWORD, 'Ada Lovelace');
    assert.equal(res.statusCode, 503, res.body);
    assert.deepEqual(res.json(), UNAVAILABLE);
    assert.equal((await db.select().from(users)).length, 0);
  });

  it('answers 503, not 401, to a registered shopper while the tokenizer is down, then logs them in once it is back', async (t) => {
    const pii = new FakePii();
    const { client } = await buildTestApp(t, { pii });
    const email = uniqueEmail();
    assert.equal((await client().signup(email, STRONG_PASSWORD)).statusCode, 201);
    pii.failWith = new PiiUnavailableError('tokenizer unreachable (ECONNREFUSED)');
    const down = await client().login(email, STRONG_PASSWORD);
    assert.equal(down.statusCode, 503);
    assert.deepEqual(down.json(), UNAVAILABLE);
    assert.ok(!down.body.includes('ECONNREFUSED'));
    pii.failWith = undefined;
    assert.equal((await client().login(email, STRONG_PASSWORD)).statusCode, 200);
  });
});
