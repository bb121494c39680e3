import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ARGON2_OPTIONS } from '../../../src/routes/auth/password.js';
import { buildTestApp, STRONG_PASSWORD, uniqueEmail } from '../../helper.js';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

describe('[C-009] no user enumeration at login (ASVS 2.2.x / 6.3.x)', () => {
  it('answers an unknown email exactly like a wrong password', async (t) => {
    const { client } = await buildTestApp(t, { env: { TRUSTED_PROXIES: '10.0.0.1' } });
    const email = uniqueEmail();
    await client().signup(email, STRONG_PASSWORD);
    const c = client('10.0.0.1');
    const wrong = await c.request({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'x-forwarded-for': '192.0.2.1' },
      payload: { email, password: 'not the password at all' },
    });
    const unknown = await c.request({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'x-forwarded-for': '192.0.2.2' },
      payload: { email: uniqueEmail('nobody'), password: 'not the password at all' },
    });
    assert.equal(wrong.statusCode, 401);
    assert.equal(unknown.statusCode, wrong.statusCode);
    assert.equal(unknown.body, wrong.body);
    assert.deepEqual(wrong.json(), {
      error: { code: 'invalid_credentials', message: 'Email or password is incorrect' },
    });
  });

  it('spends similar work on an unknown email and a wrong password (a dummy argon2id hash is verified)', async (t) => {
    const { client } = await buildTestApp(t, {
      env: { TRUSTED_PROXIES: '10.0.0.1', RATE_LIMIT_LOGIN_ACCOUNT_MAX: '100' },
    });
    const email = uniqueEmail();
    await client().signup(email, STRONG_PASSWORD);
    const c = client('10.0.0.1');
    let n = 0;
    const attempt = async (who: string) => {
      n += 1;
      // CPU time, not wall time: argon2id's work shows in it on a loaded machine too, where a
      // wall clock measures the scheduler (the process's CPU includes libuv's argon2 threads).
      const started = process.cpuUsage();
      const res = await c.request({
        method: 'POST',
        url: '/api/auth/login',
        headers: { 'x-forwarded-for': `192.0.2.${n}` },
        payload: { email: who, password: 'not the password at all' },
      });
      assert.equal(res.statusCode, 401);
      const used = process.cpuUsage(started);
      return used.user + used.system;
    };
    await attempt(uniqueEmail('warmup'));
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 7; i++) {
      known.push(await attempt(email));
      unknown.push(await attempt(uniqueEmail('nobody')));
    }
    const ratio = median(unknown) / median(known);
    // Without the dummy verification an unknown email costs ~1 ms of CPU against tens of ms.
    assert.ok(ratio > 0.5 && ratio < 2, `unknown/known median CPU time ratio ${ratio.toFixed(2)}`);
  });

  it('hashes passwords with argon2id at the OWASP parameters (m=19456 KiB, t=2, p=1)', async (t) => {
    const { client, db } = await buildTestApp(t);
    await client().signup(uniqueEmail(), STRONG_PASSWORD);
    const rows = await db.query.users.findMany({ columns: { passwordHash: true } });
    assert.equal(rows.length, 1);
    assert.match(rows[0]?.passwordHash ?? '', /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    assert.equal(ARGON2_OPTIONS.memoryCost, 19_456);
  });
});
