import { createTestDatabase, type TestDatabase } from '@shop/shared/test-harness';
import pg from 'pg';
// The shop's schema comes from the api's own migrations, as in production where the api
// migrates first; tests only, the portal's code never imports the api's.
import { runMigrations } from '../../../api/src/db/migrate.js';
import { migrate, openRuntimePool } from '../../src/db/database.js';

export interface ShopDatabase {
  database: TestDatabase;
  /** Owner connection: seeds data and plays an attacker with database access. */
  owner: pg.Pool;
  /** The portal's runtime role. */
  runtime: pg.Pool;
  /** A pool connected as another role (shop_api, shop_order_worker), for refusal tests. */
  as(role: string): pg.Pool;
  close(): Promise<void>;
}

/** A fresh database for one test file: the shop's migrations, then the portal's. */
export async function createShopDatabase(): Promise<ShopDatabase> {
  const database = await createTestDatabase('admin');
  try {
    await runMigrations(database.url);
    await migrate(database.url);
  } catch (err) {
    await database.drop();
    throw err;
  }
  const owner = new pg.Pool({ connectionString: database.url, max: 3 });
  // The drop at close terminates idle backends (DROP ... WITH (FORCE)): that error of a client
  // already let go must not surface as an uncaught exception of the test that used it.
  owner.on('error', () => {});
  const runtime = openRuntimePool({ url: database.url, switchRole: true, max: 5 });
  const others: pg.Pool[] = [];
  return {
    database,
    owner,
    runtime,
    as(role) {
      const pool = new pg.Pool({ connectionString: database.url, max: 1, options: `-c role=${role}` });
      others.push(pool);
      return pool;
    },
    async close() {
      await Promise.all([owner.end(), runtime.end(), ...others.map((p) => p.end())]);
      await database.drop();
    },
  };
}

export interface SeededOrder {
  userId: string;
  orderId: string;
  productId: string;
}

/** A customer with tokens only (the tokenizer holds values) and one paid order. */
export async function seedOrder(
  owner: pg.Pool,
  opts: { totalMinor?: number; status?: string; emailToken?: string; nameToken?: string; addressToken?: string } = {},
): Promise<SeededOrder> {
  const total = opts.totalMinor ?? 4200;
  const user = await owner.query<{ id: string }>(
    `INSERT INTO users (email_blind_index, email_token, name_token, password_hash)
     VALUES (md5(random()::text), $1, $2, 'argon2id-hash-not-for-staff') RETURNING id`,
    [opts.emailToken ?? 'tok_email_1', opts.nameToken ?? 'tok_name_1'],
  );
  const userId = user.rows[0]?.id as string;
  const product = await owner.query<{ id: string }>(
    `INSERT INTO products (sku, name, description, price_minor, currency, stock)
     VALUES (md5(random()::text), 'Tea', 'Green tea', $1, 'EUR', 10) RETURNING id`,
    [total],
  );
  const productId = product.rows[0]?.id as string;
  const order = await owner.query<{ id: string }>(
    `INSERT INTO orders (user_id, status, currency, total_minor, shipping_address_token, payment_intent_id, paid_at)
     VALUES ($1, $2, 'EUR', $3, $4, 'pi_' || md5(random()::text), now()) RETURNING id`,
    [userId, opts.status ?? 'paid', total, opts.addressToken ?? 'tok_address_1'],
  );
  const orderId = order.rows[0]?.id as string;
  await owner.query(
    `INSERT INTO order_items (order_id, product_id, name, unit_price_minor, quantity) VALUES ($1, $2, 'Tea', $3, 1)`,
    [orderId, productId, total],
  );
  return { userId, orderId, productId };
}
