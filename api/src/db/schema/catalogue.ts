import { type SQL, sql } from 'drizzle-orm';
import { char, check, customType, index, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

/** The catalogue. Prices in integer minor units with an ISO 4217 currency. */
export const products = pgTable(
  'products',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    sku: text('sku').notNull().unique(),
    name: text('name').notNull(),
    description: text('description').notNull(),
    priceMinor: integer('price_minor').notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    stock: integer('stock').notNull().default(0),
    // Weighted document for full-text search: name ranks above description.
    search: tsvector('search')
      .notNull()
      .generatedAlwaysAs(
        (): SQL =>
          sql`setweight(to_tsvector('english', coalesce(${products.name}, '')), 'A') || setweight(to_tsvector('english', coalesce(${products.description}, '')), 'B')`,
      ),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('products_search_idx').using('gin', t.search),
    // The blank listing and its keyset pages walk this index: `order by name, id limit n`
    // and `(name, id) > (cursor)` read n entries whatever the catalogue's size.
    index('products_name_id_idx').on(t.name, t.id),
    // Name matches are gathered first from their own index, so a word common in descriptions
    // cannot crowd the products named after it out of the bounded candidate set.
    index('products_name_search_idx').using('gin', sql`to_tsvector('english', ${t.name})`),
    check('products_price_nonnegative', sql`${t.priceMinor} >= 0`),
    check('products_stock_nonnegative', sql`${t.stock} >= 0`),
  ],
);
