import { createHash } from 'node:crypto';

/**
 * The audit chain's canonical form, recomputed outside the database (the insert trigger in
 * migrations/0001_admin_schema.sql computes the same): each hash covers the entry's fields and
 * the previous hash, so an edited, removed or reordered entry breaks every later link.
 */
export const GENESIS_HASH = '0'.repeat(64);
const SEPARATOR = '\x1f';

export interface ChainRow {
  seq: number;
  /** The fields covered by the hash, in canonical order and text form (NULL as ''). */
  fields: string[];
  prevHash: string;
  hash: string;
}

export function chainHash(fields: readonly string[], prevHash: string): string {
  return createHash('sha256')
    .update([...fields, prevHash].join(SEPARATOR), 'utf8')
    .digest('hex');
}

export interface ChainBreak {
  seq: number;
  problem: 'missing_entry' | 'link_broken' | 'hash_mismatch';
}

/** The first entry whose number, link or hash does not match; undefined when the chain holds. */
export function findChainBreak(rows: Iterable<ChainRow>): ChainBreak | undefined {
  let previous = GENESIS_HASH;
  let expected = 1;
  for (const row of rows) {
    if (row.seq !== expected) return { seq: expected, problem: 'missing_entry' };
    if (row.prevHash !== previous) return { seq: row.seq, problem: 'link_broken' };
    if (chainHash([String(row.seq), ...row.fields], row.prevHash) !== row.hash) {
      return { seq: row.seq, problem: 'hash_mismatch' };
    }
    previous = row.hash;
    expected++;
  }
  return undefined;
}
