import { asc, desc, eq, type SQL, sql } from 'drizzle-orm';
import type { NodePgQueryResultHKT } from 'drizzle-orm/node-postgres';
import type { PgDatabase } from 'drizzle-orm/pg-core';
import type * as schema from '../../db/schema/index.js';
import { products } from '../../db/schema/index.js';

type CatalogueDatabase = PgDatabase<NodePgQueryResultHKT, typeof schema>;

export interface ProductView {
  id: string;
  name: string;
  description: string;
  priceMinor: number;
  currency: string;
}

export interface ProductPage {
  items: ProductView[];
  total: number;
}

const columns = {
  id: products.id,
  name: products.name,
  description: products.description,
  priceMinor: products.priceMinor,
  currency: products.currency,
};

/**
 * Full-text search on the generated, GIN-indexed `search` column, ranked by ts_rank then
 * name (id breaks ties so pages never overlap). `websearch_to_tsquery` accepts any text
 * without syntax errors, so user input can never make the query fail. A blank query
 * lists the whole catalogue by name.
 */
export async function searchProducts(
  db: CatalogueDatabase,
  params: { q: string; limit: number; offset: number },
): Promise<ProductPage> {
  const text = params.q.trim();
  const query: SQL | undefined = text === '' ? undefined : sql`websearch_to_tsquery('english', ${text})`;
  const matches = query ? sql`${products.search} @@ ${query}` : undefined;
  const order = query
    ? [desc(sql`ts_rank(${products.search}, ${query})`), asc(products.name), asc(products.id)]
    : [asc(products.name), asc(products.id)];

  // One round trip in the usual case: the window count rides along with the page.
  const rows = await db
    .select({ ...columns, total: sql<number>`count(*) over ()`.mapWith(Number) })
    .from(products)
    .where(matches)
    .orderBy(...order)
    .limit(params.limit)
    .offset(params.offset);

  let total = rows[0]?.total ?? 0;
  if (rows.length === 0 && params.offset > 0) {
    const [row] = await db
      .select({ total: sql<number>`count(*)`.mapWith(Number) })
      .from(products)
      .where(matches);
    total = row?.total ?? 0;
  }
  return { items: rows.map(({ total: _total, ...item }) => item), total };
}

export async function findProduct(db: CatalogueDatabase, id: string): Promise<ProductView | undefined> {
  const [row] = await db.select(columns).from(products).where(eq(products.id, id));
  return row;
}
