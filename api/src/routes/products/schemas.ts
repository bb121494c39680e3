import Type, { type Static } from 'typebox';

/**
 * A canonical UUID. The pattern is spelled out because ajv-formats' `uuid` also accepts a
 * `urn:uuid:` prefix, which PostgreSQL refuses: that would turn bad input into a 500.
 */
export const Uuid = Type.String({
  format: 'uuid',
  pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
});

/** ISO 4217 code. */
export const Currency = Type.String({ pattern: '^[A-Z]{3}$' });

/** Money is an integer count of the currency's minor unit (cents for EUR). */
export const MinorUnits = Type.Integer({ minimum: 0 });

export const SEARCH_MAX_LENGTH = 100;
export const PAGE_DEFAULT_LIMIT = 20;
export const PAGE_MAX_LIMIT = 100;
export const PAGE_MAX_OFFSET = 10_000;
/** A cursor holds a product's name: long enough for any real name, bounded against abuse. */
export const CURSOR_MAX_LENGTH = 1024;

export const ProductsQuery = Type.Object(
  {
    // Bounded so one request cannot make PostgreSQL parse and rank a huge query; control
    // characters refused because PostgreSQL rejects NUL in text (that would be a 500).
    q: Type.Optional(Type.String({ maxLength: SEARCH_MAX_LENGTH, pattern: '^[^\\u0000-\\u001f\\u007f]*$' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: PAGE_MAX_LIMIT, default: PAGE_DEFAULT_LIMIT })),
    // Deep offsets cost a walk over everything before them: bounded against cheap DoS. Pages
    // past the bound are reached with `after`, which costs the same at any depth.
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: PAGE_MAX_OFFSET, default: 0 })),
    // The `nextCursor` of the previous page (opaque base64url; checked when decoded).
    after: Type.Optional(Type.String({ minLength: 1, maxLength: CURSOR_MAX_LENGTH, pattern: '^[A-Za-z0-9_-]+$' })),
  },
  { additionalProperties: false },
);

export const ProductParams = Type.Object({ id: Uuid }, { additionalProperties: false });

export const Product = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    description: Type.String(),
    priceMinor: MinorUnits,
    currency: Currency,
  },
  { additionalProperties: false },
);

export const ProductList = Type.Object(
  {
    items: Type.Array(Product),
    /**
     * Number of products matching the query, across all pages: exact up to 1,000, above that
     * an estimate from table statistics (then `totalIsEstimate` is true).
     */
    total: Type.Integer({ minimum: 0 }),
    totalIsEstimate: Type.Boolean(),
    /** Pass as `after` to get the next page; null on the last page. */
    nextCursor: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false },
);

export type Product = Static<typeof Product>;
export type ProductList = Static<typeof ProductList>;
