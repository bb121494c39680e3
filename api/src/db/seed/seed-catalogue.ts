import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Database } from '../client.js';
import { products } from '../schema/index.js';
import { BASE_PRODUCTS } from './catalogue-data.js';

export interface SeedProduct {
  sku: string;
  name: string;
  description: string;
  priceMinor: number;
  currency: string;
  stock: number;
}

/** Stock derived from the SKU so that every run and every machine gets the same catalogue. */
function stockFor(sku: string): number {
  const digest = createHash('sha256').update(sku).digest();
  return 5 + (digest.readUInt16BE(0) % 120);
}

/** The 200 products of the demonstration catalogue, in a stable order. */
export function catalogueSeedRows(): SeedProduct[] {
  return BASE_PRODUCTS.flatMap((base) =>
    base.variants.map(([variant, code, delta]) => {
      const sku = `${base.sku}-${code}`;
      return {
        sku,
        name: `${base.name}, ${variant}`,
        description: `${base.description} ${base.variantLabel}: ${variant}.`,
        priceMinor: base.priceMinor + delta,
        currency: 'EUR',
        stock: stockFor(sku),
      };
    }),
  );
}

/**
 * Loads the demonstration catalogue. Idempotent: products are upserted by SKU, so running
 * it again changes nothing, and a changed name, description or price is applied. Stock is
 * only set when a product is first inserted: after that it is the shop's live state.
 * Returns the number of products in the seed.
 */
export async function seedCatalogue(db: Database): Promise<number> {
  const rows = catalogueSeedRows();
  await db
    .insert(products)
    .values(rows)
    .onConflictDoUpdate({
      target: products.sku,
      set: {
        name: sql`excluded.name`,
        description: sql`excluded.description`,
        priceMinor: sql`excluded.price_minor`,
        currency: sql`excluded.currency`,
      },
    });
  return rows.length;
}
