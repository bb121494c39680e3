import { eq, type SQL, sql } from 'drizzle-orm';
import type { NodePgQueryResultHKT } from 'drizzle-orm/node-postgres';
import type { PgDatabase } from 'drizzle-orm/pg-core';
import type * as schema from '../../db/schema/index.js';
import { products } from '../../db/schema/index.js';
import {
  type CatalogueEngine,
  type CatalogueQuery,
  type ProductPage,
  type ProductView,
  TOTAL_EXACT_UP_TO,
} from './catalogue-engine.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { parseSearch, type SearchTsquery, searchTsquery } from './search-query.js';

type CatalogueDatabase = PgDatabase<NodePgQueryResultHKT, typeof schema>;

/**
 * How many products named after the query join the ranking, gathered first from the name
 * index so that a word common in descriptions cannot push them out of the candidate set.
 */
export const NAME_CANDIDATES = 100;
/**
 * How many matches of the whole document join the ranking. Together: a search ranks at most
 * NAME_CANDIDATES + MATCH_CANDIDATES rows, and its pages reach that deep at most. Each
 * candidate is a heap row read with its tsvector, scattered over the table for a word of
 * middling frequency: the main cost of a search (1,200 of them measured 52 ms p50 at 1M).
 */
export const MATCH_CANDIDATES = 300;
/** The deepest result a search can page to (the storefront mirrors it). */
export const SEARCH_RESULTS_MAX = NAME_CANDIDATES + MATCH_CANDIDATES;
/** The count stops here: one more than the exact-total cap tells that the cap was passed. */
const COUNT_STOP = TOTAL_EXACT_UP_TO + 1;

type Row = {
  matched: number;
  /** Searches only: whether the prefix form of the query ran, rather than the whole words (searchStatement). */
  prefixed?: boolean | null;
  id: string | null;
  name: string | null;
  description: string | null;
  priceMinor: number | null;
  currency: string | null;
  rank: number | null;
};

const columns = {
  id: products.id,
  name: products.name,
  description: products.description,
  priceMinor: products.priceMinor,
  currency: products.currency,
};

function view(row: Row): ProductView {
  return {
    id: row.id as string,
    name: row.name as string,
    description: row.description as string,
    priceMinor: row.priceMinor as number,
    currency: row.currency as string,
  };
}

/**
 * The PostgreSQL engine: full-text search on the generated, GIN-indexed `search` column and
 * the name-only GIN index, the listing on the `(name, id)` b-tree. No statement reads more
 * than a bounded number of rows, whatever the catalogue's size (api README, "Catalogue search").
 */
export class PostgresCatalogue implements CatalogueEngine {
  constructor(private readonly db: CatalogueDatabase) {}

  async search(query: CatalogueQuery): Promise<ProductPage> {
    return query.q === '' ? this.list(query) : this.find(query);
  }

  async get(id: string): Promise<ProductView | undefined> {
    const [row] = await this.db.select(columns).from(products).where(eq(products.id, id));
    return row;
  }

  /** The blank query: the catalogue by name, walking `products_name_id_idx`. */
  private async list(query: CatalogueQuery): Promise<ProductPage> {
    const { rows } = await this.db.execute<Row>(listingStatement(query));
    const items = rows.filter((r) => r.id !== null);
    const more = items.length > query.limit;
    const page = items.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      items: page.map(view),
      ...(await this.total(rows[0]?.matched ?? 0, sql`select 1 from products`)),
      nextCursor:
        more && last ? encodeCursor({ kind: 'listing', name: last.name as string, id: last.id as string }) : null,
    };
  }

  /** A search, ranked over a bounded candidate set (see searchStatement). */
  private async find(query: CatalogueQuery): Promise<ProductPage> {
    const tsquery = searchTsquery(parseSearch(query.q));
    if (!tsquery) {
      // Decoded anyway, so a bad cursor answers 400 whatever the query.
      if (query.after) decodeCursor(query.after, 'search');
      return { items: [], total: 0, totalIsEstimate: false, nextCursor: null };
    }
    const { rows } = await this.db.execute<Row>(searchStatement(query, tsquery));
    const found = rows.filter((r) => r.id !== null);
    const more = found.length > query.limit;
    const page = found.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      items: page.map(view),
      ...(await this.total(
        rows[0]?.matched ?? 0,
        sql`select 1 from products where search @@ ${tsquery.wholeWords && !rows[0]?.prefixed ? tsquery.wholeWords : tsquery.query}`,
      )),
      nextCursor:
        more && last
          ? encodeCursor({
              kind: 'search',
              rank: last.rank as number,
              name: last.name as string,
              id: last.id as string,
            })
          : null,
    };
  }

  /**
   * Exact when the bounded count stayed under the cap; otherwise the planner's estimate of
   * the statement's rows (table statistics, no scan), never less than the cap it passed.
   */
  private async total(matched: number, statement: SQL): Promise<{ total: number; totalIsEstimate: boolean }> {
    if (matched <= TOTAL_EXACT_UP_TO) return { total: matched, totalIsEstimate: false };
    const { rows } = await this.db.execute<{ 'QUERY PLAN': [{ Plan: { 'Plan Rows': number } }] }>(
      sql`explain (format json) ${statement}`,
    );
    const estimate = Math.round(rows[0]?.['QUERY PLAN'][0]?.Plan['Plan Rows'] ?? 0);
    return { total: Math.max(estimate, matched), totalIsEstimate: true };
  }
}

/**
 * One page of the listing (limit + 1 rows, to know whether another follows) and a count that
 * stops at COUNT_STOP. Exported so the tests can EXPLAIN the very statement the route runs.
 */
export function listingStatement(query: CatalogueQuery): SQL {
  const key = query.after ? decodeCursor(query.after, 'listing') : undefined;
  const after = key ? sql`where (name, id) > (${key.name}, ${key.id}::uuid)` : sql``;
  return sql`
    with page as (
      select id, name, description, price_minor, currency
      from products ${after}
      order by name, id
      limit ${query.limit + 1} offset ${query.offset}
    ), counted as (
      select count(*)::int as matched from (select 1 from products limit ${COUNT_STOP}) c
    )
    select counted.matched, page.id, page.name, page.description,
      page.price_minor as "priceMinor", page.currency, null::real as rank
    from counted left join page on true
    order by page.name, page.id`;
}

/**
 * One page of a search. The candidates are at most NAME_CANDIDATES products matching in their
 * name and MATCH_CANDIDATES matching anywhere, both read from GIN indexes with a limit; only
 * they are ranked (ts_rank: name weighted above description), then ordered by rank, name, id.
 *
 * The matches anywhere come from one scan of `products_search_idx` that stops at COUNT_STOP
 * rows: its first MATCH_CANDIDATES rows are the candidates and its length is the bounded count
 * (a GIN match is rechecked on its row, so the count reads the rows anyway, and one scan
 * instead of two halves the index work).
 *
 * When the last word is also matched as a prefix, the whole words are scanned first, and the
 * search is the prefix search only if they found fewer than MATCH_CANDIDATES products.
 * Otherwise it is the whole-word search (its candidate set is already full of products with
 * every word as typed, which rank above prefix-only matches), and the prefix scan, the
 * costliest one of a GIN index (every indexed word starting with it: about 30,000 rows for a
 * ~1% word at 1M, 9 ms), never runs: its branches are gated by one-time filters. The name tier,
 * the count and the ranking all follow the same choice, so `total` counts what can be paged
 * to; `prefixed` tells which one ran.
 */
export function searchStatement(query: CatalogueQuery, tsquery: SearchTsquery): SQL {
  const key = query.after ? decodeCursor(query.after, 'search') : undefined;
  const after = key
    ? sql`where rank < ${key.rank}::real or (rank = ${key.rank}::real and (name, id) > (${key.name}, ${key.id}::uuid))`
    : sql``;
  const { query: q, wholeWords } = tsquery;
  // The document check comes after the limit: inside it, the planner would AND in a second
  // scan of products_search_idx (one more prefix scan) to check what the row shows anyway.
  const named = (match: SQL, gate: SQL) => sql`
      select * from (
        select id, name, description, price_minor, currency, search
        from products where to_tsvector('english', name) @@ ${match} ${gate}
        limit ${NAME_CANDIDATES}
      ) by_name where search @@ ${match}`;
  const anywhere = (match: SQL, gate: SQL) => sql`
      select id, name, description, price_minor, currency, search
      from products where search @@ ${match} ${gate}
      limit ${COUNT_STOP}`;
  let tiers: SQL;
  let ranked: SQL;
  let prefixed: SQL;
  if (wholeWords) {
    prefixed = sql`((select count(*) from whole) < ${MATCH_CANDIDATES})`;
    tiers = sql`whole as materialized (${anywhere(wholeWords, sql``)}
    ), named as materialized (
      (${named(wholeWords, sql`and not ${prefixed}`)})
      union all
      (${named(q, sql`and ${prefixed}`)})
    ), hits as materialized (
      (select * from whole where not ${prefixed})
      union all
      (${anywhere(q, sql`and ${prefixed}`)})
    )`;
    ranked = sql`case when ${prefixed} then ${q} else ${wholeWords} end`;
  } else {
    prefixed = sql`false`;
    tiers = sql`named as materialized (${named(q, sql``)}
    ), hits as materialized (${anywhere(q, sql``)}
    )`;
    ranked = q;
  }
  return sql`
    with ${tiers}, candidates as (
      select distinct on (id) id, name, description, price_minor, currency, ts_rank(search, ${ranked}) as rank
      from (select * from named union all (select * from hits limit ${MATCH_CANDIDATES})) both_tiers
      order by id
    ), page as (
      select * from candidates ${after}
      order by rank desc, name, id
      limit ${query.limit + 1} offset ${query.offset}
    )
    select (select count(*)::int from hits) as matched, ${prefixed} as prefixed,
      page.id, page.name, page.description, page.price_minor as "priceMinor", page.currency, page.rank
    from (select 1) one left join page on true
    order by page.rank desc, page.name, page.id`;
}
