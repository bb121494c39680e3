import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eq, sql } from 'drizzle-orm';
import { products } from '../../../src/db/schema/index.js';
import { catalogueSeedRows, seedCatalogue } from '../../../src/db/seed/seed-catalogue.js';
import { type SeededDatabase, seededDatabase } from '../../routes/products/seeded-database.js';

let seeded: SeededDatabase;

before(async () => {
  // seededDatabase has already run seedCatalogue once.
  seeded = await seededDatabase('seed_catalogue');
});
after(() => seeded?.close());

describe('seedCatalogue', () => {
  it('describes about 200 distinct products with EUR prices in integer minor units and stock', () => {
    const rows = catalogueSeedRows();
    assert.equal(rows.length, 200);
    assert.equal(new Set(rows.map((r) => r.sku)).size, 200, 'SKUs are unique');
    assert.equal(new Set(rows.map((r) => r.name)).size, 200, 'names are unique');
    for (const r of rows) {
      assert.ok(Number.isInteger(r.priceMinor) && r.priceMinor > 0, r.sku);
      assert.equal(r.currency, 'EUR');
      assert.ok(Number.isInteger(r.stock) && r.stock > 0, r.sku);
      assert.ok(r.description.length >= 40, `${r.sku} has a real description`);
    }
  });

  it('is deterministic: the same rows on every call', () => {
    assert.deepEqual(catalogueSeedRows(), catalogueSeedRows());
  });

  it('is idempotent: a second run upserts by SKU and adds nothing', async () => {
    assert.equal(await seedCatalogue(seeded.db), 200);
    const [row] = await seeded.db.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(products);
    assert.equal(row?.n, 200);
  });

  it('applies a changed price or name on re-run but keeps the live stock', async () => {
    const first = catalogueSeedRows()[0];
    assert.ok(first);
    await seeded.db
      .update(products)
      .set({ priceMinor: 1, name: 'Edited by hand', stock: 3 })
      .where(eq(products.sku, first.sku));
    await seedCatalogue(seeded.db);
    const [reseeded] = await seeded.db.select().from(products).where(eq(products.sku, first.sku));
    assert.equal(reseeded?.priceMinor, first.priceMinor);
    assert.equal(reseeded?.name, first.name);
    assert.equal(reseeded?.stock, 3, 'stock is operational state, not seed data');
  });
});
