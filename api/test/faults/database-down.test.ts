import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CuttableProxy, createTestDatabase } from '@shop/shared/test-harness';
import { runMigrations } from '../../src/db/migrate.js';
import { buildTestApp, STRONG_PASSWORD, uniqueEmail } from '../helper.js';

describe('PostgreSQL outage (503, not 500; recovery without restart)', () => {
  it('fails /readyz and answers 503 database_unavailable while the link is cut, then recovers', async (t) => {
    const database = await createTestDatabase('api_dbdown');
    t.after(() => database.drop());
    await runMigrations(database.url);
    const target = new URL(database.url);
    const proxy = new CuttableProxy(target.hostname, Number(target.port || 5432));
    await proxy.start();
    t.after(() => proxy.stop());
    const proxied = new URL(database.url);
    proxied.port = String(proxy.port);
    const { client, app } = await buildTestApp(t, { databaseUrl: proxied.toString() });

    const email = uniqueEmail();
    const shopper = client();
    assert.equal((await shopper.signup(email, STRONG_PASSWORD)).statusCode, 201);
    assert.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);

    await proxy.cut();
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(ready.statusCode, 503);
    const me = await shopper.request({ method: 'GET', url: '/api/me' });
    assert.equal(me.statusCode, 503, me.body);
    assert.equal(me.json().error.code, 'database_unavailable');
    const login = await client().login(email, STRONG_PASSWORD);
    assert.equal(login.statusCode, 503, login.body);
    assert.doesNotMatch(login.body, /ECONNREFUSED|stack|at /);

    await proxy.restore();
    let recovered = false;
    for (let i = 0; i < 50 && !recovered; i++) {
      recovered = (await app.inject({ method: 'GET', url: '/readyz' })).statusCode === 200;
      if (!recovered) await sleep(100);
    }
    assert.ok(recovered, '/readyz is 200 again');
    assert.equal((await shopper.request({ method: 'GET', url: '/api/me' })).statusCode, 200);
  });
});
