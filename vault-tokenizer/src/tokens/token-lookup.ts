import type pg from 'pg';

/** A stored token joined with its subject's key row: what a detokenize needs to check and decrypt it. */
export interface TokenRow {
  token: string;
  subjectId: string;
  fieldType: string;
  ciphertext: Buffer;
  iv: Buffer;
  keyVersion: number;
  expiresAt: Date | null;
  kekId: string | null;
  wrappedDek: Buffer | null;
  dekVersion: number;
  erasedAt: Date | null;
}

interface Pending {
  tokens: string[];
  resolve: (rows: Map<string, TokenRow>) => void;
  reject: (err: unknown) => void;
}

/** Tokens per statement; one request has at most 1000 (MAX_BATCH), so it always fits whole. */
const MAX_TOKENS_PER_STATEMENT = 2000;

/**
 * Reads token rows for detokenize. Lookups made in the same tick (concurrent requests)
 * share one SELECT, so 64 callers cost a few round trips and pooled connections, not 64.
 * Each caller gets only the rows of the tokens it asked for; a failed statement fails
 * every lookup in it (and each request answers 503 as before).
 */
export class TokenLookup {
  private queue: Pending[] = [];
  private scheduled = false;

  constructor(private readonly pool: pg.Pool) {}

  find(tokens: string[]): Promise<Map<string, TokenRow>> {
    return new Promise((resolve, reject) => {
      this.queue.push({ tokens, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.send());
      }
    });
  }

  private send(): void {
    this.scheduled = false;
    const queued = this.queue;
    this.queue = [];
    let group: Pending[] = [];
    let size = 0;
    for (const p of queued) {
      if (size + p.tokens.length > MAX_TOKENS_PER_STATEMENT && group.length > 0) {
        void this.read(group);
        group = [];
        size = 0;
      }
      group.push(p);
      size += p.tokens.length;
    }
    if (group.length > 0) void this.read(group);
  }

  private async read(group: Pending[]): Promise<void> {
    let found: Map<string, TokenRow>;
    try {
      const tokens = [...new Set(group.flatMap((p) => p.tokens))];
      // Named: each pooled connection parses and plans it once, not once per request.
      const { rows } = await this.pool.query<TokenRow>({
        name: 'tokens_detokenize',
        text: `SELECT t.token, t.subject_id AS "subjectId", t.field_type AS "fieldType", t.ciphertext, t.iv,
                t.key_version AS "keyVersion", t.expires_at AS "expiresAt", s.kek_id AS "kekId",
                s.wrapped_dek AS "wrappedDek", s.dek_version AS "dekVersion", s.erased_at AS "erasedAt"
         FROM tokens t JOIN subject_keys s ON s.subject_id = t.subject_id
         WHERE t.token = ANY($1::text[])`,
        values: [tokens],
      });
      found = new Map(rows.map((r) => [r.token, r]));
    } catch (err) {
      for (const p of group) p.reject(err);
      return;
    }
    for (const p of group) {
      const own = new Map<string, TokenRow>();
      for (const token of p.tokens) {
        const row = found.get(token);
        if (row) own.set(token, row);
      }
      p.resolve(own);
    }
  }
}
