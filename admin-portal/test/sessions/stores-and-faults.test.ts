import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { TEST_REDIS_URL, uniqueName } from '@shop/shared/test-harness';
import { Redis } from 'ioredis';
import pg from 'pg';
import { RedisSessionStore } from '../../src/sessions/session-store.js';
import { type PortalHarness, startPortal } from '../helper.js';

// Issue 10, item 3 and "Bad input and faults": sessions live in Redis under the portal's own
// prefix when REDIS_URL is set; Redis or the database down is a clear 503 page, never a login.

const harnesses: PortalHarness[] = [];
const redises: Redis[] = [];
after(async () => {
  for (const h of harnesses) await h.close();
  for (const r of redises) {
    const keys = await r.keys(`${prefix}*`).catch(() => []);
    if (keys.length) await r.del(...keys).catch(() => {});
    r.disconnect();
  }
});
const prefix = `${uniqueName('admin-test')}:`;
const codeOf = (body: string) => /id="error-code">([a-z_]+)</.exec(body)?.[1];

function redis(url: string) {
  const r = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 500,
    lazyConnect: false,
  });
  r.on('error', () => {});
  redises.push(r);
  return r;
}

describe('Redis-backed sessions', () => {
  it('keeps sessions in Redis under the portal prefix, keyed by a hash of the cookie', async () => {
    const r = redis(TEST_REDIS_URL);
    await new Promise((resolve) => r.once('ready', resolve));
    const h = await startPortal({ sessions: new RedisSessionStore(r, prefix) });
    harnesses.push(h);
    const ada = await h.addStaff('ada', ['support']);
    assert.equal((await ada.enrol()).status, 303);
    assert.equal((await ada.get('/')).status, 200);
    const keys = await r.keys(`${prefix}sess:*`);
    assert.ok(keys.length >= 1);
    const cookie = [...ada.cookies.values()][0] ?? '';
    assert.ok(!keys.some((k) => k.includes(cookie)), 'the cookie value itself is not a key');
  });

  it('answers 503 admin_sessions_unavailable when Redis is down, and opens no session', async () => {
    const dead = redis('redis://127.0.0.1:1');
    const h = await startPortal({ sessions: new RedisSessionStore(dead, prefix) });
    harnesses.push(h);
    const bo = await h.addStaff('bo', ['support']);
    const res = await bo.get('/enrol/totp');
    assert.equal(res.status, 503);
    assert.equal(codeOf(res.body), 'admin_sessions_unavailable');
    assert.equal((await bo.get('/')).status, 303);
  });
});

describe('database down', () => {
  it('answers 503 admin_database_unavailable, not 500, when the database cannot be reached', async () => {
    const deadDb = new pg.Pool({
      connectionString: 'postgres://postgres@127.0.0.1:1/none',
      connectionTimeoutMillis: 500,
    });
    deadDb.on('error', () => {});
    const h = await startPortal({ deps: { db: deadDb } });
    harnesses.push(h);
    const cy = await h.addStaff('cy', ['support']);
    const res = await cy.get('/login');
    assert.equal(res.status, 503);
    assert.equal(codeOf(res.body), 'admin_database_unavailable');
    assert.doesNotMatch(res.body, /ECONNREFUSED|127\.0\.0\.1|stack/);
    await deadDb.end();
  });
});
