import { ProductCursorInvalidError } from '../../errors.js';

/**
 * Keyset cursors: the sort key of the last product of a page, so the next page starts with
 * `(key) > (cursor)` on an index instead of skipping `offset` rows. The key is the product's
 * name and id for the listing, and its rank, name and id for a search. Opaque to clients
 * (base64url JSON) and checked on the way back in: a decoded value only ever becomes a bound
 * parameter, and anything malformed answers 400, never a query error.
 */
export type ListingKey = { kind: 'listing'; name: string; id: string };
export type SearchKey = { kind: 'search'; rank: number; name: string; id: string };
export type CursorKey = ListingKey | SearchKey;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// PostgreSQL text cannot hold NUL: a crafted name with one would fail the query (a 500).
function isName(value: unknown): value is string {
  return typeof value === 'string' && !value.includes('\u0000');
}

export function encodeCursor(key: CursorKey): string {
  const value = key.kind === 'listing' ? ['l', key.name, key.id] : ['s', key.rank, key.name, key.id];
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, expected: 'listing'): ListingKey;
export function decodeCursor(cursor: string, expected: 'search'): SearchKey;
export function decodeCursor(cursor: string, expected: CursorKey['kind']): CursorKey {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new ProductCursorInvalidError();
  }
  if (!Array.isArray(value)) throw new ProductCursorInvalidError();
  if (expected === 'listing' && value.length === 3 && value[0] === 'l') {
    const [, name, id] = value;
    if (isName(name) && typeof id === 'string' && UUID.test(id)) return { kind: 'listing', name, id };
  }
  if (expected === 'search' && value.length === 4 && value[0] === 's') {
    const [, rank, name, id] = value;
    if (typeof rank === 'number' && Number.isFinite(rank) && isName(name) && typeof id === 'string' && UUID.test(id)) {
      return { kind: 'search', rank, name, id };
    }
  }
  throw new ProductCursorInvalidError();
}
