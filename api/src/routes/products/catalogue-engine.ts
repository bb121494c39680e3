/**
 * The seam between the products route and the engine that answers it. The route knows only
 * this interface; `PostgresCatalogue` (product-search.ts) is the one implementation, and the
 * default (ARCHITECTURE: PostgreSQL full-text search until the catalogue outgrows it).
 *
 * What another engine (OpenSearch, Meilisearch) must honour to replace it, checked by the
 * same route tests run against it:
 * - the same input bounds: the route validates q (100 characters, no control characters),
 *   limit, offset and after before calling; the engine must answer every such input, however
 *   operator-heavy, with a page (never an error), and treat an exclusion-only query as no match;
 * - the same results contract: `ProductPage` below; name matches above description-only
 *   matches, a stable total order (ties broken by name, then id) so pages never overlap;
 * - no request whose cost grows with the catalogue: a bounded candidate set for ranking, a
 *   total that is exact up to TOTAL_EXACT_UP_TO and otherwise an estimate flagged as one;
 * - cursors that are opaque strings, made and checked by the engine itself (a cursor from
 *   another listing answers ProductCursorInvalidError), stable while the catalogue is;
 * - products only through the public fields of `ProductView` (no sku, no stock);
 * - its index fed from the products table (the source of truth), so `get` and the cart never
 *   disagree with search about what exists for longer than the feed's delay.
 */
export interface ProductView {
  id: string;
  name: string;
  description: string;
  priceMinor: number;
  currency: string;
}

export interface ProductPage {
  items: ProductView[];
  /** Matches across all pages: exact up to TOTAL_EXACT_UP_TO, an estimate above it. */
  total: number;
  totalIsEstimate: boolean;
  /** Pass as `after` for the next page; null on the last page. */
  nextCursor: string | null;
}

export interface CatalogueQuery {
  /** Trimmed search text; empty lists the catalogue by name. */
  q: string;
  limit: number;
  offset: number;
  /** A `nextCursor` from an earlier page of the same listing. */
  after?: string;
}

export interface CatalogueEngine {
  search(query: CatalogueQuery): Promise<ProductPage>;
  get(id: string): Promise<ProductView | undefined>;
}

/** Totals are counted exactly up to this many matches; above it the answer is an estimate. */
export const TOTAL_EXACT_UP_TO = 1000;
