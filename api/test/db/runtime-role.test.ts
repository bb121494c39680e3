import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { buildTestApp } from '../helper.js';

async function asRuntime<T>(url: string, sql: string): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql)) as T;
  } finally {
    await c.end();
  }
}

describe('[C-011] least-privilege runtime role (PCI DSS v4.0.1 7.2.2, 7.2.5; ASVS 1.4.5 / 14.x)', () => {
  it('connects the app as shop_api, which can read the catalogue but cannot run DDL, TRUNCATE or write products', async (t) => {
    const { databaseUrl } = await buildTestApp(t, { redis: false });
    const who = await asRuntime<{ rows: { current_user: string }[] }>(databaseUrl, 'select current_user');
    assert.equal(who.rows[0]?.current_user, 'shop_api');
    await asRuntime(databaseUrl, 'select count(*) from products');
    for (const sql of [
      'create table intruder (id int)',
      'drop table users',
      'alter table users add column is_admin boolean',
      'truncate orders',
      "insert into products (sku, name, description, price_minor, currency) values ('x', 'x', 'x', 1, 'EUR')",
      'delete from users',
      'select * from processed_messages',
    ]) {
      await assert.rejects(asRuntime(databaseUrl, sql), /permission denied|must be owner/, sql);
    }
  });
});
